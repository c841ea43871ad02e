package billing_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

// practice is a small practice's first two months, every amount chosen so
// that the report can be computed by hand:
//
//	A  p1 ACME 2026-01-05  99213 110.00 + 87880-QW 33.00 = 143.00
//	   ERA EFT-1 (02-01, paid): line 1 paid 80.01, CO-45 9.99, PR-2 20.00;
//	   line 2 paid 20.00, CO-45 13.00; patient pays 15.00 cash on 02-10
//	B  p1 BETA 2026-02-20  99214 200.00, rendered by 1245319599, no answer yet
//	C  p2 ACME 2026-01-10  99213 110.00, ERA EFT-2 (02-01) denies it, CO-50 110.00
//	D  p1 ACME 2026-02-25  a draft: not billed, in no figure
type practice struct {
	svc   *billing.Service
	clock *ehrkit.FakeClock
	ids   map[string]string
}

func line(t *testing.T, code string, fee string, on time.Time, mods ...string) billing.Charge {
	return billing.Charge{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: code}, Modifiers: mods, Units: decimal.NewFromInt(1),
		UnitFee: usd(t, fee), DiagnosisPointers: []int{1}, ServiceDate: on}
}

func newPractice(t *testing.T, ctx context.Context, s storage.Store, clock *ehrkit.FakeClock) practice {
	addPatient(t, ctx, s, "p2")
	pr := practice{svc: billing.NewService(access.Trusted(s), billing.WithClock(clock)), clock: clock, ids: map[string]string{}}
	claim := func(name, pat, payer string, submit bool, charges ...billing.Charge) {
		c := cleanClaim(t)
		c.ID, c.Patient, c.Payer, c.Charges = "claim-"+name, pat, payer, charges
		_, err := pr.svc.CreateClaim(ctx, c)
		require.NoError(t, err)
		if submit {
			for _, to := range []billing.ClaimStatus{billing.ClaimValidated, billing.ClaimSubmitted} {
				_, err = pr.svc.Transition(ctx, c.ID, to)
				require.NoError(t, err)
			}
		}
		pr.ids[name] = c.ID
	}
	claim("A", "p1", "ACME", true, line(t, "99213", "110.00", day(1, 5), "25"), line(t, "87880", "33.00", day(1, 5), "QW"))
	b := line(t, "99214", "200.00", day(2, 20))
	b.RenderingNPI = "1245319599"
	claim("B", "p1", "BETA", true, b)
	claim("C", "p2", "ACME", true, line(t, "99213", "110.00", day(1, 10)))
	claim("D", "p1", "ACME", false, line(t, "99213", "110.00", day(2, 25)))

	clock.Set(day(2, 1))
	pr.post(t, ctx, "A", billing.Payment{Reference: "EFT-1", Payer: "ACME", Method: billing.MethodEFT, Amount: usd(t, "100.01"), Adjudication: billing.ClaimPaid,
		Lines: []billing.LinePayment{
			{Line: 0, Paid: usd(t, "80.01"), Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: usd(t, "9.99")}, {Group: "PR", Reason: "2", Amount: usd(t, "20.00")}}},
			{Line: 1, Paid: usd(t, "20.00"), Adjustments: []billing.Adjustment{{Group: "CO", Reason: "45", Amount: usd(t, "13.00")}}},
		}})
	pr.post(t, ctx, "C", billing.Payment{Reference: "EFT-2", Payer: "ACME", Method: billing.MethodEFT, Amount: usd(t, "0"), Adjudication: billing.ClaimDenied,
		Adjustments: []billing.Adjustment{{Group: "CO", Reason: "50", Amount: usd(t, "110.00")}}})
	clock.Set(day(2, 10))
	pr.post(t, ctx, "A", billing.Payment{Reference: "R-1", Payer: billing.PatientPayer, Method: billing.MethodCash, Amount: usd(t, "15.00")})
	return pr
}

func (pr practice) post(t *testing.T, ctx context.Context, name string, p billing.Payment) billing.Claim {
	t.Helper()
	c, err := pr.svc.PostPayment(ctx, pr.ids[name], p)
	require.NoError(t, err)
	return c
}

func money(t *testing.T, ms ...billing.Money) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

