package clinical

import (
	"context"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Read-only views of the clinical records, for packages that read them in
// their own transactions (an exporter, a report). Writes go through the
// Service.
var (
	EncounterRecords    = encounters.View()
	ConditionRecords    = conditions.View()
	AllergyRecords      = allergies.View()
	ObservationRecords  = observations.View()
	ProcedureRecords    = procedures.View()
	ImmunizationRecords = immunizations.View()
	CarePlanRecords     = carePlans.View()
	GoalRecords         = goals.View()
	FormResponseRecords = responses.View()
	NoteRecords         = notes.View()
)

// save stores v as given inside the caller's transaction, after the rules
// every write of the service runs: prepare (computed values) then
// validation, the patient and encounter checked in tx (they exist, the
// patient was not merged away, the encounter is the patient's), and an update
// may not move the record to another patient or encounter.
func save[T any, P validator[T]](ctx context.Context, tx storage.Tx, k storage.Kind[T], key keyOf[T], v P, prepare func(P)) (storage.Outcome, error) {
	if prepare != nil {
		prepare(v)
	}
	if err := ehrkit.Tolerate(ctx, validate(v)); err != nil {
		return "", err
	}
	_, p, encounter := key(v)
	if err := checkRefs(ctx, tx, p, encounter); err != nil {
		return "", err
	}
	return k.Save(ctx, tx, v, func(previous *T) error {
		if previous == nil {
			return nil
		}
		_, p0, e0 := key(previous)
		var is ehrkit.Issues
		is.Check(p == p0, "patient", ehrkit.IssueInvariant, "cannot change")
		is.Check(encounter == e0, "encounter", ehrkit.IssueInvariant, "cannot change")
		return is.Err()
	})
}

// The Save methods below are the service's transaction-scoped entry points:
// importers and feeds (FHIR, HL7) store a record as given inside their own
// transaction, composed with other domain writes, and every rule of the
// service still runs (see each method). The record is created, replaced when
// it differs, or left as it is (storage.Outcome); ids are the caller's.

// SaveEncounter stores an encounter as given (see the Save methods).
func (s *Service) SaveEncounter(ctx context.Context, tx storage.Tx, e Encounter) (storage.Outcome, error) {
	return save(ctx, tx, encounters, encounterKey, &e, nil)
}

// SaveCondition stores a condition as given (see the Save methods).
func (s *Service) SaveCondition(ctx context.Context, tx storage.Tx, c Condition) (storage.Outcome, error) {
	return save(ctx, tx, conditions, conditionKey, &c, nil)
}

// SaveAllergy stores an allergy or intolerance as given (see the Save methods).
func (s *Service) SaveAllergy(ctx context.Context, tx storage.Tx, a AllergyIntolerance) (storage.Outcome, error) {
	return save(ctx, tx, allergies, allergyKey, &a, nil)
}

// SaveObservation stores an observation as given (see the Save methods). Vital
// signs are flagged against the ranges of the patient's age (or those
// WithVitalRanges set) where the sender gave no interpretation; an
// interpretation the sender gave is kept as sent.
func (s *Service) SaveObservation(ctx context.Context, tx storage.Tx, o Observation) (storage.Outcome, error) {
	ranges, err := s.rangesFor(ctx, tx, o.Patient, o.Effective)
	if err != nil {
		return "", err
	}
	return save(ctx, tx, observations, observationKey, &o, func(o *Observation) { *o = ranges.fillFlags(*o) })
}

// SaveProcedure stores a procedure as given (see the Save methods).
func (s *Service) SaveProcedure(ctx context.Context, tx storage.Tx, p Procedure) (storage.Outcome, error) {
	return save(ctx, tx, procedures, procedureKey, &p, nil)
}

// SaveImmunization stores an immunization as given (see the Save methods).
func (s *Service) SaveImmunization(ctx context.Context, tx storage.Tx, im Immunization) (storage.Outcome, error) {
	return save(ctx, tx, immunizations, immunizationKey, &im, nil)
}

// SaveCarePlan stores a care plan as given (see the Save methods).
func (s *Service) SaveCarePlan(ctx context.Context, tx storage.Tx, cp CarePlan) (storage.Outcome, error) {
	return save(ctx, tx, carePlans, carePlanKey, &cp, nil)
}

// SaveGoal stores a goal recorded on its own as given (see the Save
// methods).
func (s *Service) SaveGoal(ctx context.Context, tx storage.Tx, g PatientGoal) (storage.Outcome, error) {
	return save(ctx, tx, goals, goalKey, &g, nil)
}

// SaveFormResponse stores a questionnaire response as given (see the Save
// methods). Unlike SubmitResponse it extracts no observations: a source that
// sends a response sends its observations as records of their own.
func (s *Service) SaveFormResponse(ctx context.Context, tx storage.Tx, r FormResponse) (storage.Outcome, error) {
	return save(ctx, tx, responses, responseKey, &r, nil)
}

// SaveNote stores a clinical note as given, signatures, addenda and
// amendments included (see the Save methods).
func (s *Service) SaveNote(ctx context.Context, tx storage.Tx, n Note) (storage.Outcome, error) {
	return save(ctx, tx, notes, noteKey, &n, nil)
}

func immunizationKey(im *Immunization) (string, patient.ID, string) {
	return im.ID, im.Patient, im.Encounter
}

func responseKey(r *FormResponse) (string, patient.ID, string) { return r.ID, r.Patient, r.Encounter }

// fillFlags flags o's value and components against r where the sender gave no
// interpretation of its own.
func (r VitalRanges) fillFlags(o Observation) Observation {
	flagged := r.FlagObservation(o)
	if len(o.Interpretation) > 0 {
		flagged.Interpretation = o.Interpretation
	}
	for i, c := range o.Components {
		if len(c.Interpretation) > 0 {
			flagged.Components[i].Interpretation = c.Interpretation
		}
	}
	return flagged
}
