package schedule

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/storage"
)

// TestVerifyLedgers: the ledgers agree with the appointments after bookings,
// a consult on two resources and a cancellation; a ledger removed behind the
// service's back shows as missing entries, an appointment cancelled behind
// its back as a stale one.
func TestVerifyLedgers(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		ctx := bg
		a, err := f.svc.Book(ctx, book("visit", "p1", at(monday, "09:30")))
		require.NoError(t, err)
		c, err := f.svc.Book(ctx, book("consult", "p2", at(monday, "10:00"), drA, roomA))
		require.NoError(t, err)
		gone, err := f.svc.Book(ctx, book("visit", "p3", at(monday, "11:00")))
		require.NoError(t, err)
		_, err = f.svc.Cancel(ctx, gone.ID)
		require.NoError(t, err)
		require.NoError(t, VerifyLedgers(ctx, f.store))

		day := monday.Format("2006-01-02")
		require.NoError(t, f.store.Update(ctx, func(tx storage.Tx) error {
			return tx.Delete(ctx, RecordLedger, actorKey(roomA)+":"+day, storage.Any)
		}))
		err = VerifyLedgers(ctx, f.store)
		var le *LedgerError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, []string{c.ID + "@" + actorKey(roomA) + ":" + day}, le.Missing)
		assert.Empty(t, le.Stale)

		rec, err := f.store.Get(ctx, RecordAppointment, a.ID)
		require.NoError(t, err)
		stored, err := appointments.Decode(rec)
		require.NoError(t, err)
		stored.Status = Cancelled
		require.NoError(t, f.store.Update(ctx, func(tx storage.Tx) error {
			_, err := appointments.Put(ctx, tx, &stored, rec.Version)
			return err
		}))
		require.ErrorAs(t, VerifyLedgers(ctx, f.store), &le)
		assert.Equal(t, []string{a.ID + "@" + actorKey(drA) + ":" + day}, le.Stale)
	})
}
