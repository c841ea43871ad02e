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

// TestInvoice bills p1 of the practice (report_test.go) for the rest of
// claim A's co-insurance and a self-pay counselling visit, then pays it in
// two parts, on every backend. By hand:
//
//	line 0  claim A: PR-2 20.00 less 15.00 cash              =  5.00
//	line 1  99401 × 2 at 45.50, self-pay, 2026-02-20          = 91.00
//	total                                                     = 96.00
//	03-05 card 50.00: line 0 5.00 (claim A settled), line 1 45.00 → 46.00 due
//	03-20 cash 46.00: line 1 46.00                            →  0.00, paid
func TestInvoice(t *testing.T) {
	clock := ehrkit.NewFakeClock(day(1, 5))
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), biller)
		addPatient(t, ctx, s, "p1")
		pr := newPractice(t, ctx, s, clock)
		svc := pr.svc
		counselling := billing.Charge{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "99401"}, Units: decimal.NewFromInt(2),
			UnitFee: usd(t, "45.50"), ServiceDate: day(2, 20)}

		bad := counselling
		bad.Units = decimal.Zero
		bad.Procedure.System = ehrkit.SystemICD10CM
		_, err := svc.CreateInvoice(ctx, billing.Invoice{Number: "INV-1", Patient: "p1", Currency: "USD", Lines: []billing.InvoiceLine{
			{Claim: pr.ids["A"]}, {Claim: pr.ids["B"]}, {Claim: "nope"}, {Claim: pr.ids["D"]}, {Charge: &bad}, {},
		}})
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("lines[4].charge.units", ehrkit.IssueValue), ve.Error())
		assert.True(t, ve.Has("lines[4].charge.procedure.system", ehrkit.IssueCodeInvalid))
		assert.True(t, ve.Has("lines[5]", ehrkit.IssueInvariant), "a line bills a claim or a charge")
		_, err = svc.CreateInvoice(ctx, billing.Invoice{Number: "INV-1", Patient: "p1", Currency: "USD", Lines: []billing.InvoiceLine{
			{Claim: pr.ids["A"]}, {Claim: pr.ids["B"]}, {Claim: "nope"}, {Claim: pr.ids["D"]}, {Claim: pr.ids["C"]},
		}})
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("lines[1].claim", ehrkit.IssueBusinessRule), "B: the patient owes nothing yet")
		assert.True(t, ve.Has("lines[2].claim", ehrkit.IssueValue), "no such claim")
		assert.True(t, ve.Has("lines[3].claim", ehrkit.IssueBusinessRule), "D is a draft")
		assert.True(t, ve.Has("lines[4].claim", ehrkit.IssueBusinessRule), "C is p2's")
		assert.False(t, ve.Has("lines[0].claim", ehrkit.IssueBusinessRule))
		_, err = svc.Invoice(ctx, "INV-1")
		require.ErrorIs(t, err, ehrkit.ErrNotFound, "nothing half-written")
		a, err := svc.Claim(ctx, pr.ids["A"])
		require.NoError(t, err)
		assert.Empty(t, a.Invoice)

		inv, err := svc.CreateInvoice(ctx, billing.Invoice{Number: "INV-1", Patient: "p1", Currency: "USD",
			Lines: []billing.InvoiceLine{{Claim: pr.ids["A"]}, {Charge: &counselling}}})
		require.NoError(t, err)
		assert.Equal(t, billing.InvoiceDraft, inv.Status)
		assert.Equal(t, []string{"5.00 USD", "91.00 USD"}, money(t, inv.Lines[0].Amount, inv.Lines[1].Amount))
		assert.Equal(t, "96.00 USD", inv.Total().String())

		_, err = svc.CreateInvoice(ctx, billing.Invoice{Number: "INV-1", Patient: "p1", Currency: "USD", Lines: []billing.InvoiceLine{{Charge: &counselling}}})
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("number", ehrkit.IssueDuplicate))
		_, err = svc.CreateInvoice(ctx, billing.Invoice{Number: "INV-2", Patient: "p1", Currency: "USD", Lines: []billing.InvoiceLine{{Claim: pr.ids["A"]}}})
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("lines[0].claim", ehrkit.IssueBusinessRule), "A's share is on INV-1")
		_, err = svc.PostPayment(ctx, pr.ids["A"], billing.Payment{Reference: "R-9", Payer: billing.PatientPayer, Method: billing.MethodCash, Amount: usd(t, "5.00")})
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("payer", ehrkit.IssueBusinessRule), "the patient pays the invoice, not the claim")
		_, err = svc.PostInvoicePayment(ctx, "INV-1", billing.Payment{Reference: "CARD-9", Method: billing.MethodCard, Amount: usd(t, "50.00")})
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("status", ehrkit.IssueBusinessRule), "a draft takes no payment")

		clock.Set(day(3, 1))
		inv, err = svc.IssueInvoice(ctx, "INV-1", day(3, 31))
		require.NoError(t, err)
		assert.Equal(t, billing.InvoiceIssued, inv.Status)
		assert.Equal(t, day(3, 1), inv.Issued)
		_, err = svc.IssueInvoice(ctx, "INV-1", day(3, 31))
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)

		st, err := svc.Statement(ctx, "p1", day(3, 2), "USD")
		require.NoError(t, err)
		assert.Equal(t, "96.00 USD", st.PatientDue().String(), "5.00 + 91.00")
		require.Len(t, st.Invoices, 1)
		assert.Equal(t, "96.00 USD", st.Invoices[0].Balance.String(), "the statement asks what the invoice asks")
		require.Len(t, st.Lines, 3, "A, B and the self-pay visit")
		assert.Equal(t, "INV-1", st.Lines[0].Invoice)
		assert.Empty(t, st.Lines[1].Invoice, "B is not invoiced")
		assert.Equal(t, []string{"99401"}, st.Lines[2].Procedures)
		aging, err := svc.Receivables(ctx, day(3, 2), "USD")
		require.NoError(t, err)
		assert.Equal(t, []string{"91.00 USD", "5.00 USD", "0.00 USD", "0.00 USD", "0.00 USD"}, money(t, aging.Patient[:]...), "the visit 10 days old, A 56")
		assert.Equal(t, "296.00 USD", aging.Total().String(), "B 200.00 + 96.00")

		clock.Set(day(3, 5))
		card := billing.Payment{Reference: "CARD-9", Method: billing.MethodCard, Amount: usd(t, "50.00")}
		for range 2 {
			inv, err = svc.PostInvoicePayment(ctx, "INV-1", card)
			require.NoError(t, err)
		}
		require.Len(t, inv.Payments, 1, "same reference posts once")
		assert.Equal(t, "46.00 USD", inv.Balance().String())
		require.Len(t, inv.Payments[0].Lines, 2)
		assert.Equal(t, []string{"5.00 USD", "45.00 USD"}, money(t, inv.Payments[0].Lines[0].Paid, inv.Payments[0].Lines[1].Paid))
		a, err = svc.Claim(ctx, pr.ids["A"])
		require.NoError(t, err)
		bal, err := a.Balance()
		require.NoError(t, err)
		assert.True(t, bal.IsZero(), "the card's 5.00 is on claim A's ledger: %s", bal)
		assert.Equal(t, "INV-1/CARD-9", a.Payments[len(a.Payments)-1].Reference)
		assert.Empty(t, a.Invoice, "A's share is paid: the claim is free for a later invoice")

		_, err = svc.PostInvoicePayment(ctx, "INV-1", billing.Payment{Reference: "C-2", Method: billing.MethodCash, Amount: usd(t, "46.01")})
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("amount", ehrkit.IssueBusinessRule), "more than the balance")
		_, err = svc.PostInvoicePayment(ctx, "INV-1", billing.Payment{Reference: "C-2", Method: billing.MethodEFT, Amount: usd(t, "-1")})
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("method", ehrkit.IssueCodeInvalid))
		assert.True(t, ve.Has("amount", ehrkit.IssueValue))
		_, err = svc.PostInvoicePayment(context.Background(), "INV-1", billing.Payment{Reference: "C-2", Method: billing.MethodCash, Amount: usd(t, "1")})
		require.ErrorIs(t, err, ehrkit.ErrUnauthenticated, "no principal, no posting")

		st, err = svc.Statement(ctx, "p1", day(3, 6), "USD")
		require.NoError(t, err)
		assert.Equal(t, "46.00 USD", st.PatientDue().String())
		require.Len(t, st.Lines, 2, "A is settled; B and the visit are open")
		assert.Equal(t, "45.00 USD", st.Lines[1].Ledger.PatientPaid.String())
		require.Len(t, st.Invoices, 1)
		assert.Equal(t, "46.00 USD", st.Invoices[0].Balance.String())
		early, err := svc.Statement(ctx, "p1", day(3, 2), "USD")
		require.NoError(t, err)
		assert.Equal(t, "96.00 USD", early.PatientDue().String(), "the card payment of 03-05 is not on a statement of 03-02")

		clock.Set(day(3, 20))
		inv, err = svc.PostInvoicePayment(ctx, "INV-1", billing.Payment{Reference: "C-3", Method: billing.MethodCash, Amount: usd(t, "46.00")})
		require.NoError(t, err)
		assert.Equal(t, billing.InvoicePaid, inv.Status)
		assert.True(t, inv.Balance().IsZero())
		aging, err = svc.Receivables(ctx, day(3, 20), "USD")
		require.NoError(t, err)
		assert.Equal(t, "200.00 USD", aging.Total().String(), "only B, from insurance")
		_, err = svc.CancelInvoice(ctx, "INV-1")
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "a paid invoice stays paid")
	})
}

