package rx

import (
	"context"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Read-only views of orders, for packages that read them in their own
// transactions (an exporter, a report). Writes go through the Service.
var (
	MedicationRequestRecords = medicationRequests.View()
	ServiceRequestRecords    = serviceRequests.View()
)

// SaveOrder stores an order as given inside the caller's transaction: the
// entry point of importers and feeds (FHIR, HL7) that compose several domain
// writes in one transaction. The order is validated (it needs an id and a
// status), its patient must exist and not have been merged away and its
// encounter, if any, must be the patient's (an *ehrkit.ValidationError names
// the field), and an update may not move it to another patient or kind. An
// order that is or was active or on hold enters or leaves the patient's
// medication list in step (the ledger the drug checks at signing read), an
// act of rx.sign. The order is kept as sent: it is not checked against the
// knowledge base and not queued for the pharmacy, since the system that
// signed it did both. The record is created, replaced when it differs, or
// left as it is (storage.Outcome).
func (s *Service) SaveOrder(ctx context.Context, tx storage.Tx, o Order) (storage.Outcome, error) {
	var v ehrkit.Issues
	v.Check(storage.ValidID(o.ID), "id", ehrkit.IssueValue, "malformed id")
	v.Required("status", o.Status != "")
	v.Merge("", ehrkit.Tolerate(ctx, o.Validate()))
	if err := v.Err(); err != nil {
		return "", err
	}
	if err := checkRefs(ctx, tx, &o, "", &v); err != nil {
		return "", err
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	return kindOf(o.Kind).Save(ctx, tx, &o, func(previous *Order) error {
		if previous != nil {
			var is ehrkit.Issues
			is.Check(previous.Patient == o.Patient, "patient", ehrkit.IssueInvariant, "cannot change")
			is.Check(previous.Kind == o.Kind, "kind", ehrkit.IssueInvariant, "cannot change")
			if err := is.Err(); err != nil {
				return err
			}
		}
		return enter(ctx, tx, &o, previous)
	})
}

// ActiveMedications lists the patient's active medication orders as a
// clinical summary shows them, which makes the Service the
// clinical.MedicationSource of clinical.WithMedications.
func (s *Service) ActiveMedications(ctx context.Context, p patient.ID) ([]clinical.Medication, error) {
	orders, err := s.Orders(ctx, p, Active)
	if err != nil {
		return nil, err
	}
	var out []clinical.Medication
	for _, o := range orders {
		if o.Kind != KindMedication || o.Medication == nil {
			continue
		}
		m := o.Medication
		out = append(out, clinical.Medication{
			Code:   ehrkit.CodeableConcept{Coding: []ehrkit.Coding{m.Medication}, Text: m.Medication.Display},
			Dosage: m.dosage(), Since: o.Signed, Source: ehrkit.Ref(MedicationRequestType, o.ID),
		})
	}
	return out, nil
}

var _ clinical.MedicationSource = (*Service)(nil)

// dosage is the dosage instruction as text: the prescriber's instructions,
// else dose, route and frequency ("1 tablet oral 2 per day").
func (m *MedicationDetail) dosage() string {
	if m.Instructions != "" {
		return m.Instructions
	}
	var parts []string
	if m.Dose.Value.IsPositive() {
		parts = append(parts, m.Dose.Value.String()+" "+strings.Trim(m.Dose.Unit, "{}"))
	}
	if m.Route != "" {
		parts = append(parts, m.Route)
	}
	if m.FrequencyPerDay.IsPositive() {
		parts = append(parts, m.FrequencyPerDay.String()+" per day")
	}
	return strings.Join(parts, " ")
}
