package clinical

import (
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Record types the clinical package stores (FHIR resource type names).
const (
	EncounterType    = "Encounter"
	ConditionType    = "Condition"
	AllergyType      = "AllergyIntolerance"
	ObservationType  = "Observation"
	ProcedureType    = "Procedure"
	ImmunizationType = "Immunization"
	CarePlanType     = "CarePlan"
	GoalType         = "Goal"
	NoteType         = "DocumentReference"
	FormType         = "Questionnaire"
	FormResponseType = "QuestionnaireResponse"
)

// Index terms and their formats.
const (
	termCode           = "code"
	termDate           = "date"
	termStatus         = "status"
	termEncounter      = "encounter"
	termCategory       = "category"
	termClinicalStatus = "clinical-status"
)

// terms builds index terms; empty values are skipped.
type terms []storage.Term

func (t *terms) add(name, value string) {
	if value != "" {
		*t = append(*t, storage.Term{Name: name, Value: value})
	}
}

func (t *terms) time(name string, at time.Time) {
	if !at.IsZero() {
		t.add(name, at.UTC().Format(storage.TimeLayout))
	}
}

func (t *terms) concept(name string, cc ehrkit.CodeableConcept) {
	for _, c := range cc.Coding {
		t.add(name, c.Token())
	}
}

// common adds the terms every patient record carries: encounter, status and
// the timeline date.
func (t *terms) common(encounter, status string, at time.Time) {
	t.add(termEncounter, encounter)
	t.add(termStatus, status)
	t.time(termDate, at)
}

func meta(id, compartment string, t terms) storage.Meta {
	return storage.Meta{ID: id, Compartment: compartment, Terms: t}
}

var encounters = storage.Kind[Encounter]{Type: EncounterType, Version: 1, Meta: func(e *Encounter) storage.Meta {
	var t terms
	t.common("", string(e.Status), e.Period.Start)
	t.add("class", string(e.Class))
	return meta(e.ID, string(e.Patient), t)
}}

var conditions = storage.Kind[Condition]{Type: ConditionType, Version: 1, Meta: func(c *Condition) storage.Meta {
	var t terms
	t.common(c.Encounter, c.VerificationStatus, c.timelineTime())
	t.concept(termCode, c.Code)
	t.add(termCategory, c.Category)
	t.add(termClinicalStatus, c.ClinicalStatus)
	return meta(c.ID, string(c.Patient), t)
}}

var allergies = storage.Kind[AllergyIntolerance]{Type: AllergyType, Version: 1, Meta: func(a *AllergyIntolerance) storage.Meta {
	var t terms
	t.common(a.Encounter, a.VerificationStatus, a.Recorded)
	t.concept(termCode, a.Code)
	t.add(termClinicalStatus, a.ClinicalStatus)
	return meta(a.ID, string(a.Patient), t)
}}

var observations = storage.Kind[Observation]{Type: ObservationType, Version: 1, Meta: func(o *Observation) storage.Meta {
	var t terms
	t.common(o.Encounter, string(o.Status), o.Effective)
	t.concept(termCode, o.Code)
	for _, c := range o.Categories {
		t.add(termCategory, c)
	}
	t.quantity(o.Value)
	return meta(o.ID, string(o.Patient), t)
}}

var procedures = storage.Kind[Procedure]{Type: ProcedureType, Version: 1, Meta: func(p *Procedure) storage.Meta {
	var t terms
	t.common(p.Encounter, p.Status, p.Performed.Start)
	t.concept(termCode, p.Code)
	return meta(p.ID, string(p.Patient), t)
}}

var immunizations = storage.Kind[Immunization]{Type: ImmunizationType, Version: 1, Meta: func(im *Immunization) storage.Meta {
	var t terms
	t.common(im.Encounter, im.Status, im.Occurrence)
	t.concept(termCode, im.VaccineCode)
	return meta(im.ID, string(im.Patient), t)
}}

var carePlans = storage.Kind[CarePlan]{Type: CarePlanType, Version: 1, Meta: func(cp *CarePlan) storage.Meta {
	var t terms
	t.common(cp.Encounter, cp.Status, cp.Period.Start)
	return meta(cp.ID, string(cp.Patient), t)
}}

var goals = storage.Kind[PatientGoal]{Type: GoalType, Version: 1, Meta: func(g *PatientGoal) storage.Meta {
	var t terms
	var start time.Time
	if !g.Start.IsZero() {
		start = g.Start.Start(time.UTC)
	}
	t.common("", g.LifecycleStatus, start)
	t.concept(termCode, g.Description)
	for _, c := range g.Categories {
		t.concept(termCategory, c)
	}
	return meta(g.ID, string(g.Patient), t)
}}

var notes = storage.Kind[Note]{Type: NoteType, Version: 1, Meta: func(n *Note) storage.Meta {
	var t terms
	t.common(n.Encounter, string(n.Status), n.Created)
	t.concept(termCode, n.Type)
	return meta(n.ID, string(n.Patient), t)
}}

var forms = storage.Kind[FormDefinition]{Type: FormType, Version: 1, Meta: func(f *FormDefinition) storage.Meta {
	var t terms
	t.add(termStatus, f.Status)
	t.concept(termCode, f.Code)
	return meta(f.ID, "", t)
}}

var responses = storage.Kind[FormResponse]{Type: FormResponseType, Version: 1, Meta: func(r *FormResponse) storage.Meta {
	var t terms
	t.common(r.Encounter, r.Status, r.Authored)
	t.add("form", r.Form)
	return meta(r.ID, string(r.Patient), t)
}}

// timelineTime is the onset (start of its day, UTC) or, without one, when the
// condition was recorded.
func (c *Condition) timelineTime() time.Time {
	if !c.Onset.IsZero() {
		return c.Onset.Start(time.UTC)
	}
	return c.Recorded
}
