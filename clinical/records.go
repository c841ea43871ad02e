package clinical

import (
	"context"
	"slices"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

func encounterKey(e *Encounter) (string, patient.ID, string) { return e.ID, e.Patient, "" }
func conditionKey(c *Condition) (string, patient.ID, string) { return c.ID, c.Patient, c.Encounter }
func allergyKey(a *AllergyIntolerance) (string, patient.ID, string) {
	return a.ID, a.Patient, a.Encounter
}
func observationKey(o *Observation) (string, patient.ID, string) { return o.ID, o.Patient, o.Encounter }
func procedureKey(p *Procedure) (string, patient.ID, string)     { return p.ID, p.Patient, p.Encounter }
func carePlanKey(c *CarePlan) (string, patient.ID, string)       { return c.ID, c.Patient, c.Encounter }

// OpenEncounter records a new encounter. An empty status means the patient is
// being seen now: the encounter starts in progress at the current time. The
// id is generated when empty.
func (s *Service) OpenEncounter(ctx context.Context, e Encounter) (Encounter, error) {
	e.ID = s.id(e.ID)
	if e.Status == "" {
		e.Status = EncounterInProgress
	}
	if e.Status == EncounterInProgress && e.Period.Start.IsZero() {
		e.Period.Start = s.now()
	}
	return e, insert(ctx, s, encounters, &e, e.Patient, "")
}

// Encounter returns the encounter with the given id.
func (s *Service) Encounter(ctx context.Context, id string) (Encounter, error) {
	return get(ctx, s, encounters, id)
}

// SetEncounterStatus moves the encounter to status `to` now, refusing a
// transition CanTransition does not allow with ehrkit.ErrFailedPrecondition.
func (s *Service) SetEncounterStatus(ctx context.Context, id string, to EncounterStatus) (Encounter, error) {
	e, _, err := modify(ctx, s, encounters, encounterKey, id, func(e *Encounter) error { return e.Transition(to, s.now()) })
	return e, err
}

// UpdateEncounter applies fn to the stored encounter (participants, location,
// reasons, diagnoses ...) and writes it back atomically. The status changes
// only through SetEncounterStatus.
func (s *Service) UpdateEncounter(ctx context.Context, id string, fn func(*Encounter) error) (Encounter, error) {
	e, _, err := modify(ctx, s, encounters, encounterKey, id, func(e *Encounter) error {
		before := e.Status
		if err := fn(e); err != nil {
			return err
		}
		var is ehrkit.Issues
		is.Check(e.Status == before, "status", ehrkit.IssueBusinessRule, "change the status with SetEncounterStatus")
		return is.Err()
	})
	return e, err
}

// Encounters returns the patient's encounters, oldest first.
func (s *Service) Encounters(ctx context.Context, p patient.ID) ([]Encounter, error) {
	return list(ctx, s, encounters, p)
}

// AddCondition records a problem or diagnosis; Recorded defaults to now.
func (s *Service) AddCondition(ctx context.Context, c Condition) (Condition, error) {
	c.ID = s.id(c.ID)
	if c.Recorded.IsZero() {
		c.Recorded = s.now()
	}
	return c, insert(ctx, s, conditions, &c, c.Patient, c.Encounter)
}

// UpdateCondition applies fn (e.g. resolving the problem) and writes the
// condition back atomically.
func (s *Service) UpdateCondition(ctx context.Context, id string, fn func(*Condition) error) (Condition, error) {
	c, _, err := modify(ctx, s, conditions, conditionKey, id, fn)
	return c, err
}

// Condition returns the condition with the given id.
func (s *Service) Condition(ctx context.Context, id string) (Condition, error) {
	return get(ctx, s, conditions, id)
}

// Conditions returns the patient's conditions, by onset.
func (s *Service) Conditions(ctx context.Context, p patient.ID) ([]Condition, error) {
	return list(ctx, s, conditions, p)
}

// AddAllergy records an allergy or intolerance; Recorded defaults to now.
func (s *Service) AddAllergy(ctx context.Context, a AllergyIntolerance) (AllergyIntolerance, error) {
	a.ID = s.id(a.ID)
	if a.Recorded.IsZero() {
		a.Recorded = s.now()
	}
	return a, insert(ctx, s, allergies, &a, a.Patient, a.Encounter)
}

// UpdateAllergy applies fn and writes the allergy back atomically.
func (s *Service) UpdateAllergy(ctx context.Context, id string, fn func(*AllergyIntolerance) error) (AllergyIntolerance, error) {
	a, _, err := modify(ctx, s, allergies, allergyKey, id, fn)
	return a, err
}

// Allergies returns the patient's allergies and intolerances.
func (s *Service) Allergies(ctx context.Context, p patient.ID) ([]AllergyIntolerance, error) {
	return ListAllergies(ctx, s.store, p)
}

// ListAllergies returns the patient's allergies and intolerances as read in
// r, oldest first. Packages above clinical call it with the transaction of
// the act a check guards (rx signs an order against them), so the check
// holds when the act commits.
func ListAllergies(ctx context.Context, r storage.Reader, p patient.ID) ([]AllergyIntolerance, error) {
	return listIn(ctx, r, allergies, p)
}

// RecordObservation validates and stores an observation, flagging vital signs
// against the service's ranges. The id is generated when empty.
func (s *Service) RecordObservation(ctx context.Context, o Observation) (Observation, error) {
	var out Observation
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		recorded, err := s.recordObservations(ctx, tx, []Observation{o})
		if err == nil {
			out = recorded[0]
		}
		return err
	})
	return out, err
}

