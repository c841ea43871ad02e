package billing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// TestAcknowledgeGuarded applies a 277CA acceptance through a guarded store
// on every backend. The billing.post check runs in the claim's transaction
// (access.RequireIn) and is audited once, with the claim's change; a
// front-desk user is refused and the claim stays submitted until the
// biller's acknowledgement.
func TestAcknowledgeGuarded(t *testing.T) {
	clock := ehrkit.NewFakeClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	policy, err := access.DefaultPolicy(patient.Groups(), billing.Groups())
	require.NoError(t, err)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		require.NoError(t, s.Update(t.Context(), func(tx storage.Tx) error {
			_, err := tx.Put(t.Context(), storage.Record{Type: patient.RecordType, ID: "p1", Compartment: "p1",
				Terms: []storage.Term{{Name: access.FacilityTerm, Value: "F1"}}, Value: []byte(`{"v":1,"d":{"id":"p1"}}`)}, 0)
			return err
		}))
		g := access.Guard(s, policy, access.WithClock(clock))
		svc := billing.NewService(g, billing.WithClock(clock), billing.WithIDs(&ehrkit.SeqIDs{Prefix: "cl-"}))
		ctx := access.WithPrincipal(t.Context(), access.Principal{Kind: access.User, ID: "bill-1", Roles: []string{access.RoleBiller}, Facility: "F1"})
		c := cleanClaim(t)
		c.ID = ""
		created, err := svc.CreateClaim(ctx, c)
		require.NoError(t, err)
		_, err = svc.Validate(ctx, created.ID)
		require.NoError(t, err)
		_, err = svc.Submit(ctx, created.ID, billing.SubmissionRef{Interchange: "1", Group: "1", Set: "0001"})
		require.NoError(t, err)

		desk := access.WithPrincipal(t.Context(), access.Principal{Kind: access.User, ID: "desk-1", Roles: []string{access.RoleFrontDesk}, Facility: "F1"})
		_, err = svc.Acknowledge(desk, created.ID, billing.Acknowledgement{Kind: billing.Ack277CA, Reference: "TRN-1", Accepted: true})
		var denied *access.DeniedError
		require.ErrorAs(t, err, &denied)
		assert.Equal(t, access.ReasonRole, denied.Reason)

		got, err := svc.Acknowledge(ctx, created.ID, billing.Acknowledgement{Kind: billing.Ack277CA, Reference: "TRN-1", Accepted: true})
		require.NoError(t, err)
		assert.Equal(t, billing.ClaimAccepted, got.Status)
		require.Len(t, got.Acknowledgements, 1)

		require.NoError(t, g.Flush(t.Context()))
		admin := access.WithPrincipal(t.Context(), access.Principal{Kind: access.User, ID: "priv-1", Roles: []string{access.RolePrivacy}})
		var posts []string
		for ev, err := range access.Accounting(admin, g, "p1", clock.Now().Add(-time.Hour), clock.Now().Add(time.Hour)) {
			require.NoError(t, err)
			if ev.Action == string(access.PermBillingPost) {
				posts = append(posts, ev.Actor+" "+string(ev.Outcome))
			}
		}
		assert.Equal(t, []string{"bill-1 success"}, posts, "the allowed check is audited once")
		require.NoError(t, access.Verify(admin, s))
	})
}
