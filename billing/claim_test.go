package billing_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
)

// cleanClaim is an office visit with a strep test. 1234567893 is the NPI
// check-digit example of the CMS NPI standard.
func cleanClaim(t *testing.T) billing.Claim {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	return billing.Claim{
		ID: "c1", Patient: "p1", Status: billing.ClaimDraft, Currency: "USD", Payer: "PAYER1", MemberID: "M1",
		BillingNPI: "1234567893", BillingTaxID: "123456789", PlaceOfService: "11",
		Diagnoses: []ehrkit.Coding{{System: ehrkit.SystemICD10CM, Code: "J02.0"}, {System: ehrkit.SystemICD10CM, Code: "R50.9"}},
		Charges: []billing.Charge{
			{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "99213"}, Modifiers: []string{"25"}, Units: decimal.NewFromInt(1),
				UnitFee: usd(t, "110.00"), DiagnosisPointers: []int{1, 2}, ServiceDate: day},
			{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "87880"}, Modifiers: []string{"QW"}, Units: decimal.NewFromInt(1),
				UnitFee: usd(t, "16.555"), DiagnosisPointers: []int{1}, ServiceDate: day},
		},
	}
}

func TestScrubClean(t *testing.T) {
	c := cleanClaim(t)
	require.NoError(t, billing.Scrub(c))
	total, err := c.Total()
	require.NoError(t, err)
	assert.Equal(t, "126.56 USD", total.String(), "110.00 + 16.555 rounded half away from zero to 16.56")
}

// TestScrubEveryProblem breaks a claim in many places at once: the scrubber
// must list every problem, each at its path.
func TestScrubEveryProblem(t *testing.T) {
	c := cleanClaim(t)
	c.BillingNPI = "1234567890" // bad check digit
	c.ReferralRequired = true   // and no referring provider
	c.ServiceFacilityNPI = "1234567890"
	c.Diagnoses[1].Code = "R5"
	c.Charges[0].DiagnosisPointers = []int{1, 3}
	c.Charges[0].Procedure.Code = "9921"
	c.Charges[1].Modifiers = []string{"Q"}
	c.Charges[1].Units = decimal.Zero
	c.Charges[1].UnitFee.Currency = "EUR"
	err := billing.Scrub(c)
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	want := []struct {
		path string
		code ehrkit.IssueCode
	}{
		{"billingNpi", ehrkit.IssueCodeInvalid},
		{"referringNpi", ehrkit.IssueRequired},
		{"serviceFacilityNpi", ehrkit.IssueCodeInvalid},
		{"serviceFacilityNpi", ehrkit.IssueBusinessRule},
		{"diagnoses[1].code", ehrkit.IssueCodeInvalid},
		{"charges[0].diagnosisPointers[1]", ehrkit.IssueValue},
		{"charges[0].procedure.code", ehrkit.IssueCodeInvalid},
		{"charges[1].modifiers[0]", ehrkit.IssueCodeInvalid},
		{"charges[1].units", ehrkit.IssueValue},
		{"charges[1].unitFee", ehrkit.IssueValue},
	}
	for _, w := range want {
		assert.True(t, ve.Has(w.path, w.code), "missing %s (%s) in %v", w.path, w.code, ve)
	}
	assert.Len(t, ve.Issues, len(want))
}

func TestLifecycle(t *testing.T) {
	assert.True(t, billing.CanTransition(billing.ClaimDraft, billing.ClaimValidated))
	assert.True(t, billing.CanTransition(billing.ClaimSubmitted, billing.ClaimRejected))
	assert.True(t, billing.CanTransition(billing.ClaimDenied, billing.ClaimAppealed))
	assert.False(t, billing.CanTransition(billing.ClaimDraft, billing.ClaimSubmitted), "a claim is scrubbed before submission")
	assert.False(t, billing.CanTransition(billing.ClaimPaid, billing.ClaimDraft))
}
