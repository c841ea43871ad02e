// Package hl7feed wires the HL7 v2 receiver of the example programs (hl7
// ingest, hl7listener) over a store: the ADT, ORU, ORM/OML and SIU handlers
// over the domain services fhir.NewServices builds (lab reports matched to
// rx's laboratory orders by placer number), on a trusted store, as the
// system principal "hl7". Results are filed leniently (hl7v2.ORUHandler's
// Lenient): a lab's local code or a unit outside UCUM is kept as sent and
// labelled ehrkit.LabelUnverifiedCode rather than keeping the result from
// the chart and the clinician. Counts reads back what a feed left in the
// store.
package hl7feed

import (
	"context"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Feed is a receiver and the services it writes through.
type Feed struct {
	Receiver *hl7v2.Receiver
	Services *fhir.Services
	store    storage.Store
}

// New wires a feed over store.
func New(store storage.Store) (*Feed, error) {
	store = access.Trusted(store)
	svc, err := fhir.NewServices(store)
	if err != nil {
		return nil, err
	}
	return &Feed{store: store, Services: svc, Receiver: &hl7v2.Receiver{
		ADT:    &hl7v2.ADTHandler{Patients: svc.Patients, Store: store},
		ORU:    &hl7v2.ORUHandler{Lab: svc.Lab, Store: store, Lenient: true},
		Orders: &hl7v2.OrderHandler{Orders: svc.Orders, Patients: svc.Patients, Store: store},
		SIU:    &hl7v2.SIUHandler{Schedule: svc.Schedule, Patients: svc.Patients, Store: store},
	}}, nil
}

// Context is ctx with the feed's principal, the system "hl7".
func Context(ctx context.Context) context.Context {
	return access.WithPrincipal(ctx, access.Principal{Kind: access.System, ID: "hl7"})
}

// Counts is what the store holds: current (not merged away) patients,
// laboratory results of reports filed to a patient, and open entries of the
// reconciliation queue.
type Counts struct {
	Patients, Results, Reconciliation int
}

// Counts reads the counts from the store.
func (f *Feed) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := each(ctx, f.store, patient.RecordType, func(r storage.Record) error {
		p, err := patient.Records.Decode(r)
		if err == nil && p.ReplacedBy() == "" {
			c.Patients++
		}
		return err
	})
	if err != nil {
		return c, err
	}
	err = each(ctx, f.store, lab.ReportType, func(r storage.Record) error {
		rep, err := lab.ReportRecords.Decode(r)
		c.Results += len(rep.Results)
		return err
	})
	if err != nil {
		return c, err
	}
	q, err := f.Services.Lab.Queue(ctx)
	c.Reconciliation = len(q)
	return c, err
}

// each calls fn for every current record of a type, page by page.
func each(ctx context.Context, s storage.Store, typ string, fn func(storage.Record) error) error {
	q := storage.Query{Type: typ, Limit: storage.MaxLimit}
	for {
		page, err := s.Query(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			if err := fn(r); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
}
