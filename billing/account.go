package billing

import (
	"context"
	"errors"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// AccountType is the record type of patient accounts (FHIR Account).
const AccountType = "Account"

// AccountStatus is an account's state (FHIR account-status codes).
type AccountStatus string

// Account states.
const (
	AccountActive   AccountStatus = "active"
	AccountInactive AccountStatus = "inactive"
	AccountOnHold   AccountStatus = "on-hold"
)

// Account is a patient's billing account: the coverages that pay for the
// patient's care in the order they are billed, and the guarantor (a
// patient id; the patient when empty) who answers for the patient's share
// (GuarantorStatement).
type Account struct {
	ID            string        `json:"id"`
	Patient       string        `json:"patient"`
	Status        AccountStatus `json:"status"`
	Name          string        `json:"name,omitempty"`
	ServicePeriod ehrkit.Period `json:"servicePeriod,omitzero"`
	Coverages     []string      `json:"coverages,omitempty"` // coverage ids, billed in this order
	Guarantor     string        `json:"guarantor,omitempty"`
}

var accounts = storage.Kind[Account]{
	Type: AccountType, Version: 1,
	Meta: func(a *Account) storage.Meta {
		terms := []storage.Term{{Name: "status", Value: string(a.Status)}}
		if a.Guarantor != "" {
			terms = append(terms, storage.Term{Name: "guarantor", Value: a.Guarantor})
		}
		return storage.Meta{ID: a.ID, Compartment: a.Patient, Terms: terms}
	},
}

// AccountRecords is a read-only view of the stored accounts.
var AccountRecords = accounts.View()

// Validate checks an account on its own, listing every problem: a record
// id, a patient, a known status, coverage ids named once, a guarantor id.
func (a *Account) Validate() error {
	var v ehrkit.Issues
	v.Check(storage.ValidID(a.ID), "id", ehrkit.IssueValue, "not a valid record id")
	v.Required("patient", a.Patient != "")
	switch a.Status {
	case AccountActive, AccountInactive, AccountOnHold:
	default:
		v.Add("status", ehrkit.IssueCodeInvalid, "not an account status")
	}
	seen := map[string]bool{}
	for i, c := range a.Coverages {
		p := ehrkit.Index("coverages", i)
		v.Check(storage.ValidID(c), p, ehrkit.IssueValue, "not a valid record id")
		v.Check(!seen[c], p, ehrkit.IssueDuplicate, "the coverage is named twice")
		seen[c] = true
	}
	v.Check(a.Guarantor == "" || storage.ValidID(a.Guarantor), "guarantor", ehrkit.IssueValue, "not a valid record id")
	v.Check(a.ServicePeriod.End.IsZero() || !a.ServicePeriod.End.Before(a.ServicePeriod.Start), "servicePeriod", ehrkit.IssueInvariant, "ends before it starts")
	return v.Err()
}

// SaveAccount stores an account as given inside the caller's transaction:
// validated, its patient and guarantor checked in tx, and each coverage a
// stored coverage of the patient. An update may not move it to another
// patient.
func (s *Service) SaveAccount(ctx context.Context, tx storage.Tx, a Account) (storage.Outcome, error) {
	if err := a.Validate(); err != nil {
		return "", err
	}
	var is ehrkit.Issues
	if err := patient.CheckRef(ctx, tx, patient.ID(a.Patient), "patient", &is); err != nil {
		return "", err
	}
	if a.Guarantor != "" {
		if err := patient.CheckRef(ctx, tx, patient.ID(a.Guarantor), "guarantor", &is); err != nil {
			return "", err
		}
	}
	for i, id := range a.Coverages {
		c, _, err := coverages.Get(ctx, tx, id)
		switch {
		case errors.Is(err, ehrkit.ErrNotFound):
			is.Add(ehrkit.Index("coverages", i), ehrkit.IssueValue, "no such coverage")
		case err != nil:
			return "", err
		default:
			is.Check(c.Patient == a.Patient, ehrkit.Index("coverages", i), ehrkit.IssueBusinessRule, "a coverage of another patient")
		}
	}
	if err := is.Err(); err != nil {
		return "", err
	}
	return accounts.Save(ctx, tx, &a, func(previous *Account) error {
		if previous == nil || previous.Patient == a.Patient {
			return nil
		}
		var is ehrkit.Issues
		is.Add("patient", ehrkit.IssueInvariant, "cannot change")
		return is.Err()
	})
}
