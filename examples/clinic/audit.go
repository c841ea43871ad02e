package main

import (
	"net/http"
	"slices"
	"strings"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
)

// auditWindow is how far back the audit view looks.
const auditWindow = 30 * oneDay

// audit answers "who opened this chart": the privacy officer (or the
// patient, about themself) picks a patient and sees every access, decision
// and act of the last 30 days, newest first, optionally one kind of action.
func (a *app) audit(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	q := strings.TrimSpace(r.FormValue("q"))
	pid := r.FormValue("patient")
	action := strings.TrimSpace(r.FormValue("action"))
	if s.Can(access.RolePatient) {
		pid = s.Principal.Patient
	}
	data := map[string]any{"Q": q, "Patient": pid, "Action": action}
	if q != "" {
		res, err := a.patients.Search(ctx, patient.Query{Name: q, Limit: 20})
		if err != nil {
			return err
		}
		data["Hits"] = res.Patients
	}
	if pid != "" {
		data["Name"] = a.nameOf(ctx, patient.ID(pid))
		now := a.clock.Now()
		if err := a.store.Flush(ctx); err != nil {
			return err
		}
		var events []access.Event
		for ev, err := range access.Accounting(ctx, a.store, pid, now.Add(-auditWindow), now.Add(1)) {
			if err != nil {
				return err
			}
			if action == "" || strings.HasPrefix(ev.Action, action) {
				events = append(events, ev)
			}
		}
		slices.Reverse(events)
		data["Events"] = events
	}
	return a.page(w, s, "audit", "Audit: who opened this chart", "audit", data)
}