func TestPracticeReport(t *testing.T) {
	clock := ehrkit.NewFakeClock(day(1, 5))
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), biller)
		addPatient(t, ctx, s, "p1")
		pr := newPractice(t, ctx, s, clock)

		a, err := pr.svc.Claim(ctx, pr.ids["A"])
		require.NoError(t, err)
		assert.Equal(t, billing.ClaimPaid, a.Status, "the remittance's decision moves a submitted claim through accepted to paid")
		c, err := pr.svc.Claim(ctx, pr.ids["C"])
		require.NoError(t, err)
		assert.Equal(t, billing.ClaimDenied, c.Status)

		rep, err := pr.svc.Report(ctx, day(1, 1), day(3, 1), "USD")
		require.NoError(t, err)
		assert.Equal(t, "453.00 USD", rep.Charged.String(), "143 + 200 + 110; the draft is not billed")
		assert.Equal(t, "132.99 USD", rep.WrittenOff.String(), "9.99 + 13.00 + 110.00")
		assert.Equal(t, []string{"115.01 USD", "100.01 USD", "15.00 USD"}, money(t, rep.Collected, rep.InsurancePaid, rep.PatientPaid))
		assert.Equal(t, "0.3594", rep.NetCollectionRate.String(), "115.01 / (453.00 - 132.99) = 0.359395")
		assert.Equal(t, "205.00 USD", rep.Receivables.String(), "A 5.00 + B 200.00 + C 0")
		assert.Equal(t, "26.7", rep.DaysInAR.String(), "205.00 / (453.00 / 59 days) = 26.6998")
		assert.Equal(t, 2, rep.Adjudicated)
		assert.Equal(t, 1, rep.Denied)
		assert.Equal(t, "0.5", rep.DenialRate.String())
		require.Len(t, rep.Denials, 1)
		assert.Equal(t, "CO-50", rep.Denials[0].Reason)
		assert.Equal(t, 1, rep.Denials[0].Claims)
		assert.Equal(t, "110.00 USD", rep.Denials[0].Amount.String())

		type row struct{ key, charged, paid, writtenOff string }
		rows := func(rs []billing.Revenue) []row {
			var out []row
			for _, r := range rs {
				out = append(out, row{r.Key, r.Charged.String(), r.Paid.String(), r.WrittenOff.String()})
			}
			return out
		}
		assert.Equal(t, []row{
			{"ACME", "253.00 USD", "100.01 USD", "132.99 USD"},
			{"BETA", "200.00 USD", "0.00 USD", "0.00 USD"},
			{"patient", "0.00 USD", "15.00 USD", "0.00 USD"},
		}, rows(rep.ByPayer))
		assert.Equal(t, []row{
			{"87880", "33.00 USD", "20.00 USD", "13.00 USD"},
			{"99213", "220.00 USD", "80.01 USD", "9.99 USD"}, // C's denial is claim level, on no line
			{"99214", "200.00 USD", "0.00 USD", "0.00 USD"},
		}, rows(rep.ByProcedure))
		assert.Equal(t, []row{
			{"1234567893", "253.00 USD", "100.01 USD", "22.99 USD"},
			{"1245319599", "200.00 USD", "0.00 USD", "0.00 USD"},
		}, rows(rep.ByProvider))

		early, err := pr.svc.Report(ctx, day(1, 1), day(2, 1), "USD")
		require.NoError(t, err)
		assert.Equal(t, "253.00 USD", early.Charged.String(), "January's services only")
		assert.True(t, early.Collected.IsZero(), "nothing was posted in January")
		assert.Equal(t, "253.00 USD", early.Receivables.String(), "before the remittances")

		aging, err := pr.svc.Receivables(ctx, day(3, 1), "USD")
		require.NoError(t, err)
		assert.Equal(t, []string{"200.00 USD", "0.00 USD", "0.00 USD", "0.00 USD", "0.00 USD"}, money(t, aging.Insurance[:]...), "B, 9 days")
		assert.Equal(t, []string{"0.00 USD", "5.00 USD", "0.00 USD", "0.00 USD", "0.00 USD"}, money(t, aging.Patient[:]...), "A, 55 days")
		assert.Equal(t, "205.00 USD", aging.Total().String())
		assert.True(t, aging.Credit.IsZero())

		st, err := pr.svc.Statement(ctx, "p1", day(3, 1), "USD")
		require.NoError(t, err)
		require.Len(t, st.Lines, 2, "A and B are open; the draft is not billed")
		assert.Equal(t, []string{"99213-25", "87880-QW"}, st.Lines[0].Procedures)
		assert.Equal(t, "5.00 USD", st.PatientDue().String(), "20.00 co-insurance less 15.00 paid")
		assert.Equal(t, "200.00 USD", st.Ledger.InsuranceDue().String())
		assert.Equal(t, "5.00 USD", st.PatientAging[1].String())
		before, err := pr.svc.Statement(ctx, "p1", day(2, 5), "USD")
		require.NoError(t, err)
		assert.Equal(t, "20.00 USD", before.PatientDue().String(), "the cash payment of 02-10 is not on a statement of 02-05")
	})
}

