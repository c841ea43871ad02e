package patient

import (
	"context"
	"errors"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDeletePatient: a patient whose compartment holds a record of another
// type is refused with an *ehrkit.InUseError naming it and kept; once the
// record is gone the patient is deleted (a tombstone ends its history), a
// second delete reports false, and its identifier is free for another
// patient.
func TestDeletePatient(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		p := person("Dee", "Delete", "1970-01-01", GenderFemale)
		p.ID = "pd"
		mrn := ehrkit.Identifier{System: "urn:test:mrn", Value: "D-1"}
		p.Identifiers = []ehrkit.Identifier{mrn}
		update := func(fn func(tx storage.Tx) error) error { return svc.store.Update(ctx, fn) }
		require.NoError(t, update(func(tx storage.Tx) error {
			if _, err := svc.Save(ctx, tx, p); err != nil {
				return err
			}
			_, err := tx.Put(ctx, storage.Record{Type: "Observation", ID: "o1", Compartment: "pd", Value: []byte(`{}`)}, 0)
			return err
		}))

		err := update(func(tx storage.Tx) error { _, err := svc.Delete(ctx, tx, "pd"); return err })
		var inUse *ehrkit.InUseError
		require.True(t, errors.As(err, &inUse), "%v", err)
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		assert.Equal(t, "Observation/o1", inUse.By)
		_, err = s.Get(ctx, RecordType, "pd")
		require.NoError(t, err, "kept")

		require.NoError(t, update(func(tx storage.Tx) error { return tx.Delete(ctx, "Observation", "o1", storage.Any) }))
		var deleted, again bool
		require.NoError(t, update(func(tx storage.Tx) (err error) { deleted, err = svc.Delete(ctx, tx, "pd"); return }))
		require.NoError(t, update(func(tx storage.Tx) (err error) { again, err = svc.Delete(ctx, tx, "pd"); return }))
		assert.True(t, deleted)
		assert.False(t, again)
		_, err = s.Get(ctx, RecordType, "pd")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)
		hist, err := s.History(ctx, RecordType, "pd")
		require.NoError(t, err)
		assert.True(t, hist[len(hist)-1].Deleted)

		other := person("Oth", "Other", "1980-01-01", GenderMale)
		other.ID = "po"
		other.Identifiers = []ehrkit.Identifier{mrn}
		require.NoError(t, update(func(tx storage.Tx) error { _, err := svc.Save(ctx, tx, other); return err }), "the identifier was released")
	})
}
