package clinical

import (
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
)

// ObservationStatus is the FHIR ObservationStatus code.
type ObservationStatus string

// Observation statuses.
const (
	ObservationRegistered     ObservationStatus = "registered"
	ObservationPreliminary    ObservationStatus = "preliminary"
	ObservationFinal          ObservationStatus = "final"
	ObservationAmended        ObservationStatus = "amended"
	ObservationCorrected      ObservationStatus = "corrected"
	ObservationCancelled      ObservationStatus = "cancelled"
	ObservationEnteredInError ObservationStatus = "entered-in-error"
)

// Observation categories (FHIR observation-category codes).
const (
	CategoryVitalSigns = "vital-signs"
	CategoryLaboratory = "laboratory"
	CategorySurvey     = "survey"
	CategorySocial     = "social-history"
	CategoryExam       = "exam"
)

var observationCategories = []string{CategoryVitalSigns, CategoryLaboratory, CategorySurvey, CategorySocial, CategoryExam, "imaging", "procedure", "therapy", "activity"}

// Observation is a measurement or finding about a patient (FHIR Observation):
// a vital sign, a lab value, a survey score, a social-history fact. A panel
// (blood pressure) carries its parts as Components.
type Observation struct {
	ID         string                 `json:"id"`
	Patient    patient.ID             `json:"patient"`
	Encounter  string                 `json:"encounter,omitempty"`
	Status     ObservationStatus      `json:"status"`
	Categories []string               `json:"categories,omitempty"`
	Code       ehrkit.CodeableConcept `json:"code"`
	Effective  time.Time              `json:"effective"`
	Issued     time.Time              `json:"issued,omitzero"`
	Performer  []ehrkit.Reference     `json:"performer,omitempty"`
	Value      Value                  `json:"value,omitzero"`
	// DataAbsentReason says why there is no value (FHIR data-absent-reason
	// code, e.g. "not-performed"); a panel with components needs neither.
	DataAbsentReason string `json:"dataAbsentReason,omitempty"`
	// Interpretation holds flags such as "H" and "L" (FHIR
	// v3-ObservationInterpretation), set by FlagVitals when recorded.
	Interpretation []string           `json:"interpretation,omitempty"`
	Components     []Component        `json:"components,omitempty"`
	HasMember      []ehrkit.Reference `json:"hasMember,omitempty"`
	DerivedFrom    []ehrkit.Reference `json:"derivedFrom,omitempty"`
	Note           string             `json:"note,omitempty"`
}

// Component is one part of an observation, such as the systolic pressure of a
// blood pressure (FHIR Observation.component).
type Component struct {
	Code           ehrkit.CodeableConcept `json:"code"`
	Value          Value                  `json:"value,omitzero"`
	Interpretation []string               `json:"interpretation,omitempty"`
}

// Validate checks the observation: required fields, known status and
// categories, valid codes, values of a valid kind, and units that are UCUM and
// fit the observation (a vital sign's unit must measure what its LOINC code
// measures: "kg" is refused for a heart rate).
func (o *Observation) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", o.Patient != "")
	checkCode(&is, "status", o.Status, true, ObservationRegistered, ObservationPreliminary, ObservationFinal, ObservationAmended, ObservationCorrected, ObservationCancelled, ObservationEnteredInError)
	for i, c := range o.Categories {
		is.Check(oneOf(c, observationCategories...), ehrkit.Index("categories", i), ehrkit.IssueCodeInvalid, "unknown category")
	}
	is.Merge("code", o.Code.Validate())
	is.Required("effective", !o.Effective.IsZero())
	noValue := o.Value.IsZero() && o.DataAbsentReason == "" && len(o.Components) == 0 && len(o.HasMember) == 0
	is.Check(!noValue, "value", ehrkit.IssueRequired, "needs a value, components, members or a data-absent reason")
	is.Check(o.Value.IsZero() || o.DataAbsentReason == "", "dataAbsentReason", ehrkit.IssueInvariant, "must be empty when a value is present")
	if !o.Value.IsZero() {
		is.Merge("value", o.Value.Validate())
		is.Merge("value", checkFit(o.Code, o.Value))
	}
	for i, c := range o.Components {
		p := ehrkit.Index("components", i)
		is.Merge(p+".code", c.Code.Validate())
		is.Required(p+".value", !c.Value.IsZero())
		if !c.Value.IsZero() {
			is.Merge(p+".value", c.Value.Validate())
			is.Merge(p+".value", checkFit(c.Code, c.Value))
		}
	}
	return is.Err()
}

// checkFit checks that a value fits the vital sign its code names: a quantity
// whose unit measures the vital sign's dimension.
func checkFit(code ehrkit.CodeableConcept, v Value) error {
	vs, ok := VitalSignOf(code)
	if !ok {
		return nil
	}
	var is ehrkit.Issues
	if v.Kind != KindQuantity {
		is.Add("kind", ehrkit.IssueValue, "a vital sign is a quantity")
		return is.Err()
	}
	dim, ok := UnitDimension(v.Quantity.Unit)
	is.Check(ok && dim == vs.Dimension, "quantity.unit", ehrkit.IssueValue, "unit does not measure %s", vs.Dimension)
	is.Merge("", checkPlausible(vs.Code, v.Quantity))
	return is.Err()
}
