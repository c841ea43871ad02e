package rx

import (
	"slices"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/shopspring/decimal"
)

// OrderKind says what an order asks for. Medication orders are FHIR
// MedicationRequests; the others are ServiceRequests.
type OrderKind string

// Order kinds.
const (
	KindMedication OrderKind = "medication"
	KindLab        OrderKind = "lab"
	KindImaging    OrderKind = "imaging"
	KindReferral   OrderKind = "referral"
)

// RecordType returns the FHIR resource type, which is also the storage record
// type, of orders of the kind.
func (k OrderKind) RecordType() string {
	if k == KindMedication {
		return MedicationRequestType
	}
	return ServiceRequestType
}

// Storage record types of orders.
const (
	MedicationRequestType = "MedicationRequest"
	ServiceRequestType    = "ServiceRequest"
)

// Status is the state of an order, with FHIR MedicationRequest status codes.
type Status string

// Order statuses. A ServiceRequest has no "stopped", and its "cancelled" is
// FHIR's "revoked" (see FHIRStatus).
const (
	Draft          Status = "draft"
	Active         Status = "active"
	OnHold         Status = "on-hold"
	Completed      Status = "completed"
	Cancelled      Status = "cancelled"
	Stopped        Status = "stopped"
	EnteredInError Status = "entered-in-error"
)

// transitions lists the statuses each status may move to. Signing moves a
// draft to active; completed, cancelled, stopped and entered-in-error are
// final except that anything may be marked entered in error.
var transitions = map[Status][]Status{
	Draft:     {Active, Cancelled, EnteredInError},
	Active:    {OnHold, Completed, Cancelled, Stopped, EnteredInError},
	OnHold:    {Active, Completed, Cancelled, Stopped, EnteredInError},
	Completed: {EnteredInError},
	Cancelled: {EnteredInError},
	Stopped:   {EnteredInError},
}

// CanMove reports whether an order of the kind may go from one status to
// another.
func CanMove(kind OrderKind, from, to Status) bool {
	if to == Stopped && kind != KindMedication {
		return false
	}
	return slices.Contains(transitions[from], to)
}

// FHIRStatus returns the FHIR status code of an order of the kind.
func FHIRStatus(kind OrderKind, s Status) string {
	if kind != KindMedication && s == Cancelled {
		return "revoked"
	}
	return string(s)
}

// Priorities (FHIR request-priority).
const (
	PriorityRoutine = "routine"
	PriorityUrgent  = "urgent"
	PriorityASAP    = "asap"
	PriorityStat    = "stat"
)

// Order is a CPOE order. Exactly one of Medication, Lab, Imaging and Referral
// is set, matching Kind.
type Order struct {
	ID        string     `json:"id"`
	Patient   patient.ID `json:"patient"`
	Kind      OrderKind  `json:"kind"`
	Status    Status     `json:"status"`
	Priority  string     `json:"priority,omitempty"`
	Requester string     `json:"requester"` // the prescriber's Practitioner id
	// Encounter is the id of the patient's encounter the order was placed in,
	// if any.
	Encounter string `json:"encounter,omitempty"`
	// Reasons are the indications (conditions or findings).
	Reasons    []ehrkit.CodeableConcept `json:"reasons,omitempty"`
	Note       string                   `json:"note,omitempty"`
	Medication *MedicationDetail        `json:"medication,omitempty"`
	Lab        *LabDetail               `json:"lab,omitempty"`
	Imaging    *ImagingDetail           `json:"imaging,omitempty"`
	Referral   *ReferralDetail          `json:"referral,omitempty"`
	// OrderSet is the ID of the order set the order came from, if any.
	OrderSet string    `json:"orderSet,omitempty"`
	Authored time.Time `json:"authored"`
	Signed   time.Time `json:"signed,omitzero"`
	SignedBy string    `json:"signedBy,omitempty"` // principal id
	// Alerts are the findings of the last check (at draft, then at signing).
	Alerts []Alert `json:"alerts,omitempty"`
	// Override records the acknowledgement that let an order with
	// interruptive alerts be signed.
	Override      *Override `json:"override,omitempty"`
	StatusReason  string    `json:"statusReason,omitempty"`
	StatusChanged time.Time `json:"statusChanged,omitzero"`
}

// MedicationDetail is what a medication order prescribes.
type MedicationDetail struct {
	// Medication is an RxNorm product or ingredient.
	Medication      ehrkit.Coding   `json:"medication"`
	Dose            ehrkit.Quantity `json:"dose"`
	Route           string          `json:"route,omitempty"`
	FrequencyPerDay decimal.Decimal `json:"frequencyPerDay"`
	DurationDays    int             `json:"durationDays,omitempty"`
	// Quantity is the amount to dispense.
	Quantity            ehrkit.Quantity `json:"quantity"`
	Refills             int             `json:"refills,omitempty"`
	SubstitutionAllowed bool            `json:"substitutionAllowed"`
	Instructions        string          `json:"instructions,omitempty"`
}

// LabDetail is a laboratory order.
type LabDetail struct {
	Test     ehrkit.Coding `json:"test"`              // LOINC
	Specimen ehrkit.Coding `json:"specimen,omitzero"` // specimen type
}

// ImagingDetail is an imaging order.
type ImagingDetail struct {
	Procedure ehrkit.Coding `json:"procedure"`         // procedure code (LOINC, CPT, SNOMED CT)
	Modality  string        `json:"modality"`          // DICOM modality code: CT, MR, US, CR, DX, NM, PT, MG, XA
	BodySite  ehrkit.Coding `json:"bodySite,omitzero"` // SNOMED CT body structure
	// Accession is the accession number the imaging department gives the
	// request (DICOM (0008,0050)); a study arriving with it completes the
	// order (CompleteImaging).
	Accession string `json:"accession,omitempty"`
}

