package main

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// alertView is a critical-result alert with its patient's name and result.
type alertView struct {
	lab.Alert
	Name   string
	Result string
}

// labInbox lists the critical-result alerts (open first) and the reports
// waiting for a person to say whose they are.
func (a *app) labInbox(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	page, err := a.store.Query(ctx, storage.Query{Type: lab.AlertType, Limit: storage.MaxLimit})
	if err != nil {
		return err
	}
	names := map[patient.ID]string{}
	var alerts []alertView
	for _, rec := range page.Records {
		al, err := lab.AlertRecords.Decode(rec)
		if err != nil {
			return err
		}
		if _, ok := names[al.Patient]; !ok {
			names[al.Patient] = a.nameOf(ctx, al.Patient)
		}
		v := alertView{Alert: al, Name: names[al.Patient]}
		if rep, err := a.labs.Report(ctx, al.Report); err == nil {
			for _, res := range rep.Results {
				if res.ID == al.Result {
					v.Result = fmt.Sprintf("%s %s", conceptText(res.Code), res.Value.Quantity)
				}
			}
		}
		alerts = append(alerts, v)
	}
	slices.SortStableFunc(alerts, func(x, y alertView) int {
		if (x.Status == lab.AlertAcknowledged) != (y.Status == lab.AlertAcknowledged) {
			if x.Status == lab.AlertAcknowledged {
				return 1
			}
			return -1
		}
		return x.Raised.Compare(y.Raised)
	})
	queue, err := load(func() ([]lab.Queued, error) { return a.labs.Queue(ctx) })
	if err != nil {
		return err
	}
	return a.page(w, s, "labs", "Lab inbox", "labs", map[string]any{"Alerts": alerts, "Queue": queue})
}

// acknowledge acknowledges a critical result (a physician; checked by the service).
func (a *app) acknowledge(w http.ResponseWriter, r *http.Request, s *session) error {
	al, err := a.labs.Acknowledge(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.setFlash(fmt.Sprintf("Critical result %s acknowledged.", al.Result))
	http.Redirect(w, r, "/labs", http.StatusSeeOther)
	return nil
}

// escalate escalates the critical results not acknowledged in time.
func (a *app) escalate(w http.ResponseWriter, r *http.Request, s *session) error {
	n, err := a.labs.Escalate(r.Context())
	if err != nil {
		return err
	}
	s.setFlash(fmt.Sprintf("%d alert(s) escalated to the backup physician.", n))
	http.Redirect(w, r, "/labs", http.StatusSeeOther)
	return nil
}
