package clinical

import (
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
)

// Condition categories (FHIR condition-category).
const (
	ConditionProblemListItem    = "problem-list-item"
	ConditionEncounterDiagnosis = "encounter-diagnosis"
)

// Clinical status codes of a condition (FHIR condition-clinical).
const (
	ConditionActive     = "active"
	ConditionRecurrence = "recurrence"
	ConditionRelapse    = "relapse"
	ConditionInactive   = "inactive"
	ConditionRemission  = "remission"
	ConditionResolved   = "resolved"
)

// Verification status codes (FHIR condition-ver-status; allergies use
// unconfirmed, confirmed, refuted and entered-in-error).
const (
	VerificationUnconfirmed    = "unconfirmed"
	VerificationProvisional    = "provisional"
	VerificationDifferential   = "differential"
	VerificationConfirmed      = "confirmed"
	VerificationRefuted        = "refuted"
	VerificationEnteredInError = "entered-in-error"
)

// Condition is a problem, diagnosis or health concern (FHIR Condition), coded
// in ICD-10-CM or SNOMED CT.
type Condition struct {
	ID                 string                 `json:"id"`
	Patient            patient.ID             `json:"patient"`
	Encounter          string                 `json:"encounter,omitempty"`
	Category           string                 `json:"category"`
	ClinicalStatus     string                 `json:"clinicalStatus,omitempty"`
	VerificationStatus string                 `json:"verificationStatus,omitempty"`
	Severity           ehrkit.CodeableConcept `json:"severity,omitzero"`
	Code               ehrkit.CodeableConcept `json:"code"`
	Onset              ehrkit.Date            `json:"onset,omitzero"`
	Abatement          ehrkit.Date            `json:"abatement,omitzero"`
	Recorded           time.Time              `json:"recorded,omitzero"`
	Recorder           ehrkit.Reference       `json:"recorder,omitzero"`
	Note               string                 `json:"note,omitempty"`
}

// Validate checks the condition, including the FHIR invariants con-3/4/5: a
// clinical status is required unless the condition was entered in error (then
// it must be empty), and an abated condition is inactive, in remission or
// resolved. The abatement may not precede the onset.
func (c *Condition) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", c.Patient != "")
	checkCode(&is, "category", c.Category, true, ConditionProblemListItem, ConditionEncounterDiagnosis)
	is.Merge("code", c.Code.Validate())
	checkCode(&is, "verificationStatus", c.VerificationStatus, false, VerificationUnconfirmed, VerificationProvisional, VerificationDifferential, VerificationConfirmed, VerificationRefuted, VerificationEnteredInError)
	if c.VerificationStatus == VerificationEnteredInError {
		is.Check(c.ClinicalStatus == "", "clinicalStatus", ehrkit.IssueInvariant, "must be empty for a condition entered in error")
	} else {
		checkCode(&is, "clinicalStatus", c.ClinicalStatus, true, ConditionActive, ConditionRecurrence, ConditionRelapse, ConditionInactive, ConditionRemission, ConditionResolved)
	}
	if !c.Abatement.IsZero() {
		is.Check(oneOf(c.ClinicalStatus, ConditionInactive, ConditionRemission, ConditionResolved), "clinicalStatus", ehrkit.IssueInvariant, "an abated condition is inactive, in remission or resolved")
		is.Check(c.Onset.IsZero() || !c.Abatement.Before(c.Onset), "abatement", ehrkit.IssueInvariant, "is before onset")
	}
	if !c.Severity.IsZero() {
		is.Merge("severity", c.Severity.Validate())
	}
	is.Merge("onset", c.Onset.Validate())
	is.Merge("abatement", c.Abatement.Validate())
	return is.Err()
}

// IsActive reports whether the condition is on the active problem list:
// clinically active (active, recurrence, relapse) and not refuted or entered in
// error.
func (c *Condition) IsActive() bool {
	return oneOf(c.ClinicalStatus, ConditionActive, ConditionRecurrence, ConditionRelapse) &&
		!oneOf(c.VerificationStatus, VerificationRefuted, VerificationEnteredInError)
}

// AllergyIntolerance records a risk of a harmful reaction to a substance
// (FHIR AllergyIntolerance). Code names the substance or a drug class, in
// RxNorm, SNOMED CT, UNII or a class system.
type AllergyIntolerance struct {
	ID                 string                 `json:"id"`
	Patient            patient.ID             `json:"patient"`
	Encounter          string                 `json:"encounter,omitempty"`
	ClinicalStatus     string                 `json:"clinicalStatus,omitempty"` // active | inactive | resolved
	VerificationStatus string                 `json:"verificationStatus,omitempty"`
	Type               string                 `json:"type,omitempty"`       // allergy | intolerance
	Categories         []string               `json:"categories,omitempty"` // food | medication | environment | biologic
	Criticality        string                 `json:"criticality,omitempty"`
	Code               ehrkit.CodeableConcept `json:"code"`
	Onset              ehrkit.Date            `json:"onset,omitzero"`
	Recorded           time.Time              `json:"recorded,omitzero"`
	Recorder           ehrkit.Reference       `json:"recorder,omitzero"`
	Reactions          []Reaction             `json:"reactions,omitempty"`
	Note               string                 `json:"note,omitempty"`
}

// Reaction is one adverse reaction event (FHIR AllergyIntolerance.reaction).
type Reaction struct {
	Substance      ehrkit.CodeableConcept   `json:"substance,omitzero"`
	Manifestations []ehrkit.CodeableConcept `json:"manifestations"`
	Severity       string                   `json:"severity,omitempty"` // mild | moderate | severe
	Onset          time.Time                `json:"onset,omitzero"`
}

// Validate checks the allergy, including the FHIR invariants ait-1/ait-2 (a
// clinical status unless entered in error, then none).
func (a *AllergyIntolerance) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", a.Patient != "")
	is.Merge("code", a.Code.Validate())
	checkCode(&is, "verificationStatus", a.VerificationStatus, false, VerificationUnconfirmed, VerificationConfirmed, VerificationRefuted, VerificationEnteredInError)
	if a.VerificationStatus == VerificationEnteredInError {
		is.Check(a.ClinicalStatus == "", "clinicalStatus", ehrkit.IssueInvariant, "must be empty for an allergy entered in error")
	} else {
		checkCode(&is, "clinicalStatus", a.ClinicalStatus, true, "active", "inactive", "resolved")
	}
	checkCode(&is, "type", a.Type, false, "allergy", "intolerance")
	for i, c := range a.Categories {
		checkCode(&is, ehrkit.Index("categories", i), c, true, "food", "medication", "environment", "biologic")
	}
	checkCode(&is, "criticality", a.Criticality, false, "low", "high", "unable-to-assess")
	is.Merge("onset", a.Onset.Validate())
	for i, r := range a.Reactions {
		p := ehrkit.Index("reactions", i)
		if !r.Substance.IsZero() {
			is.Merge(p+".substance", r.Substance.Validate())
		}
		is.Check(len(r.Manifestations) > 0, p+".manifestations", ehrkit.IssueRequired, "is required")
		for j, m := range r.Manifestations {
			is.Merge(ehrkit.Index(p+".manifestations", j), m.Validate())
		}
		checkCode(&is, p+".severity", r.Severity, false, "mild", "moderate", "severe")
	}
	return is.Err()
}

// IsActive reports whether the allergy is active and not refuted or entered in
// error.
func (a *AllergyIntolerance) IsActive() bool {
	return a.ClinicalStatus == "active" && !oneOf(a.VerificationStatus, VerificationRefuted, VerificationEnteredInError)
}
