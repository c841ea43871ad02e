package clinical_test

import (
	"errors"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServiceDelete: an encounter an observation names is refused with an
// *ehrkit.InUseError naming the observation; the observation deletes (a
// tombstone, a second delete reports false), then the encounter does. A
// type clinical does not own is ErrUnsupported.
func TestServiceDelete(t *testing.T) {
	runEnv(t, func(t *testing.T, e env) {
		enc, err := e.svc.OpenEncounter(e.ctx, clinical.Encounter{Patient: "p1", Class: clinical.ClassAmbulatory})
		require.NoError(t, err)
		obs, err := e.svc.RecordVitals(e.ctx, "p1", enc.ID, clinical.Vitals{HeartRate: qp("72", "/min")})
		require.NoError(t, err)
		del := func(typ, id string) (deleted bool, err error) {
			err = e.store.Update(e.ctx, func(tx storage.Tx) (err error) {
				deleted, err = e.svc.Delete(e.ctx, tx, typ, id)
				return err
			})
			return deleted, err
		}

		_, err = del(clinical.EncounterType, enc.ID)
		var inUse *ehrkit.InUseError
		require.True(t, errors.As(err, &inUse), "%v", err)
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		assert.Equal(t, clinical.ObservationType+"/"+obs[0].ID, inUse.By)

		ok, err := del(clinical.ObservationType, obs[0].ID)
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = del(clinical.ObservationType, obs[0].ID)
		require.NoError(t, err)
		assert.False(t, ok, "deleted already")
		hist, err := e.store.History(e.ctx, clinical.ObservationType, obs[0].ID)
		require.NoError(t, err)
		assert.True(t, hist[len(hist)-1].Deleted)

		ok, err = del(clinical.EncounterType, enc.ID)
		require.NoError(t, err)
		assert.True(t, ok)
		_, err = e.svc.Encounter(e.ctx, enc.ID)
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)

		_, err = del("Patient", "p1")
		assert.ErrorIs(t, err, ehrkit.ErrUnsupported)
	})
}
