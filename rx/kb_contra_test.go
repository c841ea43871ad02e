package rx_test

import (
	"context"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLabelContraindicationsInterrupt checks every pair of every
// contraindicated label rule: the alert is contraindicated and interrupts,
// whichever other source (VA, ONC non-interruptive list) also names the pair.
func TestLabelContraindicationsInterrupt(t *testing.T) {
	kb := rx.Shipped()
	members := func(p rx.Party) []string {
		if p.RxCUI != "" {
			return []string{p.RxCUI}
		}
		c, ok := kb.Class(p.Class)
		require.True(t, ok, p.Class)
		return c.Members
	}
	n := 0
	for _, r := range kb.Rules() {
		if r.Severity != rx.Contraindicated || len(r.ID) < 6 || r.ID[:6] != "LABEL-" {
			continue
		}
		for _, x := range members(r.A) {
			for _, y := range members(r.B) {
				if x == y {
					continue
				}
				res := rx.Check(kb, rx.Input{Active: []ehrkit.Coding{code(x)}, Orders: []rx.Proposed{order(y)}})
				got := fired(res, r.ID)
				if assert.Len(t, got, 1, "%s: %s with %s", r.ID, x, y) {
					assert.Equal(t, rx.Contraindicated, got[0].Severity, r.ID)
					assert.True(t, got[0].Interruptive, r.ID)
					assert.Contains(t, got[0].Source, "FDA-LABEL-", r.ID)
				}
				n++
			}
		}
	}
	assert.Greater(t, n, 50)
}

// TestPassiveRuleCannotSilenceAContraindication merges a site base that shows
// triazolam with ketoconazole passively: the label contraindication still
// interrupts.
func TestPassiveRuleCannotSilenceAContraindication(t *testing.T) {
	kb := rx.Shipped()
	tri, keto := byName(t, "triazolam"), byName(t, "ketoconazole")
	site, err := rx.NewBase(rx.Document{
		Format:      rx.FormatV1,
		Sources:     []rx.Source{{ID: "SITE", Citation: "Site committee"}},
		Ingredients: []rx.Ingredient{{RxCUI: tri, Name: "triazolam"}, {RxCUI: keto, Name: "ketoconazole"}},
		Interactions: []rx.Interaction{{ID: "SITE-QUIET", A: rx.Party{RxCUI: tri}, B: rx.Party{RxCUI: keto},
			Severity: rx.Minor, Passive: true, Summary: "shown passively", Sources: []string{"SITE"}}},
	})
	require.NoError(t, err)
	res := rx.Check(rx.Merge([]rx.KnowledgeBase{site, kb}), rx.Input{Active: []ehrkit.Coding{code(tri)}, Orders: []rx.Proposed{order(keto)}})
	dd := kinds(res, rx.DrugDrug)
	require.Len(t, dd, 1)
	assert.Equal(t, rx.Contraindicated, dd[0].Severity)
	assert.True(t, dd[0].Interruptive)
	assert.Contains(t, dd[0].Rules, "SITE-QUIET")
	assert.Contains(t, dd[0].Rules, "LABEL-TRIAZOLAM-CYP3A")
}

// TestContraindicationNeedsOverride signs ketoconazole for a patient taking
// triazolam: refused without an override reason, signed with one, on every
// backend.
func TestContraindicationNeedsOverride(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		register(t, s, ehrkit.RealClock{})
		svc, err := rx.NewService(access.Trusted(s), rx.Shipped(), rx.WithIDs(&ehrkit.SeqIDs{Prefix: "c-"}))
		require.NoError(t, err)
		ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.User, ID: "u-1", Roles: []string{"attending"}})
		med := func(rxcui string) rx.Order {
			return rx.Order{Patient: pat, Kind: rx.KindMedication, Requester: "dr-1",
				Medication: &rx.MedicationDetail{Medication: code(rxcui), Dose: ehrkit.Qty("1", "{tablet}"),
					FrequencyPerDay: decimal.NewFromInt(1), Route: "oral", Quantity: ehrkit.Qty("10", "{tablet}")}}
		}
		hypnotic, err := svc.Draft(ctx, med(byName(t, "triazolam")))
		require.NoError(t, err)
		_, err = svc.Sign(ctx, hypnotic.ID, "")
		require.NoError(t, err)
		azole, err := svc.Draft(ctx, med(byName(t, "ketoconazole")))
		require.NoError(t, err)
		_, err = svc.Sign(ctx, azole.ID, "")
		var ae *rx.AlertsError
		require.ErrorAs(t, err, &ae)
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		assert.Equal(t, rx.Contraindicated, ae.Alerts[0].Severity)
		assert.Equal(t, "LABEL-TRIAZOLAM-CYP3A", ae.Alerts[0].Rule)
		signed, err := svc.Sign(ctx, azole.ID, "triazolam stopped today")
		require.NoError(t, err)
		assert.Equal(t, rx.Active, signed.Status)
		require.NotNil(t, signed.Override)
	})
}
