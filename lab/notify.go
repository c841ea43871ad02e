package lab

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Notification is the payload of TopicResult and TopicEscalated events: ids
// and codes only.
type Notification struct {
	Report  string     `json:"report"`
	Result  string     `json:"result"`
	Patient patient.ID `json:"patient"`
	// To is the Practitioner id to tell: the ordering clinician, or the
	// backup of an escalation.
	To     string `json:"to,omitempty"`
	Flag   string `json:"flag,omitempty"`
	Urgent bool   `json:"urgent,omitempty"`
	Alert  string `json:"alert,omitempty"`
}

// AlertStatus is where a critical-result alert is.
type AlertStatus string

// Alert statuses.
const (
	AlertOpen         AlertStatus = "open"         // waiting for the clinician
	AlertEscalated    AlertStatus = "escalated"    // overdue: the backup was told
	AlertAcknowledged AlertStatus = "acknowledged" // a clinician took it
)

// Alert tracks the acknowledgement of a critical result.
type Alert struct {
	ID      string      `json:"id"`
	Patient patient.ID  `json:"patient"`
	Report  string      `json:"report"`
	Result  string      `json:"result"`
	Flag    string      `json:"flag"`
	To      string      `json:"to,omitempty"`
	Status  AlertStatus `json:"status"`
	Raised  time.Time   `json:"raised"`
	Due     time.Time   `json:"due"`
	// Escalated and Backup say when and to whom it was escalated.
	Escalated time.Time `json:"escalated,omitzero"`
	Backup    string    `json:"backup,omitempty"`
	// Acknowledged and By say when and by which principal it was taken.
	Acknowledged time.Time `json:"acknowledged,omitzero"`
	By           string    `json:"by,omitempty"`
}

// notify emits TopicResult for a reportable result and opens an alert for a
// critical one.
func (s *Service) notify(ctx context.Context, tx storage.Tx, r Report, res Result) error {
	if res.Status != clinical.ObservationFinal && res.Status != clinical.ObservationCorrected && res.Status != clinical.ObservationAmended {
		return nil
	}
	n := Notification{Report: r.ID, Result: res.ID, Patient: r.Patient, To: r.Requester, Flag: res.Flag(), Urgent: res.Critical()}
	if n.Urgent {
		now := s.now()
		a := Alert{ID: res.ID + "." + string(res.Status), Patient: r.Patient, Report: r.ID, Result: res.ID, Flag: n.Flag,
			To: r.Requester, Status: AlertOpen, Raised: now, Due: now.Add(s.escalate)}
		// A result sent again keeps its alert, acknowledged or not.
		if _, _, err := alerts.Get(ctx, tx, a.ID); errors.Is(err, ehrkit.ErrNotFound) {
			if _, err := alerts.Put(ctx, tx, &a, 0); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		n.Alert = a.ID
	}
	return emit(ctx, tx, TopicResult, res.ID+"/"+string(res.Status), n)
}

func emit(ctx context.Context, tx storage.Tx, topic, key string, n Notification) error {
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	return tx.Emit(ctx, storage.Event{Topic: topic, Key: topic + "/" + key, Compartment: string(n.Patient), Payload: b})
}

// Escalate escalates every open alert past its due time: it is marked
// escalated and TopicEscalated tells the backup (WithEscalation), in one
// transaction per alert. It returns how many alerts it escalated. A program
// calls it periodically (see Escalator); the service's clock decides what is
// overdue.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	now := s.now()
	overdue, _, err := alerts.Query(ctx, s.store, storage.Query{Filters: []storage.Filter{
		{Term: termDue, Op: storage.Le, Value: now.Format(storage.TimeLayout)}}, SortBy: termDue, Limit: storage.MaxLimit})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range overdue {
		err := s.store.Update(ctx, func(tx storage.Tx) error {
			cur, version, err := alerts.Get(ctx, tx, a.ID)
			if err != nil || cur.Status != AlertOpen {
				return err
			}
			cur.Status, cur.Escalated, cur.Backup = AlertEscalated, now, s.backup
			if _, err := alerts.Put(ctx, tx, &cur, version); err != nil {
				return err
			}
			n++
			return emit(ctx, tx, TopicEscalated, cur.ID, Notification{Report: cur.Report, Result: cur.Result, Patient: cur.Patient,
				To: s.backup, Flag: cur.Flag, Urgent: true, Alert: cur.ID})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Escalator runs Service.Escalate every interval until ctx ends.
type Escalator struct {
	Service  *Service
	Interval time.Duration
}

// Run escalates overdue alerts every interval until ctx is cancelled, then
// returns ctx's error; a failed pass is returned at once.
func (e Escalator) Run(ctx context.Context) error {
	t := time.NewTicker(e.Interval)
	defer t.Stop()
	for {
		if _, err := e.Service.Escalate(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Acknowledge records that the principal in ctx took the critical result of
// alert id, and audits it (access.Note, action "lab.acknowledge") in the same
// transaction. Acknowledging twice keeps the first acknowledgement.
func (s *Service) Acknowledge(ctx context.Context, id string) (Alert, error) {
	p, ok := access.PrincipalFrom(ctx)
	if !ok {
		return Alert{}, &access.DeniedError{Action: "lab.acknowledge", Reason: access.ReasonUnauthenticated}
	}
	var out Alert
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		a, version, err := alerts.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		out = a
		if a.Status == AlertAcknowledged {
			return nil
		}
		a.Status, a.Acknowledged, a.By = AlertAcknowledged, s.now(), p.ID
		if _, err := alerts.Put(ctx, tx, &a, version); err != nil {
			return err
		}
		out = a
		return access.Note(ctx, tx, "lab.acknowledge", string(a.Patient), AlertType+"/"+a.ID)
	})
	return out, err
}

// Alerts lists the patient's alerts, open ones included.
func (s *Service) Alerts(ctx context.Context, p patient.ID) ([]Alert, error) {
	var out []Alert
	for a, err := range alerts.All(ctx, s.store, storage.Query{Compartment: string(p), Limit: storage.MaxLimit}) {
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Report returns the report with the id.
func (s *Service) Report(ctx context.Context, id string) (Report, error) {
	r, _, err := reports.Get(ctx, s.store, id)
	return r, err
}
