package rx_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMergeInteractingOrders: warfarin (RxCUI 11289) active on one chart,
// ibuprofen (RxCUI 5640) on the other, an interacting pair of the shipped
// base (source FDA-LABEL-COUMADIN-7: Coumadin labeling, section 7.3, drugs
// that increase bleeding risk). Merging the charts without an override is
// refused, listing the pair, and writes nothing; an override without a
// reason or without who is invalid; with one, the merge goes ahead and
// keeps the override. Orders that do not interact merge as before.
func TestMergeInteractingOrders(t *testing.T) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		reg, err := patient.NewService(access.Trusted(s), patient.WithClock(clock))
		require.NoError(t, err)
		ctx := user("u-dr", "physician")
		for _, id := range []patient.ID{"p2", "p3"} {
			_, err = reg.Register(user("u-reg", "registrar"), patient.Patient{ID: id, Active: true,
				Names: []ehrkit.HumanName{{Family: "Roe", Given: []string{string(id)}}}, BirthDate: ehrkit.MustDate("1968-03-02")})
			require.NoError(t, err)
		}
		signed := func(p patient.ID, rxcui, display string) rx.Order {
			o := medOrder(rxcui, display)
			o.Patient = p
			o, err := svc.Draft(ctx, o)
			require.NoError(t, err)
			o, err = svc.Sign(ctx, o.ID, "")
			require.NoError(t, err)
			return o
		}
		warfarin := signed(pat, "11289", "warfarin")
		ibuprofen := signed("p2", "5640", "ibuprofen")
		signed("p3", "312961", "Simvastatin 20 MG Oral Tablet")

		feed := func() int {
			ch, err := s.Changes(context.Background(), 0, storage.MaxChangeRead)
			require.NoError(t, err)
			return len(ch)
		}
		before := feed()
		_, err = reg.Merge(ctx, "p2", pat)
		var hazard *patient.MergeHazardError
		require.ErrorAs(t, err, &hazard)
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		require.Len(t, hazard.Findings, 1)
		f := hazard.Findings[0]
		assert.Equal(t, rx.MedicationRequestType+"/"+ibuprofen.ID, f.Source)
		assert.Equal(t, rx.MedicationRequestType+"/"+warfarin.ID, f.Target)
		assert.NotEmpty(t, f.Rules)
		assert.Equal(t, before, feed(), "a refused merge writes nothing")
		still, err := svc.Orders(ctx, "p2", rx.Active)
		require.NoError(t, err)
		assert.Len(t, still, 1, "the order stays on its chart")

		_, err = reg.Merge(ctx, "p2", pat, patient.WithMergeOverride(" ", ""))
		assertIssues(t, err, "override.reason", "override.by")
		assert.Equal(t, before, feed())

		m, err := reg.Merge(ctx, "p2", pat, patient.WithMergeOverride("same person; INR monitored weekly", "u-dr"))
		require.NoError(t, err)
		require.NotNil(t, m.Override)
		assert.Equal(t, "u-dr", m.Override.By)
		assert.Equal(t, hazard.Findings, m.Override.Findings)
		assert.Equal(t, t0, m.Override.At)
		active, err := svc.Orders(ctx, pat, rx.Active)
		require.NoError(t, err)
		assert.Len(t, active, 2, "both orders now on the survivor's chart")

		// Simvastatin does not interact with warfarin or ibuprofen in the
		// base: the merge needs no override.
		m, err = reg.Merge(ctx, "p3", pat)
		require.NoError(t, err)
		assert.Nil(t, m.Override)
	})
}

// TestMergeRacesSigning: a merge of a chart with active warfarin into one
// where ibuprofen (an interacting pair of the shipped base, Coumadin labeling
// section 7.3) is being signed at the same moment. The check is atomic with
// the merge (the merge rewrites the target's medication ledger that signing
// writes), so the two never both succeed: either the merge is refused for the
// pair or signing is refused (an *AlertsError, or the merge won and signing
// was retried against the merged list). Twelve races per backend.
func TestMergeRacesSigning(t *testing.T) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		reg, err := patient.NewService(access.Trusted(s), patient.WithClock(clock))
		require.NoError(t, err)
		ctx := user("u-dr", "physician")
		var merged, refused int
		for i := range 12 {
			src, dst := patient.ID(fmt.Sprintf("src-%d", i)), patient.ID(fmt.Sprintf("dst-%d", i))
			for _, id := range []patient.ID{src, dst} {
				_, err = reg.Register(user("u-reg", "registrar"), patient.Patient{ID: id, Active: true,
					Names: []ehrkit.HumanName{{Family: "Roe", Given: []string{string(id)}}}, BirthDate: ehrkit.MustDate("1968-03-02")})
				require.NoError(t, err)
			}
			w := medOrder("11289", "warfarin")
			w.Patient = src
			w, err = svc.Draft(ctx, w)
			require.NoError(t, err)
			_, err = svc.Sign(ctx, w.ID, "")
			require.NoError(t, err)
			ib := medOrder("5640", "ibuprofen")
			ib.Patient = dst
			ib, err = svc.Draft(ctx, ib)
			require.NoError(t, err)

			var wg sync.WaitGroup
			var signErr, mergeErr error
			wg.Add(2)
			go func() { defer wg.Done(); _, signErr = svc.Sign(ctx, ib.ID, "") }()
			go func() { defer wg.Done(); _, mergeErr = reg.Merge(ctx, src, dst) }()
			wg.Wait()
			require.False(t, signErr == nil && mergeErr == nil, "race %d: both the merge and the interacting order went through", i)
			if mergeErr != nil {
				var hazard *patient.MergeHazardError
				require.ErrorAs(t, mergeErr, &hazard, "race %d", i)
				refused++
			} else {
				merged++
				var alerts *rx.AlertsError
				require.ErrorAs(t, signErr, &alerts, "race %d: signing after the merge sees the warfarin", i)
			}
		}
		t.Logf("merge first (signing refused): %d; signing first (merge refused): %d", merged, refused)
	})
}

// assertIssues checks that err is an *ehrkit.ValidationError naming exactly
// the paths given.
func assertIssues(t *testing.T, err error, paths ...string) {
	t.Helper()
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	var got []string
	for _, is := range ve.Issues {
		got = append(got, is.Path)
	}
	assert.ElementsMatch(t, paths, got)
}
