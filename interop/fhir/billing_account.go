package fhir

import (
	"cmp"
	"slices"

	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/patient"
)

// ---- Account
//
// A FHIR Account is a billing.Account, saved through
// (*billing.Service).SaveAccount: the first subject is the patient, the
// coverages are billed in the order of their priority (then as listed), and
// the first guarantor that is a Patient is the guarantor.

type fAccount struct {
	ResourceType  string              `json:"resourceType"`
	ID            string              `json:"id,omitempty"`
	Status        string              `json:"status"`
	Name          string              `json:"name,omitempty"`
	Subject       []fReference        `json:"subject,omitempty"`
	ServicePeriod *fPeriod            `json:"servicePeriod,omitempty"`
	Coverage      []fAccountCoverage  `json:"coverage,omitempty"`
	Guarantor     []fAccountGuarantor `json:"guarantor,omitempty"`
}

type fAccountCoverage struct {
	Coverage *fReference `json:"coverage"`
	Priority int         `json:"priority,omitempty"`
}

type fAccountGuarantor struct {
	Party *fReference `json:"party"`
}

func accountFrom(f *fAccount, id string, rs *Refs) (billing.Account, error) {
	a := billing.Account{ID: id, Status: billing.AccountStatus(f.Status), Name: f.Name}
	if len(f.Subject) > 0 {
		a.Patient = jsonRefID(&f.Subject[0], rs, patient.RecordType)
	}
	covs := slices.Clone(f.Coverage)
	slices.SortStableFunc(covs, func(x, y fAccountCoverage) int { return cmp.Compare(x.Priority, y.Priority) })
	for _, c := range covs {
		a.Coverages = append(a.Coverages, toRef(c.Coverage, rs).ID)
	}
	for _, g := range f.Guarantor {
		if id := jsonRefID(g.Party, rs, patient.RecordType); id != "" {
			a.Guarantor = id
			break
		}
	}
	var err error
	a.ServicePeriod, err = toPeriod(f.ServicePeriod)
	return a, err
}

func accountTo(a *billing.Account) (fAccount, error) {
	f := fAccount{ResourceType: billing.AccountType, ID: a.ID, Status: string(a.Status), Name: a.Name,
		Subject: []fReference{*patientRef(patient.ID(a.Patient))}, ServicePeriod: fromPeriod(a.ServicePeriod)}
	for i, c := range a.Coverages {
		f.Coverage = append(f.Coverage, fAccountCoverage{Coverage: idRef(billing.CoverageType, c), Priority: i + 1})
	}
	if a.Guarantor != "" {
		f.Guarantor = []fAccountGuarantor{{Party: patientRef(patient.ID(a.Guarantor))}}
	}
	return f, nil
}

func init() {
	register(typed[billing.Account, fAccount]{view: billing.AccountRecords, save: via(billingSvc, (*billing.Service).SaveAccount),
		from: accountFrom, to: accountTo, elements: []string{"status", "name", "subject", "servicePeriod", "coverage", "guarantor"}})
}
