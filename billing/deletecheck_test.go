package billing_test

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// TestDeleteNamedPatient: a patient that another patient's billing names
// (coverage subscriber, account guarantor, invoice recipient) cannot be
// deleted, on every backend, though its own compartment is empty; the
// InUseError names the record. A patient nobody names is deleted.
func TestDeleteNamedPatient(t *testing.T) {
	clock := ehrkit.NewFakeClock(day(3, 1))
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), biller)
		trusted := access.Trusted(s)
		for _, p := range []string{"sub", "guar", "recip", "free", "p2", "p3", "p4"} {
			addPatient(t, ctx, s, p)
		}
		svc := billing.NewService(trusted, billing.WithClock(clock))
		addPayer(t, ctx, trusted, "acme")
		_, err := svc.AddCoverage(ctx, billing.Coverage{Patient: "p2", Payer: "acme", PayerID: "PAYER1", MemberID: "M2",
			Subscriber: "sub", Relationship: billing.RelationshipChild, Priority: billing.Primary, Period: ehrkit.Period{Start: day(1, 1)}})
		require.NoError(t, err)
		require.NoError(t, trusted.Update(ctx, func(tx storage.Tx) error {
			_, err := svc.SaveAccount(ctx, tx, billing.Account{ID: "acc-4", Patient: "p4", Status: billing.AccountActive, Guarantor: "guar"})
			return err
		}))
		_, err = svc.CreateInvoice(ctx, billing.Invoice{Number: "INV-3", Patient: "p3", Recipient: "recip", Currency: "USD",
			Lines: []billing.InvoiceLine{{Charge: &billing.Charge{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "99401"},
				Units: decimal.NewFromInt(1), UnitFee: usd(t, "45.50"), ServiceDate: day(2, 20)}}}})
		require.NoError(t, err)

		patients, err := patient.NewService(trusted, patient.WithClock(clock))
		require.NoError(t, err)
		del := func(id string) (bool, error) {
			var deleted bool
			err := trusted.Update(ctx, func(tx storage.Tx) (err error) {
				deleted, err = patients.Delete(ctx, tx, patient.ID(id))
				return err
			})
			return deleted, err
		}
		cov := coverageOf(t, ctx, s, "p2")
		for id, by := range map[string]string{"sub": "Coverage/" + cov, "guar": "Account/acc-4", "recip": "Invoice/INV-3"} {
			_, err := del(id)
			var inUse *ehrkit.InUseError
			require.ErrorAs(t, err, &inUse, id)
			assert.Equal(t, by, inUse.By, id)
			_, err = s.Get(ctx, patient.RecordType, id)
			require.NoError(t, err, "%s is still there", id)
		}
		deleted, err := del("free")
		require.NoError(t, err)
		assert.True(t, deleted)
	})
}
