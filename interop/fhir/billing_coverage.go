package fhir

import (
	"cmp"

	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/patient"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	covpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/coverage_go_proto"
)

// ---- Coverage
//
// A FHIR Coverage is a billing.Coverage, saved through
// (*billing.Service).SaveCoverage: beneficiary is the patient, subscriber
// the subscribing patient when another, subscriberId the member id,
// relationship the subscriber-relationship code, period, order the priority
// (primary when absent) and the class of type plan the plan. The first
// payor is the payer organization, and its identifier of system
// systemPayerID the payer's electronic id (X12 NM109 of loop 2010BB), which
// FHIR's Coverage has no element for.

const (
	systemPayerID       = "https://ehrkit.dev/fhir/sid/x12-payer-id"
	systemRelationship  = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
	systemCoverageClass = "http://terminology.hl7.org/CodeSystem/coverage-class"
)

func coverageFrom(f *covpb.Coverage, id string, rs *Refs) (billing.Coverage, error) {
	c := billing.Coverage{ID: id, Patient: string(readSubject(f.GetBeneficiary(), rs)), MemberID: f.GetSubscriberId().GetValue(),
		Relationship: readCode(f.GetRelationship()), Priority: billing.Priority(f.GetOrder().GetValue()), Period: readPeriod(f.GetPeriod())}
	if c.Priority == 0 {
		c.Priority = billing.Primary
	}
	if sub := string(readSubject(f.GetSubscriber(), rs)); sub != c.Patient {
		c.Subscriber = sub
	}
	if payors := f.GetPayor(); len(payors) > 0 {
		p := payors[0]
		c.Payer = directory.OrganizationID(refID(p, rs, directory.OrganizationType))
		if p.GetIdentifier().GetSystem().GetValue() == systemPayerID {
			c.PayerID = p.GetIdentifier().GetValue().GetValue()
		}
	}
	for _, cl := range f.GetClassValue() {
		if readCode(cl.GetType()) == "plan" {
			c.Plan = cl.GetValue().GetValue()
		}
	}
	return c, nil
}

func coverageTo(c *billing.Coverage) (*covpb.Coverage, error) {
	var err error
	payor := &dtpb.Reference{Identifier: &dtpb.Identifier{System: uri(systemPayerID), Value: str(c.PayerID)}}
	if c.Payer != "" {
		payor = pbIDRef(directory.OrganizationType, string(c.Payer))
		payor.Identifier = &dtpb.Identifier{System: uri(systemPayerID), Value: str(c.PayerID)}
	}
	f := &covpb.Coverage{Id: pbID(c.ID), Status: pbCode[*covpb.Coverage_StatusCode]("active", &err), SubscriberId: str(c.MemberID),
		Beneficiary: pbPatientRef(patient.ID(c.Patient)), Subscriber: pbPatientRef(patient.ID(cmp.Or(c.Subscriber, c.Patient))),
		Period: pbPeriod(c.Period), Relationship: pbCoded(systemRelationship, c.Relationship), Payor: []*dtpb.Reference{payor}}
	if c.Priority > 0 {
		f.Order = &dtpb.PositiveInt{Value: uint32(c.Priority)}
	}
	if c.Plan != "" {
		f.ClassValue = []*covpb.Coverage_Class{{Type: pbCoded(systemCoverageClass, "plan"), Value: str(c.Plan)}}
	}
	return f, err
}

func init() {
	register(protoTyped[billing.Coverage, *covpb.Coverage]{view: billing.CoverageRecords, save: via(billingSvc, (*billing.Service).SaveCoverage),
		from: coverageFrom, to: coverageTo,
		elements: []string{"status", "subscriber", "subscriberId", "beneficiary", "relationship", "period", "payor", "class", "order"}})
}
