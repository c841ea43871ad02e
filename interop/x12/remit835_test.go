package x12_test

import (
	"bytes"
	"context"
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
			for _, a := range cp.AllAdjustments() {
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
			require.Len(t, res.Claims, 2)
			for _, r := range res.Claims {
				require.NoError(t, r.Err, r.ClaimID)
				assert.Empty(t, r.Warnings, r.ClaimID)
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

// remitBackend runs fn on every backend with a biller, patient p1 and the
// billing service.
func remitBackend(t *testing.T, fn func(t *testing.T, ctx context.Context, svc *billing.Service)) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(t.Context(), access.Principal{Kind: access.User, ID: "bill-1", Roles: []string{access.RoleBiller}})
		require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: patient.RecordType, ID: "p1", Compartment: "p1", Value: []byte(`{"v":1,"d":{"id":"p1"}}`)}, 0)
			return err
		}))
		fn(t, ctx, billing.NewService(access.Trusted(s), billing.WithClock(ehrkit.NewFakeClock(time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)))))
	})
}

// submitted stores a submitted claim of p1 with one line per charge
// (code, modifiers, fee) on one service date.
func submitted(t *testing.T, ctx context.Context, svc *billing.Service, id string, on time.Time, lines ...billing.Charge) {
	validated(t, ctx, svc, id, on, lines...)
	_, err := svc.Transition(ctx, id, billing.ClaimSubmitted)
	require.NoError(t, err)
}

// validated stores a validated claim of p1.
func validated(t *testing.T, ctx context.Context, svc *billing.Service, id string, on time.Time, lines ...billing.Charge) {
	c := billing.Claim{ID: id, Patient: "p1", Currency: "USD", Payer: "PAYER1", MemberID: "M1", BillingNPI: "1234567893",
		BillingTaxID: "123456789", PlaceOfService: "11", Diagnoses: []ehrkit.Coding{{System: ehrkit.SystemICD10CM, Code: "J02.0"}}}
	for _, l := range lines {
		l.Units, l.DiagnosisPointers, l.ServiceDate = decimal.NewFromInt(1), []int{1}, on
		c.Charges = append(c.Charges, l)
	}
	_, err := svc.CreateClaim(ctx, c)
	require.NoError(t, err)
	_, err = svc.Validate(ctx, id)
	require.NoError(t, err)
}

func cpt(t *testing.T, code, fee string, mods ...string) billing.Charge {
	return billing.Charge{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: code}, Modifiers: mods, UnitFee: money(t, fee)}
}

func post835(t *testing.T, ctx context.Context, svc *billing.Service, b []byte) x12.Posting {
	res, err := x12.Post835(ctx, svc, bytes.NewReader(b), "USD")
	require.NoError(t, err)
	return res
}

func readCorpus(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join(corpusDir(t), name))
	require.NoError(t, err)
	return b
}

// TestPost835DroppedModifier posts the guide's secondary-payment 835
// (005010X221A1 example) to claims billed with one more modifier than the
// payer echoes: the first line was billed 12345-26-59 and the payer paid
// "12345-26". The line matches by code, with a warning and the fact kept on
// the line; the balances are exact (the 220.00 co-insurance and deductible
// stay the patient's) and a re-sent 835 posts nothing.
func TestPost835DroppedModifier(t *testing.T) {
	b := readCorpus(t, "835_005010X221A1_secondary-payment.835")
	// The published example declares ':' as component separator (ISA16) but
	// writes its composites with '>': read as it is, SVC01 is one component.
	// Its ISA16 is set to the separator the composites use.
	require.Equal(t, byte(':'), b[104])
	b[104] = '>'
	remitBackend(t, func(t *testing.T, ctx context.Context, svc *billing.Service) {
		on := time.Date(2005, 1, 6, 0, 0, 0, 0, time.UTC)
		submitted(t, ctx, svc, "L0004828311", time.Date(2005, 3, 3, 0, 0, 0, 0, time.UTC), cpt(t, "99223", "10323.64"))
		submitted(t, ctx, svc, "0001000053", on, cpt(t, "12345", "166.50", "26", "59"), cpt(t, "66543", "585.00", "26"))

		res := post835(t, ctx, svc, b)
		require.Len(t, res.Claims, 2)
		for _, r := range res.Claims {
			require.NoError(t, r.Err, r.ClaimID)
			assert.False(t, r.Duplicate)
		}
		assert.Empty(t, res.Claims[0].Warnings, "no service lines")
		require.Len(t, res.Claims[1].Warnings, 1)
		assert.Contains(t, res.Claims[1].Warnings[0], "service line 1 (12345)")

		c, err := svc.Claim(ctx, "0001000053")
		require.NoError(t, err)
		require.Len(t, c.Payments, 1)
		p := c.Payments[0]
		assert.Equal(t, billing.MethodCheck, p.Method, "BPR04 CHK")
		require.Len(t, p.Lines, 2)
		assert.Equal(t, 0, p.Lines[0].Line)
		assert.True(t, p.Lines[0].ModifiersDropped)
		assert.Equal(t, 1, p.Lines[1].Line)
		assert.False(t, p.Lines[1].ModifiersDropped, "66543-26 as billed")
		l, err := c.Ledger()
		require.NoError(t, err)
		assert.Equal(t, "220.00 USD", l.Balance().String(), "751.50 - 310.00 - 136.50 (OA-23) - 85.00 (CO-42)")
		assert.Equal(t, "220.00 USD", l.PatientDue().String(), "PR-1 150.00 + PR-2 70.00")
		assert.True(t, l.InsuranceDue().IsZero())
		assert.Equal(t, billing.ClaimPaid, c.Status, "CLP02 2: processed as secondary")
		other, err := svc.Claim(ctx, "L0004828311")
		require.NoError(t, err)
		bal, err := other.Balance()
		require.NoError(t, err)
		assert.True(t, bal.IsZero(), bal.String())

		require.Len(t, res.Remittances, 1)
		rem := res.Remittances[0]
		require.NoError(t, rem.Err)
		assert.True(t, rem.Recorded)
		assert.Equal(t, "1222.00 USD", rem.Remittance.Total.String())
		assert.Equal(t, []string{"L0004828311", "0001000053"}, rem.Remittance.Claims)

		again := post835(t, ctx, svc, b)
		for _, r := range again.Claims {
			assert.True(t, r.Duplicate, r.ClaimID)
		}
		require.Len(t, again.Remittances, 1)
		assert.False(t, again.Remittances[0].Recorded)
		c, err = svc.Claim(ctx, "0001000053")
		require.NoError(t, err)
		assert.Len(t, c.Payments, 1, "the re-sent 835 posts nothing")
	})
}

