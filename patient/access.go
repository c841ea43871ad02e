package patient

import (
	"context"
	"fmt"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// authorize asks for the operation permission access.PermPatientMerge on the
// compartments of both patients of a merge. On an access-guarded store the
// policy decides and the decision is audited; on any other store a principal
// must still be present in ctx (merging is never anonymous).
func (s *Service) authorize(ctx context.Context, source, target ID) error {
	for _, id := range []ID{source, target} {
		if err := access.Require(ctx, s.store, access.PermPatientMerge, string(id)); err != nil {
			return err
		}
	}
	return nil
}

// act returns the transaction in which a merge or unmerge moves the records
// of both compartments (access.Act): moving them is the act the principal was
// allowed, not a write of each record, so every record moves whoever merges
// (a front desk's merge moves allergies too), audited as the act.
func act(ctx context.Context, tx storage.Tx, m MergeRecord) (storage.Tx, error) {
	return access.Act(ctx, tx, access.PermPatientMerge, string(m.Source), string(m.Target))
}

// note writes the semantic audit event of a merge or unmerge on both
// compartments, in the transaction of the change (a no-op on an unguarded
// store). The detail holds ids only.
func (s *Service) note(ctx context.Context, tx storage.Tx, action string, m MergeRecord) error {
	detail := fmt.Sprintf("%s %s: Patient/%s into Patient/%s", MergeRecordType, m.ID, m.Source, m.Target)
	for _, id := range []ID{m.Source, m.Target} {
		if err := access.Note(ctx, tx, action, string(id), detail); err != nil {
			return err
		}
	}
	return nil
}