// TestCancelInvoice cancels an issued invoice: its claim is free again and
// it leaves the statement.
func TestCancelInvoice(t *testing.T) {
	clock := ehrkit.NewFakeClock(day(1, 5))
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), biller)
		addPatient(t, ctx, s, "p1")
		pr := newPractice(t, ctx, s, clock)
		_, err := pr.svc.CreateInvoice(ctx, billing.Invoice{Number: "INV-7", Patient: "p1", Recipient: "p2", Currency: "USD",
			Lines: []billing.InvoiceLine{{Claim: pr.ids["A"]}}})
		require.NoError(t, err)
		_, err = pr.svc.IssueInvoice(ctx, "INV-7", day(2, 9))
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("due", ehrkit.IssueInvariant), "due before the issue date")
		_, err = pr.svc.IssueInvoice(ctx, "INV-7", day(3, 12))
		require.NoError(t, err)
		inv, err := pr.svc.CancelInvoice(ctx, "INV-7")
		require.NoError(t, err)
		assert.Equal(t, billing.InvoiceCancelled, inv.Status)
		a, err := pr.svc.Claim(ctx, pr.ids["A"])
		require.NoError(t, err)
		assert.Empty(t, a.Invoice)
		st, err := pr.svc.Statement(ctx, "p1", day(3, 1), "USD")
		require.NoError(t, err)
		assert.Empty(t, st.Invoices)
		assert.Equal(t, "5.00 USD", st.PatientDue().String())
		_, err = pr.svc.CreateInvoice(ctx, billing.Invoice{Number: "INV-8", Patient: "p1", Currency: "USD", Lines: []billing.InvoiceLine{{Claim: pr.ids["A"]}}})
		require.NoError(t, err, "the claim is free for another invoice")
	})
}

