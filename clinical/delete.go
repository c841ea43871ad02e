package clinical

import (
	"context"
	"fmt"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Delete deletes the clinical record typ/id inside the caller's transaction:
// the service's transaction-scoped delete entry point (a tombstone; the
// record's history stays readable). An Encounter that other records of the
// patient still name (an observation, a condition, a note taken during it)
// is refused with an *ehrkit.InUseError naming one of them. Deleting a
// record that does not exist or is deleted already reports false and no
// error. A typ the service does not own fails with ehrkit.ErrUnsupported.
func (s *Service) Delete(ctx context.Context, tx storage.Tx, typ, id string) (bool, error) {
	switch typ {
	case EncounterType:
		return encounters.Delete(ctx, tx, id, func(e *Encounter) error { return encounterUnused(ctx, tx, e) })
	case ConditionType:
		return conditions.Delete(ctx, tx, id, nil)
	case AllergyType:
		return allergies.Delete(ctx, tx, id, nil)
	case ObservationType:
		return observations.Delete(ctx, tx, id, nil)
	case ProcedureType:
		return procedures.Delete(ctx, tx, id, nil)
	case ImmunizationType:
		return immunizations.Delete(ctx, tx, id, nil)
	case CarePlanType:
		return carePlans.Delete(ctx, tx, id, nil)
	case GoalType:
		return goals.Delete(ctx, tx, id, nil)
	case NoteType:
		return notes.Delete(ctx, tx, id, nil)
	case FormResponseType:
		return responses.Delete(ctx, tx, id, nil)
	case ImagingStudyType:
		return imagingStudies.Delete(ctx, tx, id, nil)
	}
	return false, fmt.Errorf("%w: not a clinical record type", ehrkit.ErrUnsupported)
}

// encounterUnused fails with an *ehrkit.InUseError when a record of the
// encounter's patient names it (the encounter index term every clinical
// and order record carries).
func encounterUnused(ctx context.Context, tx storage.Tx, e *Encounter) error {
	page, err := tx.Query(ctx, storage.Query{Compartment: string(e.Patient), Limit: 1,
		Filters: []storage.Filter{{Term: termEncounter, Op: storage.Eq, Value: e.ID}}})
	if err != nil {
		return err
	}
	if len(page.Records) > 0 {
		return &ehrkit.InUseError{Type: EncounterType, ID: e.ID, By: storage.Describe(page.Records[0])}
	}
	return nil
}
