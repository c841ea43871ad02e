package access_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// TestAct: an act allowed by an operation permission writes the records of its
// compartments that no role writes directly, and nothing else unchecked.
func TestAct(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		ledger := rec("InternalLedger", "l1", "p1")

		// No role may write the type directly.
		ctx := as(physician)
		err := e.g.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, ledger, 0)
			return err
		})
		assert.Equal(t, access.ReasonRole, reasonOf(t, err))

		// Within the act of signing for p1 it is written, and audited as the act.
		require.NoError(t, e.g.Update(ctx, func(tx storage.Tx) error {
			atx, err := access.Act(ctx, tx, access.PermRxSign, "p1")
			if err != nil {
				return err
			}
			if _, err := atx.Put(ctx, ledger, 0); err != nil {
				return err
			}
			// A new record without a facility takes its patient's.
			bare := storage.Record{Type: "InternalLedger", ID: "l3", Compartment: "p1", Value: []byte(`{"v":1,"d":{}}`)}
			if _, err := atx.Put(ctx, bare, 0); err != nil {
				return err
			}
			// Outside the act's compartment the usual checks apply.
			_, err = atx.Put(ctx, rec("InternalLedger", "l2", "p2"), 0)
			assert.Equal(t, access.ReasonRole, reasonOf(t, err))
			return nil
		}))
		got, err := e.inner.Get(ctx, "InternalLedger", "l1")
		require.NoError(t, err)
		assert.Equal(t, "p1", got.Compartment)
		got, err = e.inner.Get(ctx, "InternalLedger", "l3")
		require.NoError(t, err)
		assert.Equal(t, []storage.Term{{Name: access.FacilityTerm, Value: "F1"}}, got.Terms)

		// A principal without the permission gets no act.
		fd := as(frontDesk)
		err = e.g.Update(fd, func(tx storage.Tx) error {
			_, err := access.Act(fd, tx, access.PermRxSign, "p1")
			return err
		})
		assert.Equal(t, access.ReasonRole, reasonOf(t, err))

		// A trusted store's transaction needs only a principal; a bare one is refused.
		require.NoError(t, access.Trusted(e.inner).Update(fd, func(tx storage.Tx) error {
			_, err := access.Act(fd, tx, access.PermRxSign, "p1")
			return err
		}))
		err = e.inner.Update(fd, func(tx storage.Tx) error {
			_, err := access.Act(fd, tx, access.PermRxSign, "p1")
			return err
		})
		assert.Equal(t, access.ReasonUntrusted, reasonOf(t, err))
		require.NoError(t, access.Verify(ctx, e.inner))
	})
}
