package rx_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
)

// TestVerifyList: the medication list holds exactly the active and on-hold
// medication orders through signing, holding and stopping; an order made
// active behind the service's back (never checked at signing) is reported
// unlisted, and one stopped behind its back extra.
func TestVerifyList(t *testing.T) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		ctx := user("u-dr", "physician")
		sign := func(code, name string) rx.Order {
			o, err := svc.Draft(ctx, medOrder(code, name))
			require.NoError(t, err)
			o, err = svc.Sign(ctx, o.ID, "")
			require.NoError(t, err)
			return o
		}
		statin := sign("312961", "Simvastatin 20 MG Oral Tablet")
		held := sign("197361", "Amlodipine 5 MG Oral Tablet")
		_, err := svc.Transition(ctx, held.ID, rx.OnHold, "surgery")
		require.NoError(t, err)
		stopped := sign("314076", "Lisinopril 10 MG Oral Tablet")
		_, err = svc.Transition(ctx, stopped.ID, rx.Stopped, "cough")
		require.NoError(t, err)
		_, err = svc.Draft(ctx, medOrder("308136", "Amlodipine 2.5 MG Oral Tablet"))
		require.NoError(t, err)
		require.NoError(t, rx.VerifyList(ctx, s, pat))

		// Rewrite two orders directly, as a half-applied write would leave them.
		rewrite := func(id string, from, to rx.Status) {
			rec, err := s.Get(ctx, rx.MedicationRequestType, id)
			require.NoError(t, err)
			old := []byte(`"status":"` + string(from) + `"`)
			require.Equal(t, 1, bytes.Count(rec.Value, old))
			rec.Value = bytes.Replace(rec.Value, old, []byte(`"status":"`+string(to)+`"`), 1)
			require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
				_, err := tx.Put(ctx, rec, rec.Version)
				return err
			}))
			o, err := svc.Get(ctx, id)
			require.NoError(t, err)
			require.Equal(t, to, o.Status)
		}
		rewrite(stopped.ID, rx.Stopped, rx.Active)
		rewrite(statin.ID, rx.Active, rx.Stopped)
		var le *rx.ListError
		require.ErrorAs(t, rx.VerifyList(ctx, s, pat), &le)
		assert.Equal(t, pat, le.Patient)
		assert.Equal(t, []string{stopped.ID}, le.Unlisted)
		assert.Equal(t, []string{statin.ID}, le.Extra)
	})
}
