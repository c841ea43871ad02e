package clinical

import (
	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
)

// PatientGoal is an intended outcome recorded as a record of its own (FHIR
// Goal), as sources such as Synthea send them: a goal the care team and
// patient agreed on, with its progress and measurable targets. A goal that
// exists only as part of one plan is a Goal inside the CarePlan instead; a
// CarePlan refers to PatientGoals through CarePlan.GoalRefs.
type PatientGoal struct {
	ID                string                   `json:"id"`
	Patient           patient.ID               `json:"patient"`
	LifecycleStatus   string                   `json:"lifecycleStatus"`            // proposed | planned | accepted | active | on-hold | completed | cancelled | entered-in-error | rejected
	AchievementStatus ehrkit.CodeableConcept   `json:"achievementStatus,omitzero"` // goal-achievement: in-progress | improving | worsening | no-change | achieved | sustaining | not-achieved | no-progress | not-attainable
	Categories        []ehrkit.CodeableConcept `json:"categories,omitempty"`
	Description       ehrkit.CodeableConcept   `json:"description"`
	Start             ehrkit.Date              `json:"start,omitzero"`
	Targets           []GoalTarget             `json:"targets,omitempty"`
	Addresses         []ehrkit.Reference       `json:"addresses,omitempty"` // Conditions
	Note              string                   `json:"note,omitempty"`
}

// GoalTarget is one measurable target of a goal (FHIR Goal.target): the
// measure, the value aimed at and the date it is due by.
type GoalTarget struct {
	Measure ehrkit.CodeableConcept `json:"measure,omitzero"`
	Detail  *ehrkit.Quantity       `json:"detail,omitempty"`
	Due     ehrkit.Date            `json:"due,omitzero"`
}

// goalStatuses is the FHIR R4 GoalLifecycleStatus value set (required binding).
var goalStatuses = []string{"proposed", "planned", "accepted", "active", "on-hold", "completed", "cancelled", "entered-in-error", "rejected"}

// Validate checks the goal: patient, lifecycle status and description are
// required; a target value needs the measure it is a value of (FHIR R4
// invariant gol-1: Goal.target.measure is required if Goal.target.detail is
// populated); codes, dates and quantities must be well formed; addresses
// must reference Conditions.
func (g *PatientGoal) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", g.Patient != "")
	checkCode(&is, "lifecycleStatus", g.LifecycleStatus, true, goalStatuses...)
	if !g.AchievementStatus.IsZero() {
		is.Merge("achievementStatus", g.AchievementStatus.Validate())
	}
	for i, c := range g.Categories {
		is.Merge(ehrkit.Index("categories", i), c.Validate())
	}
	is.Merge("description", g.Description.Validate())
	is.Merge("start", g.Start.Validate())
	for i, t := range g.Targets {
		checkTarget(&is, ehrkit.Index("targets", i), t.Measure, t.Detail, t.Due, "detail")
	}
	for i, a := range g.Addresses {
		is.Check(a.Type == ConditionType && a.ID != "", ehrkit.Index("addresses", i), ehrkit.IssueValue, "must reference a Condition")
	}
	return is.Err()
}

// checkTarget checks a goal's measure, target value (at p.value) and due
// date, for a plan's goals and standalone goals alike.
func checkTarget(is *ehrkit.Issues, p string, measure ehrkit.CodeableConcept, target *ehrkit.Quantity, due ehrkit.Date, value string) {
	if !measure.IsZero() {
		is.Merge(p+".measure", measure.Validate())
	}
	is.Check(target == nil || !measure.IsZero(), p+".measure", ehrkit.IssueRequired, "a target needs a measure")
	if target != nil {
		is.Merge(p+"."+value, checkQuantity(*target))
	}
	is.Merge(p+".due", due.Validate())
}

func goalKey(g *PatientGoal) (string, patient.ID, string) { return g.ID, g.Patient, "" }
