package invariant_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/invariant"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
)

// TestMergedInteractionNeedsOverride: warfarin on one chart and ibuprofen on
// the other (interacting, Coumadin labeling section 7.3) merged with an
// override pass the interaction rule; the same merge record stripped of its
// override is reported under interaction-override, on every backend.
func TestMergedInteractionNeedsOverride(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.User, ID: "u-dr", Roles: []string{"physician"}})
		trusted := access.Trusted(s)
		reg, err := patient.NewService(trusted)
		require.NoError(t, err)
		orders, err := rx.NewService(trusted, rx.Shipped())
		require.NoError(t, err)
		sign := func(p patient.ID, rxcui string) {
			_, err := reg.Register(ctx, patient.Patient{ID: p, Active: true,
				Names: []ehrkit.HumanName{{Family: "Roe", Given: []string{string(p)}}}, BirthDate: ehrkit.MustDate("1968-03-02")})
			require.NoError(t, err)
			o, err := orders.Draft(ctx, rx.Order{Patient: p, Kind: rx.KindMedication, Requester: "dr-1", Priority: rx.PriorityRoutine,
				Medication: &rx.MedicationDetail{Medication: ehrkit.Coding{System: ehrkit.SystemRxNorm, Code: rxcui},
					Dose: ehrkit.Qty("1", "{tablet}"), Route: "oral", DurationDays: 30, Quantity: ehrkit.Qty("30", "{tablet}")}})
			require.NoError(t, err)
			_, err = orders.Sign(ctx, o.ID, "")
			require.NoError(t, err)
		}
		sign("a", "11289") // warfarin
		sign("b", "5640")  // ibuprofen
		m, err := reg.Merge(ctx, "b", "a", patient.WithMergeOverride("same person; INR monitored", "u-dr"))
		require.NoError(t, err)
		require.NotNil(t, m.Override)
		require.NoError(t, invariant.Check(ctx, s))

		m.Override = nil
		require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: patient.MergeRecordType, ID: m.ID,
				Terms: patient.MergeRecords.Meta(&m).Terms, Value: envelope(t, m)}, storage.Any)
			return err
		}))
		var ie *invariant.Error
		require.ErrorAs(t, invariant.Check(ctx, s), &ie)
		assert.True(t, ie.Has(invariant.RuleInteraction), "%v", ie)
	})
}
