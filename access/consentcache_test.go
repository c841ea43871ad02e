package access_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// TestConsentCacheRevocation: with the consent cache, a consent written
// through a guard binds that guard's next read at once, binds another guard
// on the same store once the bound has passed (and at once inside its
// transactions, which read the consent through the transaction), and lifting
// a consent through another guard keeps denying until the bound, never the
// other way round.
func TestConsentCacheRevocation(t *testing.T) {
	const bound = time.Minute
	policy := testPolicy(t)
	for _, b := range testbackends.All() {
		t.Run(b.Name, func(t *testing.T) {
			clock := ehrkit.NewFakeClock(start)
			inner := b.Open(t, clock)
			seedPatients(t, inner)
			seed(t, inner, rec("Observation", "o1", "p1"))
			g1 := access.Guard(inner, policy, access.WithClock(clock), access.WithConsentCache(bound))
			g2 := access.Guard(inner, policy, access.WithClock(clock), access.WithConsentCache(bound))
			get := func(g *access.Store) access.Reason {
				_, err := g.Get(as(physician2), "Observation", "o1")
				return reasonOf(t, err)
			}
			inTx := func(g *access.Store) access.Reason {
				return reasonOf(t, g.Update(as(physician2), func(tx storage.Tx) error {
					_, err := tx.Get(as(physician2), "Observation", "o1")
					return err
				}))
			}
			// Both guards cache that p1 has no consent.
			require.Empty(t, get(g1))
			require.Empty(t, get(g2))

			require.NoError(t, access.SetConsent(as(portal1), g1, access.Consent{Patient: "p1", DenyPrincipals: []string{physician2.ID}}))
			assert.Equal(t, access.ReasonConsent, get(g1), "through the guard that wrote it: at once")
			assert.Equal(t, access.ReasonConsent, inTx(g2), "in a transaction: read through it, at once")
			assert.Empty(t, get(g2), "another guard's cached absence allows until the bound")
			assert.Equal(t, access.ReasonConsent, reasonOf(t, access.Require(as(physician2), g1, access.PermNoteSign, "p1")))
			clock.Advance(bound)
			assert.Equal(t, access.ReasonConsent, get(g2), "another guard: once the bound passed")
			assert.Equal(t, access.ReasonConsent, get(g1)) // g1 caches the consent again
			page, err := g2.Query(as(physician2), storage.Query{Type: "Observation", Compartment: "p1"})
			require.NoError(t, err)
			assert.Empty(t, page.Records)

			// Lifted through g2: g2 at once, g1 keeps denying until the bound.
			require.NoError(t, access.SetConsent(as(portal1), g2, access.Consent{Patient: "p1"}))
			assert.Empty(t, get(g2))
			assert.Equal(t, access.ReasonConsent, get(g1))
			clock.Advance(bound)
			assert.Empty(t, get(g1))
			require.NoError(t, g1.Flush(context.Background()))
			require.NoError(t, g2.Flush(context.Background()))
			require.NoError(t, access.Verify(context.Background(), inner))
		})
	}
}
