package fhir

import (
	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/patient"
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

type fCoverage struct {
	ResourceType string           `json:"resourceType"`
	ID           string           `json:"id,omitempty"`
	Status       string           `json:"status"`
	Subscriber   *fReference      `json:"subscriber,omitempty"`
	SubscriberID string           `json:"subscriberId,omitempty"`
	Beneficiary  *fReference      `json:"beneficiary"`
	Relationship *fConcept        `json:"relationship,omitempty"`
	Period       *fPeriod         `json:"period,omitempty"`
	Payor        []fBillingRef    `json:"payor"`
	Class        []fCoverageClass `json:"class,omitempty"`
	Order        int              `json:"order,omitempty"`
}

type fCoverageClass struct {
	Type  *fConcept `json:"type"`
	Value string    `json:"value"`
}

func coverageFrom(f *fCoverage, id string, rs *Refs) (billing.Coverage, error) {
	c := billing.Coverage{ID: id, Patient: string(subjectOf(f.Beneficiary, rs)), MemberID: f.SubscriberID,
		Relationship: firstCoding(f.Relationship).Code, Priority: billing.Priority(f.Order)}
	if c.Priority == 0 {
		c.Priority = billing.Primary
	}
	if sub := string(subjectOf(f.Subscriber, rs)); sub != c.Patient {
		c.Subscriber = sub
	}
	if len(f.Payor) > 0 {
		p := f.Payor[0]
		c.Payer = directory.OrganizationID(jsonRefID(&fReference{Reference: p.Reference}, rs, directory.OrganizationType))
		if p.Identifier != nil && p.Identifier.System == systemPayerID {
			c.PayerID = p.Identifier.Value
		}
	}
	for _, cl := range f.Class {
		if firstCoding(cl.Type).Code == "plan" {
			c.Plan = cl.Value
		}
	}
	var err error
	c.Period, err = toPeriod(f.Period)
	return c, err
}

func coverageTo(c *billing.Coverage) (fCoverage, error) {
	f := fCoverage{ResourceType: billing.CoverageType, ID: c.ID, Status: "active", SubscriberID: c.MemberID,
		Beneficiary: patientRef(patient.ID(c.Patient)), Subscriber: patientRef(patient.ID(c.Patient)), Period: fromPeriod(c.Period), Order: int(c.Priority),
		Relationship: &fConcept{Coding: []fCoding{{System: systemRelationship, Code: c.Relationship}}},
		Payor:        []fBillingRef{{Identifier: &fIdentifier{System: systemPayerID, Value: c.PayerID}}}}
	if c.Subscriber != "" {
		f.Subscriber = patientRef(patient.ID(c.Subscriber))
	}
	if c.Payer != "" {
		f.Payor[0].Reference = ehrkit.Ref(directory.OrganizationType, string(c.Payer)).String()
	}
	if c.Plan != "" {
		f.Class = []fCoverageClass{{Type: &fConcept{Coding: []fCoding{{System: systemCoverageClass, Code: "plan"}}}, Value: c.Plan}}
	}
	return f, nil
}

func init() {
	register(typed[billing.Coverage, fCoverage]{view: billing.CoverageRecords, save: via(billingSvc, (*billing.Service).SaveCoverage),
		from: coverageFrom, to: coverageTo,
		elements: []string{"status", "subscriber", "subscriberId", "beneficiary", "relationship", "period", "payor", "class", "order"}})
}
