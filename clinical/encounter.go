package clinical

import (
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
)

// EncounterStatus is the FHIR R4 EncounterStatus code.
type EncounterStatus string

// Encounter statuses.
const (
	EncounterPlanned        EncounterStatus = "planned"
	EncounterArrived        EncounterStatus = "arrived"
	EncounterTriaged        EncounterStatus = "triaged"
	EncounterInProgress     EncounterStatus = "in-progress"
	EncounterOnLeave        EncounterStatus = "onleave"
	EncounterFinished       EncounterStatus = "finished"
	EncounterCancelled      EncounterStatus = "cancelled"
	EncounterEnteredInError EncounterStatus = "entered-in-error"
)

// encounterTransitions lists, for each status, the statuses it may move to.
// Finished and cancelled encounters can only be marked entered-in-error.
var encounterTransitions = map[EncounterStatus][]EncounterStatus{
	EncounterPlanned:    {EncounterArrived, EncounterTriaged, EncounterInProgress, EncounterCancelled, EncounterEnteredInError},
	EncounterArrived:    {EncounterTriaged, EncounterInProgress, EncounterCancelled, EncounterEnteredInError},
	EncounterTriaged:    {EncounterInProgress, EncounterCancelled, EncounterEnteredInError},
	EncounterInProgress: {EncounterOnLeave, EncounterFinished, EncounterEnteredInError},
	EncounterOnLeave:    {EncounterInProgress, EncounterFinished, EncounterEnteredInError},
	EncounterFinished:   {EncounterEnteredInError},
	EncounterCancelled:  {EncounterEnteredInError},
}

// CanTransition reports whether an encounter may move from one status to
// another: planned -> arrived -> triaged -> in-progress <-> onleave ->
// finished; planned, arrived and triaged may be cancelled; any status may be
// marked entered-in-error.
func CanTransition(from, to EncounterStatus) bool {
	return oneOf(to, encounterTransitions[from]...)
}

// EncounterClass is the FHIR v3 ActEncounterCode of an encounter.
type EncounterClass string

// Encounter classes.
const (
	ClassAmbulatory EncounterClass = "AMB"
	ClassInpatient  EncounterClass = "IMP"
	ClassEmergency  EncounterClass = "EMER"
	ClassVirtual    EncounterClass = "VR"
	ClassHomeHealth EncounterClass = "HH"
)

// Encounter is an interaction between a patient and care providers: a visit,
// an admission, a telehealth call (FHIR Encounter).
type Encounter struct {
	ID            string                   `json:"id"`
	Patient       patient.ID               `json:"patient"`
	Status        EncounterStatus          `json:"status"`
	StatusHistory []StatusPeriod           `json:"statusHistory,omitempty"`
	Class         EncounterClass           `json:"class"`
	Type          []ehrkit.CodeableConcept `json:"type,omitempty"`
	Participants  []Participant            `json:"participants,omitempty"`
	Location      ehrkit.Reference         `json:"location,omitzero"`
	Period        ehrkit.Period            `json:"period,omitzero"`
	Reasons       []ehrkit.CodeableConcept `json:"reasons,omitempty"`
	Diagnoses     []Diagnosis              `json:"diagnoses,omitempty"`
}

// StatusPeriod records a status an encounter held and when (FHIR
// Encounter.statusHistory).
type StatusPeriod struct {
	Status EncounterStatus `json:"status"`
	Period ehrkit.Period   `json:"period"`
}

// Participant is a person taking part in an encounter (FHIR
// Encounter.participant). Type is a v3 ParticipationType code such as "ATND"
// (attender), "PPRF" (primary performer) or "CON" (consultant).
type Participant struct {
	Type       string           `json:"type,omitempty"`
	Individual ehrkit.Reference `json:"individual"`
	Period     ehrkit.Period    `json:"period,omitzero"`
}

// Diagnosis links a condition to the encounter (FHIR Encounter.diagnosis). Use
// is a diagnosis-role code: "AD" admission, "DD" discharge, "CC" chief
// complaint, "billing", ...; Rank 1 is the primary diagnosis.
type Diagnosis struct {
	Condition ehrkit.Reference `json:"condition"`
	Use       string           `json:"use,omitempty"`
	Rank      int              `json:"rank,omitempty"`
}

// Validate checks the encounter.
func (e *Encounter) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", e.Patient != "")
	checkCode(&is, "status", e.Status, true, EncounterPlanned, EncounterArrived, EncounterTriaged, EncounterInProgress, EncounterOnLeave, EncounterFinished, EncounterCancelled, EncounterEnteredInError)
	checkCode(&is, "class", e.Class, true, ClassAmbulatory, ClassInpatient, ClassEmergency, ClassVirtual, ClassHomeHealth)
	for i, t := range e.Type {
		is.Merge(ehrkit.Index("type", i), t.Validate())
	}
	for i, p := range e.Participants {
		is.Required(ehrkit.Index("participants", i)+".individual", !p.Individual.IsZero())
		is.Merge(ehrkit.Index("participants", i)+".period", p.Period.Validate())
	}
	is.Merge("period", e.Period.Validate())
	for i, r := range e.Reasons {
		is.Merge(ehrkit.Index("reasons", i), r.Validate())
	}
	for i, dx := range e.Diagnoses {
		p := ehrkit.Index("diagnoses", i)
		is.Check(dx.Condition.Type == ConditionType && dx.Condition.ID != "", p+".condition", ehrkit.IssueRequired, "must reference a Condition")
		is.Check(dx.Rank >= 0, p+".rank", ehrkit.IssueValue, "must not be negative")
	}
	return is.Err()
}

// Transition moves e to status `to` at time at, recording the previous status
// in StatusHistory, starting the period when the encounter goes in progress and
// ending it when it finishes. A transition CanTransition refuses fails with
// ehrkit.ErrFailedPrecondition.
func (e *Encounter) Transition(to EncounterStatus, at time.Time) error {
	if !CanTransition(e.Status, to) {
		return errorf(ehrkit.ErrFailedPrecondition, "encounter %s cannot go from %s to %s", e.ID, e.Status, to)
	}
	since := e.Period.Start
	if n := len(e.StatusHistory); n > 0 {
		since = e.StatusHistory[n-1].Period.End
	}
	e.StatusHistory = append(e.StatusHistory, StatusPeriod{Status: e.Status, Period: ehrkit.Period{Start: since, End: at}})
	e.Status = to
	if to == EncounterInProgress && e.Period.Start.IsZero() {
		e.Period.Start = at
	}
	if to == EncounterFinished {
		e.Period.End = at
	}
	return nil
}
