package billing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
)

// TestMatchLine states the rules for matching a payer's service line to a
// charge: exact first, then the payer's modifiers a subset of the billed,
// never a modifier the charge lacks, never a charge already matched.
func TestMatchLine(t *testing.T) {
	c := cleanClaim(t) // 99213-25, 87880-QW on 2026-03-02
	c.Charges = append(c.Charges, c.Charges[0])
	c.Charges[2].Modifiers = nil // a second 99213, without modifiers
	on := c.Charges[0].ServiceDate
	tests := []struct {
		name  string
		code  string
		mods  []string
		on    time.Time
		taken []bool
		line  int
		how   billing.LineMatch
	}{
		{"exact", "99213", []string{"25"}, on, nil, 0, billing.MatchedExact},
		{"exact beats dropped: the plain 99213 is line 3", "99213", nil, on, nil, 2, billing.MatchedExact},
		{"dropped modifier", "87880", nil, on, nil, 1, billing.MatchedModifiersDropped},
		{"dropped, once the plain line is taken", "99213", nil, on, []bool{false, false, true}, 0, billing.MatchedModifiersDropped},
		{"no date in the remittance", "87880", []string{"QW"}, time.Time{}, nil, 1, billing.MatchedExact},
		{"another day", "87880", []string{"QW"}, on.AddDate(0, 0, 1), nil, -1, billing.Unmatched},
		{"an added modifier is another service", "87880", []string{"QW", "59"}, on, nil, -1, billing.Unmatched},
		{"taken", "87880", []string{"QW"}, on, []bool{false, true}, -1, billing.Unmatched},
		{"unknown code", "99999", nil, on, nil, -1, billing.Unmatched},
	}
	for _, tt := range tests {
		line, how := billing.MatchLine(c, tt.code, tt.mods, tt.on, tt.taken)
		assert.Equal(t, tt.line, line, tt.name)
		assert.Equal(t, tt.how, how, tt.name)
	}
}

// TestRemittanceBalancing checks the 835 balancing rule (005010X221A1
// section 1.10.2.1: BPR02 = Σ CLP04 - Σ PLB04) on a remittance.
func TestRemittanceBalancing(t *testing.T) {
	r := billing.Remittance{Payer: "P", Trace: "T1", Total: usd(t, "150000.00"), ClaimsPaid: usd(t, "149998.73"),
		ProviderAdjustments: []billing.ProviderAdjustment{{Provider: "1", Reason: "CV", Amount: usd(t, "-1.27")}}}
	assert.NoError(t, r.Validate())
	assert.Equal(t, "-1.27 USD", r.ProviderAdjusted().String())
	r.Total = usd(t, "149998.73")
	r.Trace = ""
	r.ProviderAdjustments[0].Reason = ""
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, r.Validate(), &ve)
	assert.True(t, ve.Has("total", ehrkit.IssueInvariant))
	assert.True(t, ve.Has("trace", ehrkit.IssueRequired))
	assert.True(t, ve.Has("providerAdjustments[0].reason", ehrkit.IssueRequired))
	assert.Len(t, ve.Issues, 3)
	assert.NotEqual(t, billing.RemittanceID("A|B", "C"), billing.RemittanceID("A", "B|C"), "a separator in the payer id cannot make two remittances one")
}
