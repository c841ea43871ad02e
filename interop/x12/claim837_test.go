package x12_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
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
	require.NoError(t, x12.Write837(&buf, sub, claims...))
	golden := "testdata/clinic-visit.837"
	if *update {
		require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), buf.String())

	var got []billing.Claim
	for c, err := range x12.Claims837(bytes.NewReader(buf.Bytes()), "USD") {
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

// TestWrite837RefusesDirtyClaims writes nothing for a claim the scrubber
// refuses and names the problem under the claim's index.
func TestWrite837RefusesDirtyClaims(t *testing.T) {
	sub, claims := clinicVisit(t)
	claims[1].Charges[0].DiagnosisPointers = []int{2}
	claims[1].MemberID = "UNKNOWN"
	var buf bytes.Buffer
	err := x12.Write837(&buf, sub, claims...)
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("claims[1].charges[0].diagnosisPointers[0]", ehrkit.IssueValue), "%v", ve)
	assert.True(t, ve.Has("claims[1].memberId", ehrkit.IssueRequired), "%v", ve)
	assert.Zero(t, buf.Len())
}

// outpatient is a hospital outpatient claim (bill type 131): a complete
// blood count and an electrocardiogram on one day, attended by the second
// provider of the clinic visit.
func outpatient(t *testing.T) (x12.Submission, billing.Claim) {
	sub, claims := clinicVisit(t)
	day := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	c := claims[0]
	c.ID, c.Type, c.PlaceOfService = "HOSP-1", billing.Institutional, ""
	c.Facility = &billing.FacilityClaim{BillType: "131", StatementFrom: day, StatementTo: day, AdmissionType: "3", AdmissionSource: "1",
		PatientStatus: "01", AttendingNPI: "1245319599"}
	c.Charges = []billing.Charge{
		{RevenueCode: "0305", Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "85025"}, Units: decimal.NewFromInt(1), UnitFee: money(t, "13.39"), ServiceDate: day},
		{RevenueCode: "0730", Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "93005"}, Units: decimal.NewFromInt(3), UnitFee: money(t, "25.515"), ServiceDate: day},
		{RevenueCode: "0250", Units: decimal.NewFromInt(2), UnitFee: money(t, "4.50"), ServiceDate: day}, // pharmacy: a revenue code, no procedure
	}
	return sub, c
}

// TestGenerate837I writes an institutional claim as an 837I, compares it
// with the golden file and reads it back equal.
func TestGenerate837I(t *testing.T) {
	sub, c := outpatient(t)
	var buf bytes.Buffer
	require.NoError(t, x12.Write837(&buf, sub, c))
	golden := "testdata/outpatient.837i"
	if *update {
		require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), buf.String())
	assert.Contains(t, buf.String(), "CLM*HOSP-1*98.94***13:A:1**A*Y*Y~", "13.39 + 76.55 (3 x 25.515 rounded) + 9.00")

	var got []billing.Claim
	for g, err := range x12.Claims837(bytes.NewReader(buf.Bytes()), "USD") {
		require.NoError(t, err)
		got = append(got, g)
	}
	require.Len(t, got, 1)
	g := got[0]
	for j := range c.Charges {
		g.Charges[j].UnitFee = c.Charges[j].UnitFee // the 837 carries line charges; checked by the total
	}
	g.Patient, g.Status = c.Patient, c.Status
	c.Charges[1].UnitFee = money(t, "25.515")
	assert.Equal(t, c, g)
}

// TestScrubInstitutional lists the institutional problems of a claim: bill
// type, statement dates, patient status, attending provider, revenue codes.
func TestScrubInstitutional(t *testing.T) {
	sub, c := outpatient(t)
	c.Facility.BillType = "13"
	c.Facility.StatementTo = c.Facility.StatementFrom.AddDate(0, 0, -1)
	c.Facility.PatientStatus = "1"
	c.Facility.AttendingNPI = ""
	c.Charges[2].RevenueCode = "250"
	var buf bytes.Buffer
	err := x12.Write837(&buf, sub, c)
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	for _, p := range []string{"claims[0].facility.billType", "claims[0].facility.statementTo", "claims[0].facility.patientStatus",
		"claims[0].facility.attendingNpi", "claims[0].charges[2].revenueCode"} {
		assert.True(t, slices.ContainsFunc(ve.Issues, func(is ehrkit.Issue) bool { return is.Path == p }), "missing %s in %v", p, ve)
	}
	assert.Len(t, ve.Issues, 5)
	assert.Zero(t, buf.Len())
}

// TestCorpus837I reads the guide's institutional claim example: bill type
// 141, statement date, CL1, the ICD-9-CM diagnoses (its HI occurrence,
// value and condition codes are not diagnoses) and the SV2 lines.
func TestCorpus837I(t *testing.T) {
	f, err := os.Open(filepath.Join(corpusDir(t), "837_005010X223A3_institutional-claim.837i"))
	require.NoError(t, err)
	defer f.Close()
	var got []billing.Claim
	for c, err := range x12.Claims837(f, "USD") {
		require.NoError(t, err)
		got = append(got, c)
	}
	require.Len(t, got, 1)
	c := got[0]
	assert.Equal(t, "756048Q", c.ID)
	assert.True(t, c.IsInstitutional())
	day := time.Date(1996, 9, 11, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, &billing.FacilityClaim{BillType: "141", StatementFrom: day, StatementTo: day, AdmissionType: "3", PatientStatus: "01"}, c.Facility)
	var codes []string
	for _, d := range c.Diagnoses {
		codes = append(codes, d.Code)
	}
	assert.Equal(t, []string{"366.9", "401.9", "794.31"}, codes)
	require.Len(t, c.Charges, 2)
	assert.Equal(t, "0730", c.Charges[1].RevenueCode)
	assert.Equal(t, "93005", c.Charges[1].Procedure.Code)
	total, err := c.Total()
	require.NoError(t, err)
	assert.Equal(t, "89.93 USD", total.String(), "CLM02")
}