// TestReportSelfPay reports a period holding a self-pay visit, on every
// backend. The practice (report_test.go) and INV-1 billing claim A's
// remaining 5.00 and 99401 × 2 at 45.50 = 91.00 rendered by 1245319599 on
// 02-20, issued 03-01, 50.00 by card on 03-05 (5.00 on A, 45.00 on the
// visit). By hand, over [01-01, 04-01), 90 days:
//
//	charged      453.00 + 91.00                       = 544.00
//	collected    100.01 + 15.00 + 5.00 + 45.00        = 165.01 (patient 65.00)
//	receivables  B 200.00 + the visit 91.00 - 45.00   = 246.00
//	net collection rate  165.01 / (544.00 - 132.99)   = 0.401474 → 0.4015
//	days in A/R  246.00 / (544.00 / 90)               = 40.6985  → 40.7
func TestReportSelfPay(t *testing.T) {
	clock := ehrkit.NewFakeClock(day(1, 5))
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), biller)
		addPatient(t, ctx, s, "p1")
		pr := newPractice(t, ctx, s, clock)
		visit := billing.Charge{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "99401"}, Units: decimal.NewFromInt(2),
			UnitFee: usd(t, "45.50"), ServiceDate: day(2, 20), RenderingNPI: "1245319599"}
		_, err := pr.svc.CreateInvoice(ctx, billing.Invoice{Number: "INV-1", Patient: "p1", Currency: "USD",
			Lines: []billing.InvoiceLine{{Claim: pr.ids["A"]}, {Charge: &visit}}})
		require.NoError(t, err)
		rep, err := pr.svc.Report(ctx, day(1, 1), day(4, 1), "USD")
		require.NoError(t, err)
		assert.Equal(t, "453.00 USD", rep.Charged.String(), "a draft invoice bills nothing")

		clock.Set(day(3, 1))
		_, err = pr.svc.IssueInvoice(ctx, "INV-1", day(3, 31))
		require.NoError(t, err)
		clock.Set(day(3, 5))
		_, err = pr.svc.PostInvoicePayment(ctx, "INV-1", billing.Payment{Reference: "CARD-9", Method: billing.MethodCard, Amount: usd(t, "50.00")})
		require.NoError(t, err)

		rep, err = pr.svc.Report(ctx, day(1, 1), day(4, 1), "USD")
		require.NoError(t, err)
		assert.Equal(t, "544.00 USD", rep.Charged.String())
		assert.Equal(t, "132.99 USD", rep.WrittenOff.String())
		assert.Equal(t, []string{"165.01 USD", "100.01 USD", "65.00 USD"}, money(t, rep.Collected, rep.InsurancePaid, rep.PatientPaid))
		assert.Equal(t, "246.00 USD", rep.Receivables.String())
		assert.Equal(t, "0.4015", rep.NetCollectionRate.String())
		assert.Equal(t, "40.7", rep.DaysInAR.String())
		find := func(rs []billing.Revenue, key string) []string {
			for _, r := range rs {
				if r.Key == key {
					return money(t, r.Charged, r.Paid, r.WrittenOff)
				}
			}
			return nil
		}
		assert.Equal(t, []string{"91.00 USD", "65.00 USD", "0.00 USD"}, find(rep.ByPayer, billing.PatientPayer), "the visit, and 15.00 + 5.00 + 45.00 paid")
		assert.Equal(t, []string{"91.00 USD", "45.00 USD", "0.00 USD"}, find(rep.ByProcedure, "99401"))
		assert.Equal(t, []string{"291.00 USD", "45.00 USD", "0.00 USD"}, find(rep.ByProvider, "1245319599"), "B 200.00 + the visit 91.00")

		feb, err := pr.svc.Report(ctx, day(2, 1), day(3, 1), "USD")
		require.NoError(t, err)
		assert.Equal(t, "200.00 USD", feb.Charged.String(), "INV-1 was issued on 03-01, after the period: only B")
		assert.Equal(t, "205.00 USD", feb.Receivables.String())
	})
}

