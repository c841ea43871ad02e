package billing

import (
	"context"
	"strconv"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// CoverageType is the record type of coverages (FHIR Coverage).
const CoverageType = "Coverage"

// Priority orders a patient's coverages for coordination of benefits.
type Priority int

// Coverage priorities (FHIR Coverage.order; X12 SBR01 P, S, T).
const (
	Primary   Priority = 1
	Secondary Priority = 2
	Tertiary  Priority = 3
)

// Relationship of the patient to the subscriber (FHIR subscriber-relationship
// codes).
const (
	RelationshipSelf   = "self"
	RelationshipSpouse = "spouse"
	RelationshipChild  = "child"
	RelationshipOther  = "other"
)

// Coverage is a patient's insurance with one payer.
type Coverage struct {
	ID           string                   `json:"id"`
	Patient      string                   `json:"patient"`
	Payer        directory.OrganizationID `json:"payer"`   // the payer as a directory organization
	PayerID      string                   `json:"payerId"` // the payer's electronic id (X12 NM109 of 2010BB)
	Plan         string                   `json:"plan,omitempty"`
	MemberID     string                   `json:"memberId"`
	Subscriber   string                   `json:"subscriber,omitempty"` // subscriber's patient id when not the patient
	Relationship string                   `json:"relationship"`
	Priority     Priority                 `json:"priority"`
	Period       ehrkit.Period            `json:"period"`
}

var coverages = storage.Kind[Coverage]{
	Type: CoverageType, Version: 1,
	Meta: func(c *Coverage) storage.Meta {
		terms := []storage.Term{{Name: "priority", Value: strconv.Itoa(int(c.Priority))}}
		if c.Subscriber != "" {
			terms = append(terms, storage.Term{Name: "subscriber", Value: c.Subscriber})
		}
		return storage.Meta{ID: c.ID, Compartment: c.Patient, Terms: terms}
	},
}

// CoverageRecords is a read-only view of the stored coverages.
var CoverageRecords = coverages.View()

// Validate checks a coverage on its own, listing every problem.
func (c *Coverage) Validate() error {
	var v ehrkit.Issues
	v.Check(c.ID == "" || storage.ValidID(c.ID), "id", ehrkit.IssueValue, "not a valid record id")
	v.Required("patient", c.Patient != "")
	v.Required("payerId", c.PayerID != "")
	v.Required("memberId", c.MemberID != "")
	switch c.Relationship {
	case RelationshipSelf, RelationshipSpouse, RelationshipChild, RelationshipOther:
	default:
		v.Add("relationship", ehrkit.IssueCodeInvalid, "not a subscriber relationship")
	}
	v.Check(c.Relationship == RelationshipSelf || c.Subscriber != "", "subscriber", ehrkit.IssueRequired, "required when the patient is not the subscriber")
	v.Check(c.Priority >= Primary && c.Priority <= Tertiary, "priority", ehrkit.IssueValue, "must be 1 (primary), 2 (secondary) or 3 (tertiary)")
	v.Check(c.Period.End.IsZero() || c.Period.End.After(c.Period.Start), "period", ehrkit.IssueInvariant, "ends before it starts")
	return v.Err()
}

func overlaps(a, b ehrkit.Period) bool {
	return (a.End.IsZero() || b.Start.Before(a.End)) && (b.End.IsZero() || a.Start.Before(b.End))
}

// SaveCoverage stores a coverage as given inside the caller's transaction:
// validated, its patient, subscriber and payer organization checked in tx,
// and no other coverage of the patient holding the same priority over an
// overlapping period (a business-rule issue at "priority").
func (s *Service) SaveCoverage(ctx context.Context, tx storage.Tx, c Coverage) (storage.Outcome, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	var is ehrkit.Issues
	if err := patient.CheckRef(ctx, tx, patient.ID(c.Patient), "patient", &is); err != nil {
		return "", err
	}
	if c.Subscriber != "" {
		if err := patient.CheckRef(ctx, tx, patient.ID(c.Subscriber), "subscriber", &is); err != nil {
			return "", err
		}
	}
	if err := directory.CheckOrganizationRef(ctx, tx, c.Payer, "payer", &is); err != nil {
		return "", err
	}
	for other, err := range coverages.All(ctx, tx, storage.Query{Compartment: c.Patient}) {
		if err != nil {
			return "", err
		}
		if other.ID != c.ID && other.Priority == c.Priority && overlaps(other.Period, c.Period) {
			is.Add("priority", ehrkit.IssueBusinessRule, "another coverage of the patient has this priority over the same period")
		}
	}
	if err := is.Err(); err != nil {
		return "", err
	}
	return coverages.Save(ctx, tx, &c, nil)
}

// AddCoverage stores a new coverage and returns it with its id.
func (s *Service) AddCoverage(ctx context.Context, c Coverage) (Coverage, error) {
	if c.ID == "" {
		c.ID = s.ids.NewID()
	}
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		_, err := s.SaveCoverage(ctx, tx, c)
		return err
	})
	return c, err
}
