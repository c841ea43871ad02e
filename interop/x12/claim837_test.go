package x12_test

import (
	"bytes"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/interop/x12"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func money(t *testing.T, s string) billing.Money {
	m, err := billing.ParseMoney(s, "USD")
	require.NoError(t, err)
	return m
}

// clinicVisit is a sore-throat office visit with a rapid strep test, and a
// follow-up claim for another subscriber rendered by a second provider.
func clinicVisit(t *testing.T) (x12.Submission, []billing.Claim) {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	sub := x12.Submission{
		Interchange: testInterchange,
		Submitter:   "SPRINGFIELD CLINIC", SubmitterID: "SUB01", Contact: "BILLING OFFICE", ContactPhone: "5555550100",
		Receiver: "CLEARINGHOUSE", ReceiverID: "CH01",
		Billing:     x12.Party{Name: "SPRINGFIELD CLINIC", Street: "1 MAIN ST", City: "SPRINGFIELD", State: "IL", Zip: "62701"},
		Providers:   map[string]x12.Party{"1245319599": {Name: "HOUSE", First: "GREG", Person: true}},
		Subscribers: map[string]x12.Party{"M100": {Name: "DOE", First: "JANE", Person: true}, "M200": {Name: "ROE", First: "RICHARD", Person: true}},
		Payers:      map[string]x12.Party{"PAYER1": {Name: "ACME HEALTH"}},
	}
	base := billing.Claim{Patient: "p1", Status: billing.ClaimValidated, Currency: "USD", Payer: "PAYER1", BillingNPI: "1234567893", BillingTaxID: "123456789", PlaceOfService: "11"}
	c1 := base
	c1.ID, c1.MemberID = "CLM001", "M100"
	c1.Diagnoses = []ehrkit.Coding{{System: ehrkit.SystemICD10CM, Code: "J02.0"}, {System: ehrkit.SystemICD10CM, Code: "R50.9"}}
	c1.Charges = []billing.Charge{
		{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "99213"}, Modifiers: []string{"25"}, Units: decimal.NewFromInt(1),
			UnitFee: money(t, "110.00"), DiagnosisPointers: []int{1, 2}, ServiceDate: day},
		{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "87880"}, Modifiers: []string{"QW"}, Units: decimal.NewFromInt(2),
			UnitFee: money(t, "16.50"), DiagnosisPointers: []int{1}, ServiceDate: day},
	}
	c2 := base
	c2.ID, c2.MemberID, c2.RenderingNPI = "CLM002", "M200", "1245319599"
	c2.Diagnoses = []ehrkit.Coding{{System: ehrkit.SystemICD10CM, Code: "E11.9"}}
	c2.Charges = []billing.Charge{{Procedure: ehrkit.Coding{System: ehrkit.SystemHCPCS, Code: "G0108"}, Units: decimal.NewFromInt(3),
		UnitFee: money(t, "40.10"), DiagnosisPointers: []int{1}, ServiceDate: day.AddDate(0, 0, 1)}}
	return sub, []billing.Claim{c1, c2}
}

// TestGenerate837P writes claims as an 837P, compares it with the golden file,
// reads it back strictly (envelopes, counts and the 837P loop structure) and
// requires the claims read to equal those written.
func TestGenerate837P(t *testing.T) {
	sub, claims := clinicVisit(t)
	var buf bytes.Buffer
	require.NoError(t, x12.Write837P(&buf, sub, claims...))
	golden := "testdata/clinic-visit.837"
	if *update {
		require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), buf.String())

	var got []billing.Claim
	for c, err := range x12.Claims837P(bytes.NewReader(buf.Bytes()), "USD") {
		require.NoError(t, err)
		got = append(got, c)
	}
	require.Len(t, got, len(claims))
	for i := range claims {
		w, g := claims[i], got[i]
		require.Len(t, g.Charges, len(w.Charges))
		for j := range w.Charges {
			assert.True(t, w.Charges[j].UnitFee.Equal(g.Charges[j].UnitFee), "unit fee of %s line %d", w.ID, j)
			g.Charges[j].UnitFee = w.Charges[j].UnitFee
		}
		g.Patient, g.Status = w.Patient, w.Status // not carried by an 837
		assert.Equal(t, w, g)
	}
}

// TestWrite837PRefusesDirtyClaims writes nothing for a claim the scrubber
// refuses and names the problem under the claim's index.
func TestWrite837PRefusesDirtyClaims(t *testing.T) {
	sub, claims := clinicVisit(t)
	claims[1].Charges[0].DiagnosisPointers = []int{2}
	claims[1].MemberID = "UNKNOWN"
	var buf bytes.Buffer
	err := x12.Write837P(&buf, sub, claims...)
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("claims[1].charges[0].diagnosisPointers[0]", ehrkit.IssueValue), "%v", ve)
	assert.True(t, ve.Has("claims[1].memberId", ehrkit.IssueRequired), "%v", ve)
	assert.Zero(t, buf.Len())
}
