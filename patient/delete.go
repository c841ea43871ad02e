package patient

import (
	"context"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Delete deletes patient id inside the caller's transaction (a tombstone:
// its history stays readable) and releases its identifiers. A patient whose
// compartment still holds records of other types (observations, encounters,
// orders ...) is refused with an *ehrkit.InUseError naming one of them: the
// chart must be deleted first, and nothing is orphaned. Deleting a patient
// that does not exist or is deleted already reports false and no error.
// The checks installed with RegisterDeleteCheck run too, for records in
// other compartments that name the patient.
func (s *Service) Delete(ctx context.Context, tx storage.Tx, id ID) (bool, error) {
	return patients.Delete(ctx, tx, string(id), func(p *Patient) error {
		if err := compartmentEmpty(ctx, tx, id); err != nil {
			return err
		}
		for _, c := range deleteChecks.all() {
			if err := c(ctx, tx, id); err != nil {
				return err
			}
		}
		return claimIdentifiers(ctx, tx, Patient{ID: id}, p)
	})
}

// compartmentEmpty fails with an *ehrkit.InUseError when the compartment of
// id holds a record other than the patient's own and its identifier keys.
func compartmentEmpty(ctx context.Context, tx storage.Tx, id ID) error {
	q := storage.Query{Compartment: string(id), Limit: storage.MaxLimit}
	for {
		page, err := tx.Query(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			if r.Type != RecordType && r.Type != IdentifierRecordType {
				return &ehrkit.InUseError{Type: RecordType, ID: string(id), By: storage.Describe(r)}
			}
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
}

// A DeleteCheck looks, inside a delete's transaction, for a record outside
// the patient's compartment that names patient id (another patient's
// coverage naming it as subscriber, say) and fails with an
// *ehrkit.InUseError naming the record; nil lets the delete go ahead.
// Packages above patient install theirs with RegisterDeleteCheck (billing
// does), so every Delete runs them, whoever built the Service.
type DeleteCheck func(ctx context.Context, tx storage.Tx, id ID) error

var deleteChecks registry[DeleteCheck]

// RegisterDeleteCheck installs a check every Delete of every Service runs
// inside its transaction. It is meant to be called from the init function of
// the package that owns the records checked.
func RegisterDeleteCheck(c DeleteCheck) { deleteChecks.add(c) }
