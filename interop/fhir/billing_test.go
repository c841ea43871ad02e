package fhir_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

func coverages(t *testing.T, s storage.Store) []billing.Coverage {
	t.Helper()
	var out []billing.Coverage
	for c, err := range billing.CoverageRecords.All(importing(), s, storage.Query{Type: billing.CoverageType}) {
		require.NoError(t, err)
		out = append(out, c)
	}
	return out
}

func accounts(t *testing.T, s storage.Store) []billing.Account {
	t.Helper()
	var out []billing.Account
	for a, err := range billing.AccountRecords.All(importing(), s, storage.Query{Type: billing.AccountType}) {
		require.NoError(t, err)
		out = append(out, a)
	}
	return out
}

// TestBillingResources imports testdata/billing.json (a patient, the payer,
// a coverage, an account, a claim and the payer's ExplanationOfBenefit) on
// every backend, exports the claim, coverage and account and imports them
// back equal, and
// exports an invoice. The EOB's CMS Blue Button adjudications
// (https://bluebutton.cms.gov/resources/codesystem/adjudication) post as
// X12 CAS adjustments. By hand:
//
//	99213-25  120.00: paid 79.996 → 80.00, coinsurance PR-2 20.00, CO-45 120.00 - 100.00 = 20.00
//	90686      30.50: paid 20.00, deductible PR-1 10.50
//	charged 150.50, paid 100.00, written off 20.00, patient 30.50 = balance
func TestBillingResources(t *testing.T) {
	bundle := filepath.Join("testdata", "billing.json")
	ctx := importing()
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		im := fhir.NewImporter(access.Trusted(s))
		require.NoError(t, im.ImportPaths(ctx, bundle))
		rep := im.Report()
		require.Empty(t, rep.Failed)
		for _, typ := range []string{"Claim", "ExplanationOfBenefit", "Coverage", "Account"} {
			assert.Equal(t, 1, rep.Imported[typ], typ)
		}

		svc := billing.NewService(access.Trusted(s))
		c, err := svc.Claim(ctx, "clm1")
		require.NoError(t, err)
		assert.Equal(t, billing.ClaimPaid, c.Status, "an active claim is submitted; the complete EOB pays it")
		assert.Equal(t, "ACME", c.Payer)
		assert.Equal(t, []ehrkit.Coding{{System: ehrkit.SystemICD10CM, Code: "J06.9"}}, c.Diagnoses)
		require.Len(t, c.Charges, 2)
		assert.Equal(t, []string{"25"}, c.Charges[0].Modifiers)
		assert.Equal(t, []int{1}, c.Charges[0].DiagnosisPointers)
		assert.Equal(t, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), c.Charges[0].ServiceDate, "billablePeriod.start")
		assert.Equal(t, time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC), c.Charges[1].ServiceDate, "servicedDate")
		require.Len(t, c.Payments, 1)
		p := c.Payments[0]
		assert.Equal(t, "eob1", p.Reference)
		assert.Equal(t, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), p.Posted)
		require.Len(t, p.Lines, 2)
		assert.Equal(t, "80.00 USD", p.Lines[0].Paid.String())
		adj := func(as []billing.Adjustment) []string {
			var out []string
			for _, a := range as {
				out = append(out, a.Group+"-"+a.Reason+" "+a.Amount.Round().String())
			}
			return out
		}
		assert.Equal(t, []string{"PR-2 20.00 USD", "CO-45 20.00 USD"}, adj(p.Lines[0].Adjustments))
		assert.Equal(t, []string{"PR-1 10.50 USD"}, adj(p.Lines[1].Adjustments))
		l, err := c.Ledger()
		require.NoError(t, err)
		assert.Equal(t, []string{"150.50 USD", "100.00 USD", "20.00 USD", "30.50 USD", "30.50 USD"},
			[]string{l.Charged.String(), l.Paid.String(), l.WrittenOff.String(), l.PatientDue().String(), l.Balance().String()})

		covs := coverages(t, s)
		require.Len(t, covs, 1)
		assert.Equal(t, billing.Coverage{ID: "cov1", Patient: "pat1", Payer: "acme", PayerID: "PAYER1", Plan: "GOLD", MemberID: "M100",
			Relationship: billing.RelationshipSelf, Priority: billing.Primary, Period: ehrkit.Period{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}, covs[0])

		accs := accounts(t, s)
		assert.Equal(t, []billing.Account{{ID: "acc1", Patient: "pat1", Status: billing.AccountActive, Name: "Jane Doe", Coverages: []string{"cov1"}, Guarantor: "pat1"}}, accs)

		again := fhir.NewImporter(access.Trusted(s))
		require.NoError(t, again.ImportPaths(ctx, bundle))
		assert.Empty(t, again.Report().Imported, "the EOB posts once")
		assert.Empty(t, again.Report().Updated, "re-importing the claim keeps its payments")

		draft, err := svc.CreateClaim(ctx, billing.Claim{ID: "clm2", Patient: "pat1", Currency: "USD"})
		require.NoError(t, err)
		out := t.TempDir()
		x, err := fhir.NewExporter(s)
		require.NoError(t, err)
		counts, err := x.Dir(ctx, out, "")
		require.NoError(t, err)
		assert.Equal(t, 2, counts["Claim"], "a draft without charges exports too (dated by its last write)")
		assert.Equal(t, 1, counts["Coverage"])
		assert.Equal(t, 1, counts["Account"])
		fresh := memstore.New()
		back := fhir.NewImporter(access.Trusted(fresh))
		require.NoError(t, back.ImportPaths(ctx, out))
		require.Empty(t, back.Report().Failed)
		got, err := billing.NewService(access.Trusted(fresh)).Claim(ctx, "clm1")
		require.NoError(t, err)
		assert.Equal(t, c, got, "the claim, its status and payments export and import back equal")
		gotDraft, err := billing.NewService(access.Trusted(fresh)).Claim(ctx, "clm2")
		require.NoError(t, err)
		assert.Equal(t, draft, gotDraft)
		assert.Equal(t, covs, coverages(t, fresh))
		assert.Equal(t, accs, accounts(t, fresh))

		_, err = svc.CreateInvoice(ctx, billing.Invoice{Number: "INV-1", Patient: "pat1", Currency: "USD", Lines: []billing.InvoiceLine{{Claim: "clm1"}}})
		require.NoError(t, err)
		_, err = svc.IssueInvoice(ctx, "INV-1", time.Now().AddDate(0, 1, 0))
		require.NoError(t, err)
		var buf bytes.Buffer
		n, err := x.NDJSON(ctx, billing.InvoiceType, "", &buf)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		var inv struct {
			Status   string
			Subject  struct{ Reference string }
			TotalNet struct {
				Value    json.Number
				Currency string
			}
			LineItem []struct {
				PriceComponent []struct {
					Type   string
					Amount struct{ Value json.Number }
				}
			}
		}
		require.NoError(t, json.Unmarshal(buf.Bytes(), &inv))
		assert.Equal(t, "issued", inv.Status)
		assert.Equal(t, "Patient/pat1", inv.Subject.Reference)
		assert.Equal(t, "30.5", inv.TotalNet.Value.String(), "the patient's share: PR-2 20.00 + PR-1 10.50")
		require.Len(t, inv.LineItem, 1)
		assert.Equal(t, "base", inv.LineItem[0].PriceComponent[0].Type)
	})
}
