package x12_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/interop/x12"
)

func eligibility(t *testing.T, b []byte, opts ...x12.Option) []x12.Eligibility {
	var out []x12.Eligibility
	for e, err := range x12.Eligibility271(bytes.NewReader(b), "USD", opts...) {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

// TestEligibility271 reads the guide's dependent 271 (005010X279A1): the
// dependent's active coverage under plan GOLD 123, its primary care
// provider, and the office-visit co-payments, 10.00 in network and 30.00
// out of network, per visit (EB06 27).
func TestEligibility271(t *testing.T) {
	got := eligibility(t, readCorpus(t, "271_005010X279A1_dependent-health-benefit-check.271"))
	require.Len(t, got, 2, "the subscriber level, then the dependent")
	assert.Empty(t, got[0].Benefits)
	d := got[1]
	assert.True(t, d.Dependent)
	assert.Equal(t, "123456789", d.MemberID)
	assert.Equal(t, "841610001", d.PayerID)
	assert.Equal(t, "93175-012547", d.Trace)
	require.Len(t, d.Benefits, 5)
	assert.Equal(t, billing.BenefitActive, d.Benefits[0].Kind)
	assert.Equal(t, []string{"30"}, d.Benefits[0].ServiceTypes)
	assert.Equal(t, "GOLD 123 PLAN", d.Benefits[0].Plan)
	assert.Equal(t, billing.BenefitPrimaryCare, d.Benefits[1].Kind)
	assert.Len(t, d.Benefits[2].ServiceTypes, 10, "EB03 repeats with ISA11 ^")
	in, out := d.Benefits[3], d.Benefits[4]
	assert.Equal(t, billing.BenefitCopay, in.Kind)
	assert.Equal(t, billing.PeriodVisit, in.Period)
	assert.Equal(t, "10.00 USD", in.Amount.String())
	assert.Equal(t, billing.InNetwork, in.Network)
	assert.Equal(t, "30.00 USD", out.Amount.String())
	assert.Equal(t, billing.OutOfNetwork, out.Network)
}

// TestEligibility271Rejected reads the guide's error 271: the provider is
// not eligible for inquiries (AAA03 50) and may not resubmit (AAA04 N). Its
// SE02 differs from ST02, which strict reading refuses.
func TestEligibility271Rejected(t *testing.T) {
	b := readCorpus(t, "271_005010X279A1_subscriber-health-benefit-check-error.271")
	var strict error
	for _, err := range x12.Eligibility271(bytes.NewReader(b), "USD") {
		if err != nil {
			strict = err
		}
	}
	var xe *x12.Error
	require.ErrorAs(t, strict, &xe)
	assert.Equal(t, "SE", xe.Segment)
	got := eligibility(t, b, x12.WithLeniency(x12.LenientSetControlNumber))
	require.Len(t, got, 1)
	assert.Empty(t, got[0].MemberID)
	assert.Equal(t, []x12.Rejection{{Loop: "2100B", Reason: "50", Action: "N"}}, got[0].Rejections)
}

// TestWrite270 writes the guide's subscriber 270 example and compares it
// segment for segment with the published one, envelope aside.
func TestWrite270(t *testing.T) {
	req := x12.EligibilityRequest{Trace: "93175-012547", Payer: x12.Party{Name: "ABC COMPANY"}, PayerID: "842610001",
		Provider: x12.Party{Name: "BONE AND JOINT CLINIC"}, ProviderNPI: "1234567893",
		Subscriber: x12.Party{Name: "SMITH", First: "ROBERT", Person: true}, MemberID: "11122333301",
		BirthDate: time.Date(1943, 5, 19, 0, 0, 0, 0, time.UTC), On: time.Date(2006, 5, 1, 0, 0, 0, 0, time.UTC)}
	var buf bytes.Buffer
	require.NoError(t, x12.Write270(&buf, x12.Interchange{SenderQualifier: "ZZ", Sender: "CLINIC", ReceiverQualifier: "ZZ", Receiver: "PAYER",
		AppSender: "CLINIC", AppReceiver: "PAYER", Control: 1, Time: time.Date(2006, 5, 1, 13, 19, 0, 0, time.UTC)}, req))
	out := buf.String()
	for _, seg := range []string{"GS*HS*", "ST*270*0001*005010X279A1~", "BHT*0022*13*93175-012547*20060501*1319~", "HL*1**20*1~",
		"NM1*PR*2*ABC COMPANY*****PI*842610001~", "HL*2*1*21*1~", "NM1*1P*2*BONE AND JOINT CLINIC*****XX*1234567893~", "HL*3*2*22*0~",
		"NM1*IL*1*SMITH*ROBERT****MI*11122333301~", "DMG*D8*19430519~", "DTP*291*D8*20060501~", "EQ*30~", "SE*13*0001~"} {
		assert.Contains(t, out, seg)
	}
	n, xe := readAll(t, writeTemp(t, buf.Bytes()))
	require.Nil(t, xe)
	assert.Equal(t, 17, n, "ISA GS, 13 set segments, GE IEA")

	err := x12.Write270(&bytes.Buffer{}, x12.Interchange{Control: 1}, x12.EligibilityRequest{ProviderNPI: "1234567890"})
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	for _, p := range []string{"requests[0].trace", "requests[0].payerId", "requests[0].providerNpi", "requests[0].memberId", "requests[0].on"} {
		assert.True(t, hasPath(ve, p), "missing %s in %v", p, ve)
	}
}

func hasPath(ve *ehrkit.ValidationError, p string) bool {
	for _, is := range ve.Issues {
		if is.Path == p {
			return true
		}
	}
	return false
}

func writeTemp(t *testing.T, b []byte) string {
	p := filepath.Join(t.TempDir(), "x.x12")
	require.NoError(t, os.WriteFile(p, b, 0o600))
	return p
}
