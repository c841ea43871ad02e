package billing_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// TestGuarantorStatement states the account of p1 as guarantor, on every
// backend: p1's own claims (the practice, report_test.go), p2 whose coverage
// names p1 as subscriber (relationship child, FHIR subscriber-relationship),
// p3 whose invoice is addressed to p1, and p4 whose account names p1 as
// guarantor. By hand, as of 03-02:
//
//	p1  A: PR-2 20.00 less 15.00 cash = 5.00 (56 days); B: 200.00 from insurance
//	p2  INV-2, 99401 × 1 at 45.50 on 02-20, self-pay    = 45.50 (10 days)
//	p3  INV-3, 99401 × 2 at 45.50 on 02-20, self-pay    = 91.00 (10 days)
//	p4  INV-4, 99401 × 1 at 45.50 on 02-20, self-pay    = 45.50 (10 days)
//	due 5.00 + 45.50 + 91.00 + 45.50 = 187.00; aging 0-30: 182.00, 31-60: 5.00
func TestGuarantorStatement(t *testing.T) {
	clock := ehrkit.NewFakeClock(day(1, 5))
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), biller)
		for _, p := range []string{"p1", "p3", "p4", "p5"} {
			addPatient(t, ctx, s, p)
		}
		pr := newPractice(t, ctx, s, clock)
		addPayer(t, ctx, access.Trusted(s), "acme")
		_, err := pr.svc.AddCoverage(ctx, billing.Coverage{Patient: "p2", Payer: "acme", PayerID: "PAYER1", MemberID: "M100-02",
			Subscriber: "p1", Relationship: billing.RelationshipChild, Priority: billing.Primary, Period: ehrkit.Period{Start: day(1, 1)}})
		require.NoError(t, err)
		visit := func(units int64) *billing.Charge {
			return &billing.Charge{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "99401"}, Units: decimal.NewFromInt(units),
				UnitFee: usd(t, "45.50"), ServiceDate: day(2, 20)}
		}
		cov := coverageOf(t, ctx, s, "p2")
		account := billing.Account{ID: "acc-4", Patient: "p4", Status: billing.AccountActive, Guarantor: "p1", Coverages: []string{cov, cov, "nope"}}
		save := func(a billing.Account) error {
			return access.Trusted(s).Update(ctx, func(tx storage.Tx) error { _, err := pr.svc.SaveAccount(ctx, tx, a); return err })
		}
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, save(account), &ve)
		assert.True(t, ve.Has("coverages[1]", ehrkit.IssueDuplicate))
		account.Coverages, account.Status = []string{cov, "nope"}, "closed"
		require.ErrorAs(t, save(account), &ve)
		assert.True(t, ve.Has("status", ehrkit.IssueCodeInvalid))
		account.Status = billing.AccountActive
		require.ErrorAs(t, save(account), &ve)
		assert.True(t, ve.Has("coverages[0]", ehrkit.IssueBusinessRule), "p2's coverage, not p4's")
		assert.True(t, ve.Has("coverages[1]", ehrkit.IssueValue), "no such coverage")
		account.Coverages = nil
		require.NoError(t, save(account))

		clock.Set(day(3, 1))
		for _, inv := range []billing.Invoice{
			{Number: "INV-2", Patient: "p2", Currency: "USD", Lines: []billing.InvoiceLine{{Charge: visit(1)}}},
			{Number: "INV-3", Patient: "p3", Recipient: "p1", Currency: "USD", Lines: []billing.InvoiceLine{{Charge: visit(2)}}},
			{Number: "INV-4", Patient: "p4", Currency: "USD", Lines: []billing.InvoiceLine{{Charge: visit(1)}}},
		} {
			_, err := pr.svc.CreateInvoice(ctx, inv)
			require.NoError(t, err)
			_, err = pr.svc.IssueInvoice(ctx, inv.Number, day(3, 31))
			require.NoError(t, err)
		}

		g, err := pr.svc.GuarantorStatement(ctx, "p1", day(3, 2), "USD")
		require.NoError(t, err)
		require.Len(t, g.Patients, 4)
		var who, due []string
		for _, st := range g.Patients {
			who, due = append(who, st.Patient), append(due, st.PatientDue().String())
		}
		assert.Equal(t, []string{"p1", "p2", "p3", "p4"}, who)
		assert.Equal(t, []string{"5.00 USD", "45.50 USD", "91.00 USD", "45.50 USD"}, due)
		assert.Equal(t, "187.00 USD", g.PatientDue().String())
		assert.Equal(t, "200.00 USD", g.Ledger.InsuranceDue().String(), "B")
		assert.Equal(t, []string{"182.00 USD", "5.00 USD", "0.00 USD", "0.00 USD", "0.00 USD"}, money(t, g.PatientAging[:]...))
		require.Len(t, g.Patients[2].Invoices, 1)
		assert.Equal(t, "INV-3", g.Patients[2].Invoices[0].Number)

		own, err := pr.svc.GuarantorStatement(ctx, "p2", day(3, 2), "USD")
		require.NoError(t, err)
		require.Len(t, own.Patients, 1, "p2 answers for no one else")
		assert.Equal(t, "45.50 USD", own.PatientDue().String())
		none, err := pr.svc.GuarantorStatement(ctx, "p5", day(3, 2), "USD")
		require.NoError(t, err)
		assert.Empty(t, none.Patients)
		assert.True(t, none.PatientDue().IsZero())

		_, err = billing.NewGuarantorStatement("p1", g.Patients, day(3, 3), "USD")
		require.ErrorIs(t, err, ehrkit.ErrInvalid, "sections of another day")
		_, err = billing.NewGuarantorStatement("p1", g.Patients, day(3, 2), "EUR")
		require.ErrorIs(t, err, billing.ErrCurrencyMismatch)
	})
}

// coverageOf is the id of the patient's one stored coverage.
func coverageOf(t *testing.T, ctx context.Context, s storage.Store, pat string) string {
	t.Helper()
	for c, err := range billing.CoverageRecords.All(ctx, s, storage.Query{Type: billing.CoverageType, Compartment: pat}) {
		require.NoError(t, err)
		return c.ID
	}
	t.Fatalf("no coverage of %s", pat)
	return ""
}
