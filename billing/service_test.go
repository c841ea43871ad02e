package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

var biller = access.Principal{Kind: access.User, ID: "bill-1", Roles: []string{access.RoleBiller}}

func addPatient(t *testing.T, ctx context.Context, s storage.Store, id string) {
	t.Helper()
	require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{Type: patient.RecordType, ID: id, Compartment: id, Value: []byte(`{"v":1,"d":{"id":"` + id + `"}}`)}, 0)
		return err
	}))
}

// addPayer stores a bare payer Organization with the given id, as the
// directory would hold it.
func addPayer(t *testing.T, ctx context.Context, s storage.Store, id string) {
	t.Helper()
	require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{Type: directory.OrganizationType, ID: id, Value: []byte(`{"v":1,"d":{"id":"` + id + `"}}`)}, 0)
		return err
	}))
}

func runService(t *testing.T, fn func(t *testing.T, ctx context.Context, svc *billing.Service)) {
	clock := ehrkit.NewFakeClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), biller)
		addPatient(t, ctx, s, "p1")
		fn(t, ctx, billing.NewService(access.Trusted(s), billing.WithClock(clock), billing.WithIDs(&ehrkit.SeqIDs{Prefix: "cl-"})))
	})
}

// TestClaimLifecycle takes a claim from draft to paid on every backend, with
// balances exact to the cent and a re-sent remittance posted once.
func TestClaimLifecycle(t *testing.T) {
	runService(t, func(t *testing.T, ctx context.Context, svc *billing.Service) {
		c := cleanClaim(t)
		c.ID = ""
		c.Charges[1].UnitFee = usd(t, "33.00")
		dirty := c.BillingNPI
		c.BillingNPI = "1234567890"
		created, err := svc.CreateClaim(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, "cl-000001", created.ID)
		assert.Equal(t, billing.ClaimDraft, created.Status)

		_, err = svc.Validate(ctx, created.ID)
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("billingNpi", ehrkit.IssueCodeInvalid))
		got, err := svc.Claim(ctx, created.ID)
		require.NoError(t, err)
		assert.Equal(t, billing.ClaimDraft, got.Status, "a claim with problems stays a draft")

		_, err = svc.PostPayment(ctx, created.ID, billing.Payment{Reference: "EFT1", Payer: "PAYER1", Amount: usd(t, "1")})
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("status", ehrkit.IssueBusinessRule), "no payments on drafts")

		got.BillingNPI = dirty
		require.NoError(t, svc.Store().Update(ctx, func(tx storage.Tx) error {
			_, err := svc.SaveClaim(ctx, tx, got)
			return err
		}))
		_, err = svc.Transition(ctx, created.ID, billing.ClaimSubmitted)
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "a draft cannot skip validation")
		_, err = svc.Validate(ctx, created.ID)
		require.NoError(t, err)
		_, err = svc.Transition(ctx, created.ID, billing.ClaimSubmitted)
		require.NoError(t, err)
		_, err = svc.Transition(ctx, created.ID, billing.ClaimAccepted)
		require.NoError(t, err)

		insurer := billing.Payment{Reference: "EFT-778", Payer: "PAYER1", Amount: usd(t, "100.01"),
			Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: usd(t, "9.99")}, {Group: "PR", Reason: "2", Amount: usd(t, "20.00")}}}
		for range 2 { // the 835 is re-sent
			got, err = svc.PostPayment(ctx, created.ID, insurer)
			require.NoError(t, err)
		}
		require.Len(t, got.Payments, 1, "same trace posts once")
		bal, err := got.Balance()
		require.NoError(t, err)
		assert.Equal(t, "33.00 USD", bal.String(), "143.00 - 100.01 - 9.99 written off; the 20.00 co-insurance stays due")

		got, err = svc.PostPayment(ctx, created.ID, billing.Payment{Reference: "R-1", Payer: "patient", Amount: usd(t, "33")})
		require.NoError(t, err)
		bal, err = got.Balance()
		require.NoError(t, err)
		assert.True(t, bal.IsZero())
		assert.Equal(t, time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), got.Payments[1].Posted)

		_, err = svc.PostPayment(context.Background(), created.ID, billing.Payment{Reference: "R-2", Payer: "patient", Amount: usd(t, "1")})
		require.ErrorIs(t, err, ehrkit.ErrUnauthenticated, "no principal, no posting")
	})
}

func TestSaveClaimChecksPatient(t *testing.T) {
	runService(t, func(t *testing.T, ctx context.Context, svc *billing.Service) {
		c := cleanClaim(t)
		c.Patient = "nobody"
		_, err := svc.CreateClaim(ctx, c)
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.NotEmpty(t, ve.Issues)
		assert.Equal(t, "patient", ve.Issues[0].Path)
		_, err = svc.Claim(ctx, c.ID)
		require.ErrorIs(t, err, ehrkit.ErrNotFound, "nothing half-written")
	})
}
