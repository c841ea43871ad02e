package clinical

import (
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
)

// Procedure is an action performed on or for a patient (FHIR Procedure), coded
// in SNOMED CT, CPT or HCPCS.
type Procedure struct {
	ID        string                   `json:"id"`
	Patient   patient.ID               `json:"patient"`
	Encounter string                   `json:"encounter,omitempty"`
	Status    string                   `json:"status"` // preparation | in-progress | not-done | on-hold | stopped | completed | entered-in-error | unknown
	Code      ehrkit.CodeableConcept   `json:"code"`
	Performed ehrkit.Period            `json:"performed,omitzero"`
	Performer []ehrkit.Reference       `json:"performer,omitempty"`
	Reasons   []ehrkit.CodeableConcept `json:"reasons,omitempty"`
	BodySite  []ehrkit.CodeableConcept `json:"bodySite,omitempty"`
	Outcome   ehrkit.CodeableConcept   `json:"outcome,omitzero"`
	Note      string                   `json:"note,omitempty"`
}

// Validate checks the procedure. A completed procedure needs a performed start.
func (p *Procedure) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", p.Patient != "")
	checkCode(&is, "status", p.Status, true, "preparation", "in-progress", "not-done", "on-hold", "stopped", "completed", "entered-in-error", "unknown")
	is.Merge("code", p.Code.Validate())
	is.Check(p.Status != "completed" || !p.Performed.Start.IsZero(), "performed.start", ehrkit.IssueRequired, "a completed procedure needs a performed time")
	is.Merge("performed", p.Performed.Validate())
	for i, r := range p.Reasons {
		is.Merge(ehrkit.Index("reasons", i), r.Validate())
	}
	for i, b := range p.BodySite {
		is.Merge(ehrkit.Index("bodySite", i), b.Validate())
	}
	if !p.Outcome.IsZero() {
		is.Merge("outcome", p.Outcome.Validate())
	}
	return is.Err()
}

// Immunization records a vaccine given, or not given (FHIR Immunization),
// coded in CVX.
type Immunization struct {
	ID             string                 `json:"id"`
	Patient        patient.ID             `json:"patient"`
	Encounter      string                 `json:"encounter,omitempty"`
	Status         string                 `json:"status"` // completed | entered-in-error | not-done
	StatusReason   ehrkit.CodeableConcept `json:"statusReason,omitzero"`
	VaccineCode    ehrkit.CodeableConcept `json:"vaccineCode"`
	Occurrence     time.Time              `json:"occurrence"`
	PrimarySource  bool                   `json:"primarySource"`
	LotNumber      string                 `json:"lotNumber,omitempty"`
	ExpirationDate ehrkit.Date            `json:"expirationDate,omitzero"`
	Site           ehrkit.CodeableConcept `json:"site,omitzero"`
	Route          ehrkit.CodeableConcept `json:"route,omitzero"`
	DoseQuantity   *ehrkit.Quantity       `json:"doseQuantity,omitempty"`
	Performer      []ehrkit.Reference     `json:"performer,omitempty"`
	DoseNumber     int                    `json:"doseNumber,omitempty"`
	SeriesDoses    int                    `json:"seriesDoses,omitempty"`
}

// Validate checks the immunization. A vaccine not given needs a reason; the
// dose number may not exceed the doses in the series.
func (im *Immunization) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", im.Patient != "")
	checkCode(&is, "status", im.Status, true, "completed", "entered-in-error", "not-done")
	is.Merge("vaccineCode", im.VaccineCode.Validate())
	is.Required("occurrence", !im.Occurrence.IsZero())
	is.Check(im.Status != "not-done" || !im.StatusReason.IsZero(), "statusReason", ehrkit.IssueRequired, "a vaccine not given needs a reason")
	is.Merge("expirationDate", im.ExpirationDate.Validate())
	if im.DoseQuantity != nil {
		is.Merge("doseQuantity", checkQuantity(*im.DoseQuantity))
	}
	is.Check(im.DoseNumber >= 0, "doseNumber", ehrkit.IssueValue, "must not be negative")
	is.Check(im.SeriesDoses == 0 || im.DoseNumber <= im.SeriesDoses, "doseNumber", ehrkit.IssueInvariant, "exceeds the doses in the series")
	return is.Err()
}