// TestPost835ProviderAdjustment posts the guide's Medicare Part A 835: two
// claims and a PLB (CV:CP, -1.27, a capital passthrough added to the
// payment). The remittance balances (150000.00 = 138018.40 + 11980.33 +
// 1.27, 005010X221A1 section 1.10.2.1), its provider adjustment is recorded
// once, and a remittance whose claims did not all post is not recorded,
// so re-sending it after the fix posts the rest.
func TestPost835ProviderAdjustment(t *testing.T) {
	b := readCorpus(t, "835_005010X221A1_medicare-part-a.835")
	remitBackend(t, func(t *testing.T, ctx context.Context, svc *billing.Service) {
		on := time.Date(2002, 9, 1, 0, 0, 0, 0, time.UTC)
		submitted(t, ctx, svc, "666123", on, cpt(t, "99223", "211366.97"))

		res := post835(t, ctx, svc, b)
		require.Len(t, res.Claims, 2)
		require.NoError(t, res.Claims[0].Err)
		require.ErrorIs(t, res.Claims[1].Err, ehrkit.ErrNotFound, "777777 is not billed yet")
		require.Len(t, res.Remittances, 1)
		require.ErrorIs(t, res.Remittances[0].Err, ehrkit.ErrFailedPrecondition)
		_, err := svc.Remittance(ctx, "1512345678", "12345")
		require.ErrorIs(t, err, ehrkit.ErrNotFound)

		submitted(t, ctx, svc, "777777", on, cpt(t, "99223", "15000.00"))
		res = post835(t, ctx, svc, b)
		for _, r := range res.Claims {
			require.NoError(t, r.Err, r.ClaimID)
		}
		require.NoError(t, res.Remittances[0].Err)
		assert.True(t, res.Remittances[0].Recorded)
		for _, id := range []string{"666123", "777777"} {
			c, err := svc.Claim(ctx, id)
			require.NoError(t, err)
			assert.Len(t, c.Payments, 1, "%s posted once over the two sendings", id)
			bal, err := c.Balance()
			require.NoError(t, err)
			assert.True(t, bal.IsZero(), "%s: charge - paid - CO-45 = %s", id, bal)
		}
		rem, err := svc.Remittance(ctx, "1512345678", "12345")
		require.NoError(t, err)
		assert.Equal(t, billing.MethodEFT, rem.Method, "BPR04 ACH")
		assert.Equal(t, "150000.00 USD", rem.Total.String())
		assert.Equal(t, "149998.73 USD", rem.ClaimsPaid.String())
		require.Len(t, rem.ProviderAdjustments, 1)
		pa := rem.ProviderAdjustments[0]
		assert.Equal(t, "6543210903", pa.Provider)
		assert.Equal(t, time.Date(2002, 12, 31, 0, 0, 0, 0, time.UTC), pa.FiscalPeriod)
		assert.Equal(t, "CV", pa.Reason)
		assert.Equal(t, "CP", pa.Reference)
		assert.Equal(t, "-1.27 USD", pa.Amount.String())

		res = post835(t, ctx, svc, b)
		assert.True(t, res.Claims[0].Duplicate)
		assert.False(t, res.Remittances[0].Recorded, "the PLB is recorded once")
	})
}