// RecordVitals stores a set of vital signs taken together (see
// Vitals.Observations) in one transaction: either all are recorded or none.
// When height and weight are both given, the BMI derived from them (DeriveBMI)
// is recorded too.
func (s *Service) RecordVitals(ctx context.Context, p patient.ID, encounter string, v Vitals) ([]Observation, error) {
	obs := withBMI(s.assignIDs(v.Observations(p, encounter, s.now())))
	var out []Observation
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		var err error
		out, err = s.recordObservations(ctx, tx, obs)
		return err
	})
	return out, err
}

// assignIDs gives every observation without an id a new one.
func (s *Service) assignIDs(obs []Observation) []Observation {
	for i := range obs {
		obs[i].ID = s.id(obs[i].ID)
	}
	return obs
}

// withBMI appends the BMI DeriveBMI finds in obs.
func withBMI(obs []Observation) []Observation {
	if bmi, ok := DeriveBMI(obs); ok {
		obs = append(obs, bmi)
	}
	return obs
}

// recordObservations validates, flags and stores observations in tx. A
// problem in any of them is reported with its index ("observations[2].code").
func (s *Service) recordObservations(ctx context.Context, tx storage.Tx, obs []Observation) ([]Observation, error) {
	var is ehrkit.Issues
	out := make([]Observation, len(obs))
	for i, o := range obs {
		o.ID = s.id(o.ID)
		if o.Issued.IsZero() {
			o.Issued = s.now()
		}
		out[i] = s.ranges.FlagObservation(o)
		prefix := ""
		if len(obs) > 1 {
			prefix = ehrkit.Index("observations", i)
		}
		is.Merge(prefix, out[i].Validate())
	}
	if err := is.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := create(ctx, tx, observations, &out[i], out[i].Patient, out[i].Encounter); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpdateObservation applies fn (a correction, or marking it entered in error)
// and writes the observation back atomically; flags are recomputed.
func (s *Service) UpdateObservation(ctx context.Context, id string, fn func(*Observation) error) (Observation, error) {
	o, _, err := modify(ctx, s, observations, observationKey, id, func(o *Observation) error {
		if err := fn(o); err != nil {
			return err
		}
		*o = s.ranges.FlagObservation(*o)
		return nil
	})
	return o, err
}

// Observation returns the observation with the given id.
func (s *Service) Observation(ctx context.Context, id string) (Observation, error) {
	return get(ctx, s, observations, id)
}

// Observations returns the patient's observations coded system|code (every
// observation when code is the zero Coding), oldest first.
func (s *Service) Observations(ctx context.Context, p patient.ID, code ehrkit.Coding) ([]Observation, error) {
	return ListObservations(ctx, s.store, p, code)
}

// ListObservations returns the patient's observations with the code (all of
// them when code is zero) as read in r, oldest first; see ListAllergies.
func ListObservations(ctx context.Context, r storage.Reader, p patient.ID, code ehrkit.Coding) ([]Observation, error) {
	if code.IsZero() {
		return listIn(ctx, r, observations, p)
	}
	return listIn(ctx, r, observations, p, storage.Filter{Term: termCode, Op: storage.Eq, Value: code.Token()})
}

// AddProcedure records a procedure.
func (s *Service) AddProcedure(ctx context.Context, p Procedure) (Procedure, error) {
	p.ID = s.id(p.ID)
	return p, insert(ctx, s, procedures, &p, p.Patient, p.Encounter)
}

// UpdateProcedure applies fn and writes the procedure back atomically.
func (s *Service) UpdateProcedure(ctx context.Context, id string, fn func(*Procedure) error) (Procedure, error) {
	p, _, err := modify(ctx, s, procedures, procedureKey, id, fn)
	return p, err
}

// Procedures returns the patient's procedures, oldest first.
func (s *Service) Procedures(ctx context.Context, p patient.ID) ([]Procedure, error) {
	return list(ctx, s, procedures, p)
}

// RecordImmunization records a vaccine given or not given.
func (s *Service) RecordImmunization(ctx context.Context, im Immunization) (Immunization, error) {
	im.ID = s.id(im.ID)
	return im, insert(ctx, s, immunizations, &im, im.Patient, im.Encounter)
}

// Immunizations returns the patient's immunizations, oldest first.
func (s *Service) Immunizations(ctx context.Context, p patient.ID) ([]Immunization, error) {
	return list(ctx, s, immunizations, p)
}

// AddCarePlan records a care plan with its goals and activities.
func (s *Service) AddCarePlan(ctx context.Context, cp CarePlan) (CarePlan, error) {
	cp.ID = s.id(cp.ID)
	return cp, insert(ctx, s, carePlans, &cp, cp.Patient, cp.Encounter)
}

// UpdateCarePlan applies fn (progress on activities, goal status ...) and
// writes the plan back atomically.
func (s *Service) UpdateCarePlan(ctx context.Context, id string, fn func(*CarePlan) error) (CarePlan, error) {
	cp, _, err := modify(ctx, s, carePlans, carePlanKey, id, fn)
	return cp, err
}

// CarePlans returns the patient's care plans.
func (s *Service) CarePlans(ctx context.Context, p patient.ID) ([]CarePlan, error) {
	return list(ctx, s, carePlans, p)
}

// latestVitals keeps, per vital-sign LOINC code, the most recent observation
// that is final, amended or corrected, in the order of the vital signs table.
func latestVitals(obs []Observation) []Observation {
	latest := map[string]Observation{}
	for _, o := range obs {
		if !oneOf(o.Status, ObservationFinal, ObservationAmended, ObservationCorrected) || !slices.Contains(o.Categories, CategoryVitalSigns) {
			continue
		}
		code := o.Code.CodeIn(ehrkit.SystemLOINC)
		if cur, ok := latest[code]; !ok || o.Effective.After(cur.Effective) {
			latest[code] = o
		}
	}
	out := make([]Observation, 0, len(latest))
	for _, code := range vitalOrder {
		if o, ok := latest[code]; ok {
			out = append(out, o)
		}
	}
	return out
}

// vitalOrder is the order vital signs are listed in a summary.
var vitalOrder = []string{LOINCBloodPressure, LOINCHeartRate, LOINCRespiratoryRate, LOINCBodyTemperature, LOINCOxygenSaturation, LOINCPulseOximetry, LOINCBodyHeight, LOINCBodyWeight, LOINCBMI, LOINCHeadCircumference}