// ReferralDetail is a referral to another service or specialty.
type ReferralDetail struct {
	Specialty ehrkit.Coding `json:"specialty"`
	To        string        `json:"to,omitempty"` // Practitioner or Organization id, when known
}

// Override is the acknowledgement of interruptive alerts at signing.
type Override struct {
	Reason string    `json:"reason"`
	By     string    `json:"by"` // principal id
	At     time.Time `json:"at"`
	// Rules are the rule IDs of the alerts overridden.
	Rules []string `json:"rules"`
}

var modalities = []string{"CT", "MR", "US", "CR", "DX", "NM", "PT", "MG", "XA", "RF", "OT"}

// Validate checks an order and returns one *ehrkit.ValidationError naming every
// problem; every string it holds must be text (ehrkit.CheckStrings: at most
// ehrkit.MaxText bytes of valid UTF-8 without control characters).
func (o *Order) Validate() error {
	var v ehrkit.Issues
	v.Required("patient", o.Patient != "")
	v.Required("requester", strings.TrimSpace(o.Requester) != "")
	v.Check(o.Status == "" || transitions[o.Status] != nil || o.Status == EnteredInError, "status", ehrkit.IssueCodeInvalid, "unknown status")
	v.Check(o.Priority == "" || slices.Contains([]string{PriorityRoutine, PriorityUrgent, PriorityASAP, PriorityStat}, o.Priority),
		"priority", ehrkit.IssueCodeInvalid, "unknown priority")
	for i, r := range o.Reasons {
		v.Merge(ehrkit.Index("reasons", i), r.Validate())
	}
	details := 0
	for _, set := range []bool{o.Medication != nil, o.Lab != nil, o.Imaging != nil, o.Referral != nil} {
		if set {
			details++
		}
	}
	v.Check(details <= 1, "", ehrkit.IssueInvariant, "an order has one detail")
	switch o.Kind {
	case KindMedication:
		v.Check(o.Medication != nil, "medication", ehrkit.IssueRequired, "is required")
		if o.Medication != nil {
			v.Merge("medication", o.Medication.validate())
		}
	case KindLab:
		v.Check(o.Lab != nil, "lab", ehrkit.IssueRequired, "is required")
		if o.Lab != nil {
			v.Check(o.Lab.Test.System == ehrkit.SystemLOINC, "lab.test.system", ehrkit.IssueCodeInvalid, "must be LOINC")
			v.Merge("lab.test", o.Lab.Test.Validate())
		}
	case KindImaging:
		v.Check(o.Imaging != nil, "imaging", ehrkit.IssueRequired, "is required")
		if o.Imaging != nil {
			v.Merge("imaging.procedure", o.Imaging.Procedure.Validate())
			v.Check(slices.Contains(modalities, o.Imaging.Modality), "imaging.modality", ehrkit.IssueCodeInvalid, "unknown DICOM modality")
		}
	case KindReferral:
		v.Check(o.Referral != nil, "referral", ehrkit.IssueRequired, "is required")
		if o.Referral != nil {
			v.Merge("referral.specialty", o.Referral.Specialty.Validate())
		}
	default:
		v.Add("kind", ehrkit.IssueCodeInvalid, "unknown order kind")
	}
	ehrkit.CheckStrings(&v, "", o)
	return v.Err()
}

func (m *MedicationDetail) validate() error {
	var v ehrkit.Issues
	v.Check(m.Medication.System == ehrkit.SystemRxNorm, "medication.system", ehrkit.IssueCodeInvalid, "must be RxNorm")
	v.Merge("medication", m.Medication.Validate())
	if !m.Dose.Value.IsZero() || m.Dose.Unit != "" {
		v.Check(m.Dose.Value.IsPositive(), "dose.value", ehrkit.IssueValue, "must be positive")
		v.Required("dose.unit", m.Dose.Unit != "")
	}
	v.Check(!m.FrequencyPerDay.IsNegative(), "frequencyPerDay", ehrkit.IssueValue, "must not be negative")
	v.Check(m.DurationDays >= 0, "durationDays", ehrkit.IssueValue, "must not be negative")
	v.Check(!m.Quantity.Value.IsNegative(), "quantity.value", ehrkit.IssueValue, "must not be negative")
	v.Check(m.Refills >= 0 && m.Refills <= 99, "refills", ehrkit.IssueValue, "must be between 0 and 99")
	return v.Err()
}

// proposed is the order as the engine sees it.
func (m *MedicationDetail) proposed() Proposed {
	return Proposed{Medication: m.Medication, Dose: m.Dose, FrequencyPerDay: m.FrequencyPerDay, Route: m.Route}
}

// OrderSet is a named template of orders applied to a patient in one step
// (Service.ApplyOrderSet). Its orders carry no patient, status or id.
type OrderSet struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Orders []Order `json:"orders"`
}

// Validate checks the set and each of its orders (patient and requester are
// supplied when the set is applied).
func (s *OrderSet) Validate() error {
	var v ehrkit.Issues
	v.Required("id", s.ID != "")
	v.Required("name", strings.TrimSpace(s.Name) != "")
	v.Check(len(s.Orders) > 0, "orders", ehrkit.IssueRequired, "an order set has orders")
	for i, o := range s.Orders {
		o.Patient, o.Requester = "template", "template"
		v.Merge(ehrkit.Index("orders", i), o.Validate())
	}
	return v.Err()
}
