package x12_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/x12"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// TestPayments835Balance reads every 835 of the corpus and checks the
// guide's claim balancing rule (ASC X12N 005010X221A1, section 1.10.2.1): the
// charge less the payment equals the sum of the claim's adjustments.
func TestPayments835Balance(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir(t), "*.835"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		f, err := os.Open(path)
		require.NoError(t, err)
		n := 0
		for cp, err := range x12.Payments835(f, "USD") {
			require.NoError(t, err, path)
			n++
			sum := decimal.Zero
			for _, a := range cp.Adjustments {
				sum = sum.Add(a.Amount.Amount)
			}
			assert.True(t, cp.Charge.Amount.Sub(cp.Paid.Amount).Equal(sum), "%s claim payment %d: charge - paid = %s, adjustments %s",
				filepath.Base(path), n, cp.Charge.Amount.Sub(cp.Paid.Amount), sum)
		}
		f.Close()
		assert.Positive(t, n, path)
	}
}

// TestPost835 posts a remittance for the clinic visit's two claims on every
// backend: balances to the cent, the patient's co-insurance left due, and the
// re-sent 835 posted once.
func TestPost835(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), access.Principal{Kind: access.User, ID: "bill-1", Roles: []string{access.RoleBiller}})
		require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: patient.RecordType, ID: "p1", Compartment: "p1", Value: []byte(`{"v":1,"d":{"id":"p1"}}`)}, 0)
			return err
		}))
		svc := billing.NewService(access.Trusted(s), billing.WithClock(ehrkit.NewFakeClock(time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC))))
		_, claims := clinicVisit(t)
		for _, c := range claims {
			created, err := svc.CreateClaim(ctx, c)
			require.NoError(t, err)
			for _, to := range []billing.ClaimStatus{billing.ClaimValidated, billing.ClaimSubmitted, billing.ClaimAccepted} {
				_, err = svc.Transition(ctx, created.ID, to)
				require.NoError(t, err)
			}
		}
		for range 2 {
			f, err := os.Open("testdata/clinic-visit.835")
			require.NoError(t, err)
			res, err := x12.Post835(ctx, svc, f, "USD")
			f.Close()
			require.NoError(t, err)
			require.Len(t, res, 2)
			for _, r := range res {
				require.NoError(t, r.Err, r.ClaimID)
			}
		}
		want := map[string]string{"CLM001": "20.00 USD", "CLM002": "0.00 USD"}
		for id, w := range want {
			c, err := svc.Claim(ctx, id)
			require.NoError(t, err)
			require.Len(t, c.Payments, 1, "%s: the re-sent 835 posts once", id)
			bal, err := c.Balance()
			require.NoError(t, err)
			assert.Equal(t, w, bal.String(), id)
		}
	})
}
