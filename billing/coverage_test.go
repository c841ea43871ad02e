package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
)

func TestCoverage(t *testing.T) {
	runService(t, func(t *testing.T, ctx context.Context, svc *billing.Service) {
		addPayer(t, ctx, svc.Store(), "acme")
		jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		primary := billing.Coverage{Patient: "p1", Payer: "acme", PayerID: "PAYER1", MemberID: "M100",
			Relationship: billing.RelationshipSelf, Priority: billing.Primary, Period: ehrkit.Period{Start: jan}}
		got, err := svc.AddCoverage(ctx, primary)
		require.NoError(t, err)
		assert.NotEmpty(t, got.ID)

		// a second primary over the same period is refused; as secondary it is fine
		second := primary
		second.MemberID = "M999"
		_, err = svc.AddCoverage(ctx, second)
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("priority", ehrkit.IssueBusinessRule), "%v", ve)
		second.Priority = billing.Secondary
		_, err = svc.AddCoverage(ctx, second)
		require.NoError(t, err)

		// every problem at once, the payer organization checked in the store
		bad := billing.Coverage{Patient: "p1", Payer: "nobody", Relationship: "cousin", Priority: 4}
		_, err = svc.AddCoverage(ctx, bad)
		require.ErrorAs(t, err, &ve)
		for _, p := range []string{"payerId", "memberId", "relationship", "priority"} {
			assert.True(t, hasPath(ve, p), "missing %s in %v", p, ve)
		}
		bad = primary
		bad.Payer, bad.Priority = "nobody", billing.Tertiary
		_, err = svc.AddCoverage(ctx, bad)
		require.ErrorAs(t, err, &ve)
		assert.True(t, hasPath(ve, "payer"), "%v", ve)
	})
}

func hasPath(ve *ehrkit.ValidationError, path string) bool {
	for _, is := range ve.Issues {
		if is.Path == path {
			return true
		}
	}
	return false
}
