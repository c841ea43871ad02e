package clinical

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Entry is one event of a patient's medical history.
type Entry struct {
	Time      time.Time
	Type      string // record type: Encounter, Condition, Observation, ...
	ID        string
	Encounter string // the encounter it was recorded in, if any
	Status    string
	Title     string // the code's text or display, the note or form title
}

// Timeline returns the patient's medical history in time order (oldest
// first; ties by type then id): encounters, conditions, allergies,
// observations, procedures, immunizations, care plans, notes and form
// responses. Records of other packages in the compartment are skipped.
func (s *Service) Timeline(ctx context.Context, p patient.ID) ([]Entry, error) {
	if !storage.ValidID(string(p)) {
		var is ehrkit.Issues
		is.Add("patient", ehrkit.IssueValue, "malformed patient id")
		return nil, is.Err()
	}
	var out []Entry
	q := storage.Query{Compartment: string(p), SortBy: termDate, Limit: storage.MaxLimit}
	for {
		page, err := s.store.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			e, ok, err := entryOf(rec)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, e)
			}
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	slices.SortStableFunc(out, func(a, b Entry) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Type, b.Type), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// entryOf decodes a record of a clinical type into a timeline entry; ok is
// false for records of other types.
func entryOf(rec storage.Record) (e Entry, ok bool, err error) {
	switch rec.Type {
	case EncounterType:
		e, err = entry(rec, encounters, func(v *Encounter) Entry {
			title := string(v.Class)
			if len(v.Type) > 0 {
				title = v.Type[0].String()
			}
			return Entry{Time: v.Period.Start, Encounter: v.ID, Status: string(v.Status), Title: title}
		})
	case ConditionType:
		e, err = entry(rec, conditions, func(v *Condition) Entry {
			return Entry{Time: v.timelineTime(), Encounter: v.Encounter, Status: v.ClinicalStatus, Title: v.Code.String()}
		})
	case AllergyType:
		e, err = entry(rec, allergies, func(v *AllergyIntolerance) Entry {
			return Entry{Time: v.Recorded, Encounter: v.Encounter, Status: v.ClinicalStatus, Title: v.Code.String()}
		})
	case ObservationType:
		e, err = entry(rec, observations, func(v *Observation) Entry {
			return Entry{Time: v.Effective, Encounter: v.Encounter, Status: string(v.Status), Title: v.Code.String()}
		})
	case ProcedureType:
		e, err = entry(rec, procedures, func(v *Procedure) Entry {
			return Entry{Time: v.Performed.Start, Encounter: v.Encounter, Status: v.Status, Title: v.Code.String()}
		})
	case ImmunizationType:
		e, err = entry(rec, immunizations, func(v *Immunization) Entry {
			return Entry{Time: v.Occurrence, Encounter: v.Encounter, Status: v.Status, Title: v.VaccineCode.String()}
		})
	case CarePlanType:
		e, err = entry(rec, carePlans, func(v *CarePlan) Entry {
			return Entry{Time: v.Period.Start, Encounter: v.Encounter, Status: v.Status, Title: v.Title}
		})
	case NoteType:
		e, err = entry(rec, notes, func(v *Note) Entry {
			return Entry{Time: v.Created, Encounter: v.Encounter, Status: string(v.Status), Title: cmp.Or(v.Title, v.Type.String())}
		})
	case FormResponseType:
		e, err = entry(rec, responses, func(v *FormResponse) Entry {
			return Entry{Time: v.Authored, Encounter: v.Encounter, Status: v.Status, Title: v.Form}
		})
	default:
		return Entry{}, false, nil
	}
	return e, err == nil, err
}

// entry decodes rec with k and describes it with fn.
func entry[T any](rec storage.Record, k storage.Kind[T], fn func(*T) Entry) (Entry, error) {
	v, err := k.Decode(rec)
	if err != nil {
		return Entry{}, err
	}
	e := fn(&v)
	e.Type, e.ID = rec.Type, rec.ID
	return e, nil
}

// MedicationSource lists a patient's active medications. The rx package
// implements it; clinical only consumes it, so it does not depend on rx.
type MedicationSource interface {
	ActiveMedications(ctx context.Context, p patient.ID) ([]Medication, error)
}

// Medication is one active medication as a summary shows it.
type Medication struct {
	Code   ehrkit.CodeableConcept // RxNorm, usually
	Dosage string                 // the dosage instruction as text
	Since  time.Time
	Source ehrkit.Reference // e.g. MedicationRequest/id
}

// Summary is a patient's current clinical picture.
type Summary struct {
	Patient        patient.ID
	ActiveProblems []Condition          // problem-list conditions that are active
	Allergies      []AllergyIntolerance // active allergies and intolerances
	LatestVitals   []Observation        // the most recent value of each vital sign
	Medications    []Medication         // from the MedicationSource; nil without one
	CarePlans      []CarePlan           // active care plans
}

// Summary returns the patient's active problems, active allergies, latest
// vital signs, active care plans and, when the service has a
// MedicationSource, active medications.
func (s *Service) Summary(ctx context.Context, p patient.ID) (Summary, error) {
	sum := Summary{Patient: p}
	conds, err := list(ctx, s, conditions, p, storage.Filter{Term: termCategory, Op: storage.Eq, Value: ConditionProblemListItem})
	if err != nil {
		return Summary{}, err
	}
	for _, c := range conds {
		if c.IsActive() {
			sum.ActiveProblems = append(sum.ActiveProblems, c)
		}
	}
	als, err := list(ctx, s, allergies, p)
	if err != nil {
		return Summary{}, err
	}
	for _, a := range als {
		if a.IsActive() {
			sum.Allergies = append(sum.Allergies, a)
		}
	}
	vitals, err := list(ctx, s, observations, p, storage.Filter{Term: termCategory, Op: storage.Eq, Value: CategoryVitalSigns})
	if err != nil {
		return Summary{}, err
	}
	sum.LatestVitals = latestVitals(vitals)
	plans, err := list(ctx, s, carePlans, p, storage.Filter{Term: termStatus, Op: storage.Eq, Value: "active"})
	if err != nil {
		return Summary{}, err
	}
	sum.CarePlans = plans
	if s.meds != nil {
		if sum.Medications, err = s.meds.ActiveMedications(ctx, p); err != nil {
			return Summary{}, err
		}
	}
	return sum, nil
}
