package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/interop/x12"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

// seedClaim stores a clinic (billing NPI 1234567893), a rendering
// physician, a payer, a patient with her coverage and a validated claim, and
// returns the database file and the claim.
func seedClaim(t *testing.T) (string, billing.Claim) {
	db := filepath.Join(t.TempDir(), "billing.db")
	ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.System, ID: "seed", Roles: []string{access.RoleAdministrator}})
	raw, err := sqlitestore.Open(ctx, db)
	require.NoError(t, err)
	defer raw.Close()
	s := access.Trusted(raw)
	dir := directory.NewService(s)
	addr := []ehrkit.Address{{Line: []string{"1 MAIN ST"}, City: "SPRINGFIELD", State: "IL", PostalCode: "62701"}}
	npi := func(v string) []ehrkit.Identifier { return []ehrkit.Identifier{{System: ehrkit.SystemNPI, Value: v}} }
	_, err = dir.Organizations.Create(ctx, directory.Organization{ID: "clinic", Active: true, Name: "SPRINGFIELD CLINIC", Identifiers: npi("1234567893"),
		Addresses: addr, Telecom: []ehrkit.ContactPoint{{System: "phone", Value: "(555) 555-0100"}}})
	require.NoError(t, err)
	payer, err := dir.Organizations.Create(ctx, directory.Organization{ID: "acme", Active: true, Name: "ACME HEALTH"})
	require.NoError(t, err)
	_, err = dir.Practitioners.Create(ctx, directory.Practitioner{ID: "house", Active: true, Identifiers: npi("1245319599"),
		Names: []ehrkit.HumanName{{Family: "HOUSE", Given: []string{"GREG"}}}})
	require.NoError(t, err)
	pats, err := patient.NewService(s)
	require.NoError(t, err)
	p, err := pats.Register(ctx, patient.Patient{Names: []ehrkit.HumanName{{Family: "DOE", Given: []string{"JANE"}}}, Gender: patient.GenderFemale,
		BirthDate: ehrkit.NewDate(1980, 5, 17), Addresses: addr})
	require.NoError(t, err)
	svc := billing.NewService(s)
	_, err = svc.AddCoverage(ctx, billing.Coverage{Patient: string(p.ID), Payer: payer.ID, PayerID: "PAYER1", MemberID: "M100",
		Relationship: billing.RelationshipSelf, Priority: billing.Primary, Period: ehrkit.Period{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}})
	require.NoError(t, err)
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	c, err := svc.CreateClaim(ctx, billing.Claim{ID: "CLM-7", Patient: string(p.ID), Currency: "USD", Payer: "PAYER1", MemberID: "M100",
		BillingNPI: "1234567893", BillingTaxID: "123456789", RenderingNPI: "1245319599", PlaceOfService: "11",
		Diagnoses: []ehrkit.Coding{{System: ehrkit.SystemICD10CM, Code: "J02.0"}},
		Charges: []billing.Charge{{Procedure: ehrkit.Coding{System: ehrkit.SystemCPT, Code: "99213"}, Modifiers: []string{"25"},
			Units: decimal.NewFromInt(1), UnitFee: must(billing.ParseMoney("110.00", "USD")), DiagnosisPointers: []int{1}, ServiceDate: day}}})
	require.NoError(t, err)
	_, err = svc.CreateClaim(ctx, billing.Claim{ID: "CLM-8", Patient: string(p.ID), Currency: "USD", Payer: "NOBODY", MemberID: "M9",
		BillingNPI: "1234567893", BillingTaxID: "123456789", PlaceOfService: "11"})
	require.NoError(t, err)
	return db, c
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestClaimCommand writes the 837P of a stored claim and reads it back
// strictly: the claim read equals the one stored, and the names came from
// the directory, the patient and her coverage.
func TestClaimCommand(t *testing.T) {
	db, want := seedClaim(t)
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"claim", "-db", db, "-claim", "CLM-7"}, &out, &errOut), errOut.String())
	var got []billing.Claim
	for c, err := range x12.Claims837(bytes.NewReader(out.Bytes()), "USD") {
		require.NoError(t, err)
		got = append(got, c)
	}
	require.Len(t, got, 1)
	wantTotal, err := want.Total()
	require.NoError(t, err)
	gotTotal, err := got[0].Total()
	require.NoError(t, err)
	assert.Equal(t, wantTotal.String(), gotTotal.String())
	assert.Equal(t, want.ID, got[0].ID)
	assert.Equal(t, want.Diagnoses, got[0].Diagnoses)
	assert.Equal(t, want.Charges[0].Modifiers, got[0].Charges[0].Modifiers)
	assert.Equal(t, want.Charges[0].Procedure, got[0].Charges[0].Procedure)
	assert.Equal(t, want.RenderingNPI, got[0].RenderingNPI)
	assert.Equal(t, want.MemberID, got[0].MemberID)
	for _, seg := range []string{"NM1*85*2*SPRINGFIELD CLINIC*****XX*1234567893~", "PER*IC*SPRINGFIELD CLINIC*TE*5555550100~",
		"NM1*IL*1*DOE*JANE****MI*M100~", "NM1*PR*2*ACME HEALTH*****PI*PAYER1~", "NM1*82*1*HOUSE*GREG****XX*1245319599~"} {
		assert.Contains(t, out.String(), seg)
	}
}

func TestClaimCommandFailures(t *testing.T) {
	db, _ := seedClaim(t)
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"claim"}, 2, "usage"},
		{[]string{"claim", "-db", db}, 2, "usage"},
		{[]string{"claim", "-db", db, "-claim", "CLM-7", "extra"}, 2, "usage"},
		{[]string{"claim", "-db", db, "-postgres", "x", "-claim", "CLM-7"}, 2, "usage"},
		{[]string{"claim", "-db", filepath.Join(t.TempDir(), "none.db"), "-claim", "CLM-7"}, 1, "no such database file"},
		{[]string{"claim", "-db", db, "-claim", "CLM-404"}, 1, "no claim CLM-404"},
		// the draft has no diagnoses nor charges, and its payer is unknown
		{[]string{"claim", "-db", db, "-claim", "CLM-8"}, 1, "claims[0].diagnoses"},
	} {
		var out, errOut bytes.Buffer
		assert.Equal(t, tt.code, run(tt.args, &out, &errOut), "%v", tt.args)
		assert.Contains(t, errOut.String(), tt.msg, "%v", tt.args)
		assert.Empty(t, out.String(), "%v: nothing half-written", tt.args)
	}
}
