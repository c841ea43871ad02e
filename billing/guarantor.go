package billing

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// GuarantorStatement is the account of a guarantor as of a day: one
// section per patient the guarantor answers for (the guarantor's own
// account, the patients whose coverage names the guarantor as subscriber
// or whose account names the guarantor, and the patients whose invoices are
// addressed to the guarantor), in
// patient order, each a patient's Statement, and the totals over them.
// A patient with nothing open has no section.
type GuarantorStatement struct {
	Guarantor string      `json:"guarantor"`
	AsOf      time.Time   `json:"asOf"`
	Currency  string      `json:"currency"`
	Patients  []Statement `json:"patients"`
	// Totals over the sections.
	Ledger       Ledger              `json:"ledger"`
	PatientAging [AgingBuckets]Money `json:"patientAging"`
}

// PatientDue is what the statement asks the guarantor to pay.
func (g GuarantorStatement) PatientDue() Money { return g.Ledger.PatientDue() }

// NewGuarantorStatement combines the statements of the patients a
// guarantor answers for, all of one day and currency, leaving out those
// with nothing open (no line and no open invoice); a statement of another
// day or currency is an error.
func NewGuarantorStatement(guarantor string, sections []Statement, asOf time.Time, currency string) (GuarantorStatement, error) {
	zero, err := zeroMoney(currency)
	if err != nil {
		return GuarantorStatement{}, err
	}
	g := GuarantorStatement{Guarantor: guarantor, AsOf: asOf, Currency: currency, Ledger: zeroLedger(zero)}
	for i := range g.PatientAging {
		g.PatientAging[i] = zero
	}
	for _, st := range sections {
		if st.Currency != currency {
			return GuarantorStatement{}, ErrCurrencyMismatch
		}
		if !st.AsOf.Equal(asOf) {
			return GuarantorStatement{}, errOtherDay
		}
		if len(st.Lines) == 0 && len(st.Invoices) == 0 {
			continue
		}
		g.Patients = append(g.Patients, st)
		g.Ledger = g.Ledger.add(st.Ledger)
		for i, m := range st.PatientAging {
			g.PatientAging[i] = g.PatientAging[i].plus(m)
		}
	}
	slices.SortFunc(g.Patients, func(a, b Statement) int { return cmp.Compare(a.Patient, b.Patient) })
	return g, nil
}

// GuarantorStatement builds the statement of a guarantor (a patient id)
// from the stored coverages, accounts, claims and invoices
// (NewGuarantorStatement).
func (s *Service) GuarantorStatement(ctx context.Context, guarantor string, asOf time.Time, currency string) (GuarantorStatement, error) {
	patients := map[string]bool{guarantor: true}
	err := each(ctx, s.store, coverages, storage.Query{Filters: []storage.Filter{{Term: "subscriber", Op: storage.Eq, Value: guarantor}}},
		func(cs iter.Seq[Coverage]) error {
			for c := range cs {
				patients[c.Patient] = true
			}
			return nil
		})
	if err != nil {
		return GuarantorStatement{}, err
	}
	err = each(ctx, s.store, invoices, storage.Query{Filters: []storage.Filter{{Term: "recipient", Op: storage.Eq, Value: guarantor}}},
		func(is iter.Seq[Invoice]) error {
			for inv := range is {
				patients[inv.Patient] = true
			}
			return nil
		})
	if err != nil {
		return GuarantorStatement{}, err
	}
	err = each(ctx, s.store, accounts, storage.Query{Filters: []storage.Filter{{Term: "guarantor", Op: storage.Eq, Value: guarantor}}},
		func(as iter.Seq[Account]) error {
			for a := range as {
				patients[a.Patient] = true
			}
			return nil
		})
	if err != nil {
		return GuarantorStatement{}, err
	}
	var sections []Statement
	for p := range patients {
		st, err := s.Statement(ctx, p, asOf, currency)
		if err != nil {
			return GuarantorStatement{}, err
		}
		sections = append(sections, st)
	}
	return NewGuarantorStatement(guarantor, sections, asOf, currency)
}

var errOtherDay = fmt.Errorf("billing: guarantor statement given a statement of another day: %w", ehrkit.ErrInvalid)
