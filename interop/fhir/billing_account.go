package fhir

import (
	"cmp"
	"slices"

	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/patient"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	accpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/account_go_proto"
)

// ---- Account
//
// A FHIR Account is a billing.Account, saved through
// (*billing.Service).SaveAccount: the first subject is the patient, the
// coverages are billed in the order of their priority (then as listed), and
// the first guarantor that is a Patient is the guarantor.

func accountFrom(f *accpb.Account, id string, rs *Refs) (billing.Account, error) {
	a := billing.Account{ID: id, Status: billing.AccountStatus(codeOf(f.GetStatus())), Name: f.GetName().GetValue(),
		ServicePeriod: readPeriod(f.GetServicePeriod())}
	if subjects := f.GetSubject(); len(subjects) > 0 {
		a.Patient = refID(subjects[0], rs, patient.RecordType)
	}
	covs := slices.Clone(f.GetCoverage())
	slices.SortStableFunc(covs, func(x, y *accpb.Account_Coverage) int {
		return cmp.Compare(x.GetPriority().GetValue(), y.GetPriority().GetValue())
	})
	for _, c := range covs {
		a.Coverages = append(a.Coverages, readRef(c.GetCoverage(), rs).ID)
	}
	for _, g := range f.GetGuarantor() {
		if id := refID(g.GetParty(), rs, patient.RecordType); id != "" {
			a.Guarantor = id
			break
		}
	}
	return a, nil
}

func accountTo(a *billing.Account) (*accpb.Account, error) {
	var err error
	f := &accpb.Account{Id: pbID(a.ID), Status: pbCode[*accpb.Account_StatusCode](string(a.Status), &err), Name: str(a.Name),
		ServicePeriod: pbPeriod(a.ServicePeriod)}
	if a.Patient != "" {
		f.Subject = []*dtpb.Reference{pbPatientRef(patient.ID(a.Patient))}
	}
	for i, c := range a.Coverages {
		f.Coverage = append(f.Coverage, &accpb.Account_Coverage{Coverage: pbIDRef(billing.CoverageType, c), Priority: &dtpb.PositiveInt{Value: uint32(i + 1)}})
	}
	if a.Guarantor != "" {
		f.Guarantor = []*accpb.Account_Guarantor{{Party: pbPatientRef(patient.ID(a.Guarantor))}}
	}
	return f, err
}

func init() {
	register(protoTyped[billing.Account, *accpb.Account]{view: billing.AccountRecords, save: via(billingSvc, (*billing.Service).SaveAccount),
		from: accountFrom, to: accountTo, elements: []string{"status", "name", "subject", "servicePeriod", "coverage", "guarantor"}})
}