// TestInvoiceRestated posts a payer's late payment on a claim whose
// patient share is on an issued invoice, on every backend: the invoice's
// claim line is re-stated in the posting's transaction. By hand, INV-1
// bills claim A's 5.00 (PR-2 20.00 less 15.00 cash) and the 91.00 visit,
// issued 03-01. On 03-10 ACME reprocesses A (a negative PR-2, as the 835
// TR3 005010X221A1 "Reversals and Corrections" allows): pays 3.00 more and reduces the
// co-insurance by 3.00, so A's patient share is 17.00 - 15.00 = 2.00 and
// the invoice asks 2.00 + 91.00 = 93.00. On 03-12 the patient pays 50.00
// (2.00 on A, 48.00 on the visit); on 03-15 ACME reverses the remaining
// 2.00 (pays 2.00, PR-2 -2.00): A's line asks 0.00 + 2.00 paid = 2.00, the
// patient has 2.00 credit on A, and the invoice balance is 43.00.
func TestInvoiceRestated(t *testing.T) {
	clock := ehrkit.NewFakeClock(day(1, 5))
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), biller)
		addPatient(t, ctx, s, "p1")
		pr := newPractice(t, ctx, s, clock)
		visit := billing.Charge{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "99401"}, Units: decimal.NewFromInt(2),
			UnitFee: usd(t, "45.50"), ServiceDate: day(2, 20)}
		_, err := pr.svc.CreateInvoice(ctx, billing.Invoice{Number: "INV-1", Patient: "p1", Currency: "USD",
			Lines: []billing.InvoiceLine{{Claim: pr.ids["A"]}, {Charge: &visit}}})
		require.NoError(t, err)
		clock.Set(day(3, 1))
		_, err = pr.svc.IssueInvoice(ctx, "INV-1", day(3, 31))
		require.NoError(t, err)

		reverse := func(ref, amount string) {
			clock.Set(clock.Now().AddDate(0, 0, 1))
			pr.post(t, ctx, "A", billing.Payment{Reference: ref, Payer: "ACME", Method: billing.MethodEFT, Amount: usd(t, amount),
				Lines: []billing.LinePayment{{Line: 0, Paid: usd(t, amount),
					Adjustments: []billing.Adjustment{{Group: "PR", Reason: "2", Amount: usd(t, "-"+amount)}}}}})
		}
		clock.Set(day(3, 9))
		reverse("EFT-3", "3.00")
		inv, err := pr.svc.Invoice(ctx, "INV-1")
		require.NoError(t, err)
		assert.Equal(t, []string{"2.00 USD", "91.00 USD"}, money(t, inv.Lines[0].Amount, inv.Lines[1].Amount))
		assert.Equal(t, "93.00 USD", inv.Balance().String())
		st, err := pr.svc.Statement(ctx, "p1", day(3, 11), "USD")
		require.NoError(t, err)
		assert.Equal(t, "93.00 USD", st.PatientDue().String(), "A 2.00 + the visit 91.00")
		require.Len(t, st.Invoices, 1)
		assert.Equal(t, "93.00 USD", st.Invoices[0].Balance.String(), "the statement and the invoice agree")

		clock.Set(day(3, 12))
		inv, err = pr.svc.PostInvoicePayment(ctx, "INV-1", billing.Payment{Reference: "CARD-9", Method: billing.MethodCard, Amount: usd(t, "50.00")})
		require.NoError(t, err)
		assert.Equal(t, []string{"2.00 USD", "48.00 USD"}, money(t, inv.Payments[0].Lines[0].Paid, inv.Payments[0].Lines[1].Paid))
		assert.Equal(t, "43.00 USD", inv.Balance().String())
		a, err := pr.svc.Claim(ctx, pr.ids["A"])
		require.NoError(t, err)
		assert.Empty(t, a.Invoice, "A's line is paid")

		clock.Set(day(3, 14))
		reverse("EFT-4", "2.00")
		inv, err = pr.svc.Invoice(ctx, "INV-1")
		require.NoError(t, err)
		assert.Equal(t, "2.00 USD", inv.Lines[0].Amount.String(), "A is no longer on the invoice: its line stays as paid")
		assert.Equal(t, "43.00 USD", inv.Balance().String())
		a, err = pr.svc.Claim(ctx, pr.ids["A"])
		require.NoError(t, err)
		l, err := a.Ledger()
		require.NoError(t, err)
		assert.Equal(t, "-2.00 USD", l.PatientDue().String(), "the patient's credit is on the claim, for a refund")
		st, err = pr.svc.Statement(ctx, "p1", day(3, 16), "USD")
		require.NoError(t, err)
		assert.Equal(t, "41.00 USD", st.PatientDue().String(), "the visit 43.00 less A's 2.00 credit")
		require.Len(t, st.Invoices, 1)
		assert.Equal(t, "43.00 USD", st.Invoices[0].Balance.String())
	})
}
