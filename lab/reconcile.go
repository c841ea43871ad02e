package lab

import (
	"context"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Incoming is a report whose patient the sender names by identifiers (an
// unsolicited ORU's PID-3) and demographics rather than by ehrkit id.
type Incoming struct {
	Report Report `json:"report"`
	patient.Named
}

// Queued is a report that matched no patient confidently, waiting for a
// person to say whose it is (Service.Resolve).
type Queued struct {
	ID       string   `json:"id"`
	Incoming Incoming `json:"incoming"`
	patient.Reconciliation
}

var queue = storage.Kind[Queued]{Type: QueueType, Version: 1, Meta: func(q *Queued) storage.Meta {
	return storage.Meta{ID: q.ID, Terms: add(nil, termStatus, string(q.Status))}
}}

// Receive files an incoming report in tx: to the one current patient every
// identifier the sender gave points to, whose birth date and gender (when
// both sides know them) agree, through SaveReport; otherwise into the
// reconciliation queue, never dropped and never attached to a patient it is
// not sure of. It returns the patient, or "" and the id of the queue entry
// (the report's id).
func (s *Service) Receive(ctx context.Context, tx storage.Tx, in Incoming) (patient.ID, string, error) {
	p, reason, err := patient.Identify(ctx, tx, in.Named)
	if err != nil {
		return "", "", err
	}
	if reason == "" {
		in.Report.Patient = p
		_, err := s.SaveReport(ctx, tx, in.Report)
		return p, "", err
	}
	var is ehrkit.Issues
	is.Check(storage.ValidID(in.Report.ID), "report.id", ehrkit.IssueValue, "malformed id")
	if err := is.Err(); err != nil {
		return "", "", err
	}
	in.Report.Patient = ""
	q := Queued{ID: in.Report.ID, Incoming: in, Reconciliation: patient.Reconciliation{Reason: reason, Status: patient.QueueOpen, Received: s.now()}}
	_, err = queue.Save(ctx, tx, &q, func(previous *Queued) error {
		if previous != nil {
			q.Received = previous.Received
		}
		return nil
	})
	return "", q.ID, err
}

// Queue lists the open entries of the reconciliation queue.
func (s *Service) Queue(ctx context.Context) ([]Queued, error) {
	var out []Queued
	for q, err := range queue.All(ctx, s.store, storage.Query{Filters: []storage.Filter{{Term: termStatus, Op: storage.Eq, Value: string(patient.QueueOpen)}}, Limit: storage.MaxLimit}) {
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// Resolve files the queued report id to patient p through SaveReport and
// closes the entry, audited as "lab.reconcile", in one transaction.
func (s *Service) Resolve(ctx context.Context, id string, p patient.ID) error {
	pr, ok := access.PrincipalFrom(ctx)
	if !ok {
		return &access.DeniedError{Action: "lab.reconcile", Reason: access.ReasonUnauthenticated}
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		q, version, err := queue.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := q.Resolve(p, pr.ID, s.now()); err != nil {
			return err
		}
		r := q.Incoming.Report
		r.Patient = p
		if _, err := s.SaveReport(ctx, tx, r); err != nil {
			return err
		}
		if _, err := queue.Put(ctx, tx, &q, version); err != nil {
			return err
		}
		return access.Note(ctx, tx, "lab.reconcile", string(p), QueueType+"/"+q.ID)
	})
}