// CarePlan is a treatment plan: what the care team intends for a patient,
// with goals and planned activities (FHIR CarePlan with Goal and activity
// detail folded in).
type CarePlan struct {
	ID         string                   `json:"id"`
	Patient    patient.ID               `json:"patient"`
	Encounter  string                   `json:"encounter,omitempty"`
	Status     string                   `json:"status"` // draft | active | on-hold | revoked | completed | entered-in-error | unknown
	Intent     string                   `json:"intent"` // proposal | plan | order | option
	Title      string                   `json:"title,omitempty"`
	Categories []ehrkit.CodeableConcept `json:"categories,omitempty"`
	Period     ehrkit.Period            `json:"period,omitzero"`
	Addresses  []ehrkit.Reference       `json:"addresses,omitempty"` // Conditions
	Author     ehrkit.Reference         `json:"author,omitzero"`
	Goals      []Goal                   `json:"goals,omitempty"`
	GoalRefs   []ehrkit.Reference       `json:"goalRefs,omitempty"` // PatientGoals recorded on their own
	Activities []Activity               `json:"activities,omitempty"`
	Note       string                   `json:"note,omitempty"`
}

// Goal is an intended outcome (FHIR Goal): a description and, optionally, a
// measurable target such as "HbA1c < 7 %" due by a date.
type Goal struct {
	LifecycleStatus string                 `json:"lifecycleStatus"` // proposed | planned | accepted | active | on-hold | completed | cancelled | entered-in-error | rejected
	Description     ehrkit.CodeableConcept `json:"description"`
	Measure         ehrkit.CodeableConcept `json:"measure,omitzero"`
	Target          *ehrkit.Quantity       `json:"target,omitempty"`
	Due             ehrkit.Date            `json:"due,omitzero"`
}

// Activity is a planned action of a care plan (FHIR CarePlan.activity.detail).
type Activity struct {
	Status      string                 `json:"status"` // not-started | scheduled | in-progress | on-hold | completed | cancelled | stopped | unknown | entered-in-error
	Kind        string                 `json:"kind,omitempty"`
	Code        ehrkit.CodeableConcept `json:"code"`
	Scheduled   ehrkit.Period          `json:"scheduled,omitzero"`
	Description string                 `json:"description,omitempty"`
	Goals       []int                  `json:"goals,omitempty"` // indexes into CarePlan.Goals
}

// Validate checks the care plan, its goals and activities; activity goal
// indexes must point at goals of the plan, goal references at Goals.
func (cp *CarePlan) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", cp.Patient != "")
	checkCode(&is, "status", cp.Status, true, "draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown")
	checkCode(&is, "intent", cp.Intent, true, "proposal", "plan", "order", "option")
	for i, c := range cp.Categories {
		is.Merge(ehrkit.Index("categories", i), c.Validate())
	}
	is.Merge("period", cp.Period.Validate())
	for i, a := range cp.Addresses {
		is.Check(a.Type == ConditionType && a.ID != "", ehrkit.Index("addresses", i), ehrkit.IssueValue, "must reference a Condition")
	}
	for i, g := range cp.Goals {
		p := ehrkit.Index("goals", i)
		checkCode(&is, p+".lifecycleStatus", g.LifecycleStatus, true, goalStatuses...)
		is.Merge(p+".description", g.Description.Validate())
		checkTarget(&is, p, g.Measure, g.Target, g.Due, "target")
	}
	for i, r := range cp.GoalRefs {
		is.Check(r.Type == GoalType && r.ID != "", ehrkit.Index("goalRefs", i), ehrkit.IssueValue, "must reference a Goal")
	}
	for i, a := range cp.Activities {
		p := ehrkit.Index("activities", i)
		checkCode(&is, p+".status", a.Status, true, "not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled", "stopped", "unknown", "entered-in-error")
		is.Merge(p+".code", a.Code.Validate())
		is.Merge(p+".scheduled", a.Scheduled.Validate())
		for j, g := range a.Goals {
			is.Check(g >= 0 && g < len(cp.Goals), ehrkit.Index(p+".goals", j), ehrkit.IssueValue, "no such goal")
		}
	}
	return is.Err()
}
