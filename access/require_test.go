package access_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// opaque is a decorator that hides what it wraps (it has no Unwrap).
type opaque struct{ storage.Store }

// metrics is a well-behaved decorator: it unwraps, and so do its transactions.
type metrics struct {
	storage.Store
	txs int
}

func (m *metrics) Unwrap() storage.Store { return m.Store }

func (m *metrics) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	m.txs++
	return m.Store.Update(ctx, func(tx storage.Tx) error { return fn(countedTx{tx}) })
}

type countedTx struct{ storage.Tx }

func (c countedTx) Unwrap() storage.Tx { return c.Tx }

// TestRequireThroughDecorators: an operation check never fails open. A
// decorator that hides the guard is refused even for a role holding the
// permission; one that unwraps keeps the policy deciding, so a role without
// the permission is still refused.
func TestRequireThroughDecorators(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		hidden := opaque{e.g}
		assert.Equal(t, access.ReasonUntrusted, reasonOf(t, access.Require(as(physician), hidden, access.PermRxSign, "p1")))
		assert.Equal(t, access.ReasonUntrusted, reasonOf(t, access.Require(as(frontDesk), hidden, access.PermRxSign, "p1")))
		assert.Equal(t, access.ReasonUntrusted, reasonOf(t, access.Require(as(frontDesk), opaque{access.Trusted(e.inner)}, access.PermRxSign, "p1")))

		m := &metrics{Store: e.g}
		require.NoError(t, access.Require(as(physician), m, access.PermRxSign, "p1"))
		assert.Equal(t, access.ReasonRole, reasonOf(t, access.Require(as(frontDesk), m, access.PermRxSign, "p1")))
		assert.Equal(t, access.ReasonRole, reasonOf(t, access.Require(as(frontDesk), &metrics{Store: m}, access.PermRxSign, "p1")))

		// Note reaches the guarded transaction through the decorator's one and
		// the event commits with the transaction.
		ctx := as(physician)
		require.NoError(t, m.Update(ctx, func(tx storage.Tx) error {
			return access.Note(ctx, tx, string(access.PermRxSign), "p1", "order o1")
		}))
		require.NoError(t, e.g.Flush(ctx))
		found := false
		for ev, err := range access.Accounting(as(privacy), e.g, "p1", start.Add(-time.Hour), start.Add(time.Hour)) {
			require.NoError(t, err)
			found = found || ev.Action == string(access.PermRxSign) && ev.Reason == "order o1"
		}
		assert.True(t, found, "the noted act is in the trail")

		// A transaction that hides the guarded one is refused.
		err := e.g.Update(ctx, func(tx storage.Tx) error {
			return access.Note(ctx, struct{ storage.Tx }{tx}, string(access.PermRxSign), "p1", "order o2")
		})
		assert.Equal(t, access.ReasonUntrusted, reasonOf(t, err))
	})
}