// TestRefund overpays a claim and refunds the credit: a refund may not
// exceed what the patient overpaid, checked in the posting's transaction.
func TestRefund(t *testing.T) {
	clock := ehrkit.NewFakeClock(day(1, 5))
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), biller)
		addPatient(t, ctx, s, "p1")
		pr := newPractice(t, ctx, s, clock)
		clock.Set(day(2, 12))
		got := pr.post(t, ctx, "A", billing.Payment{Reference: "R-2", Payer: billing.PatientPayer, Method: billing.MethodCard, Amount: usd(t, "12.00")})
		l, err := got.Ledger()
		require.NoError(t, err)
		assert.Equal(t, "-7.00 USD", l.PatientDue().String(), "paid 27.00 of a 20.00 share")

		_, err = pr.svc.PostPayment(ctx, pr.ids["A"], billing.Payment{Reference: "RF-1", Payer: billing.PatientPayer, Method: billing.MethodRefund, Amount: usd(t, "-7.01")})
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("amount", ehrkit.IssueBusinessRule))
		_, err = pr.svc.PostPayment(ctx, pr.ids["A"], billing.Payment{Reference: "RF-1", Payer: billing.PatientPayer, Method: billing.MethodRefund, Amount: usd(t, "7.00")})
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("amount", ehrkit.IssueValue), "a refund is negative")
		got = pr.post(t, ctx, "A", billing.Payment{Reference: "RF-1", Payer: billing.PatientPayer, Method: billing.MethodRefund, Amount: usd(t, "-7.00")})
		bal, err := got.Balance()
		require.NoError(t, err)
		assert.True(t, bal.IsZero(), bal.String())

		aging, err := pr.svc.Receivables(ctx, day(2, 12), "USD")
		require.NoError(t, err)
		assert.Equal(t, "200.00 USD", aging.Total().String(), "only B is open")
		rep, err := pr.svc.Report(ctx, day(2, 1), day(3, 1), "USD")
		require.NoError(t, err)
		assert.Equal(t, "120.01 USD", rep.Collected.String(), "100.01 + 15.00 + 12.00 - 7.00 refunded")
	})
}

func TestAgingBucket(t *testing.T) {
	asOf := day(6, 30)
	for _, tt := range []struct {
		days, bucket int
	}{{0, 0}, {30, 0}, {31, 1}, {60, 1}, {61, 2}, {90, 2}, {91, 3}, {120, 3}, {121, 4}, {400, 4}} {
		assert.Equal(t, tt.bucket, billing.AgingBucket(asOf, asOf.AddDate(0, 0, -tt.days)), "%d days", tt.days)
	}
}

// TestStatementRender formats a statement in two languages through
// golang.org/x/text.
func TestStatementRender(t *testing.T) {
	c := cleanClaim(t)
	c.Status = billing.ClaimAccepted
	c.Charges[1].UnitFee = usd(t, "1000.00")
	c.Payments = []billing.Payment{{Reference: "EFT", Payer: "PAYER1", Amount: usd(t, "800.00"), Posted: day(3, 20),
		Adjustments: []billing.Adjustment{{Group: "PR", Reason: "1", Amount: usd(t, "250.00")}, {Group: "CO", Reason: "45", Amount: usd(t, "60.00")}}}}
	st, err := billing.NewStatement("p1", slices.Values([]billing.Claim{c}), nil, day(4, 1), "USD")
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, st.Render(&b, language.AmericanEnglish))
	out := b.String()
	assert.Contains(t, out, "$ 1,110.00", "charged 110.00 + 1000.00")
	assert.Contains(t, out, "Amount due: $ 250.00\n")
	assert.Contains(t, out, "0-30 days: $ 250.00, 31-60 days: $ 0.00", "service on 03-02, 30 days before 04-01: the first bucket")
	b.Reset()
	require.NoError(t, st.Render(&b, language.German))
	assert.Contains(t, b.String(), "1.110,00", "German digit grouping")

	_, err = billing.NewStatement("p2", slices.Values([]billing.Claim{c}), nil, day(4, 1), "USD")
	require.ErrorIs(t, err, ehrkit.ErrInvalid)
	_, err = billing.NewStatement("p1", slices.Values([]billing.Claim{c}), nil, day(4, 1), "EUR")
	require.ErrorIs(t, err, billing.ErrCurrencyMismatch)
}
