package reliability

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// TestConcurrentUnmerge: 64 goroutines unmerge 32 merges, two racing for
// each, on every backend. Each merge is reverted exactly once, the loser
// gets an error, and none waits forever: the deadline turns a hang (a
// transaction asking the pool for a second connection while every
// connection is held by such a transaction) into a failure.
//
// On PostgreSQL this hung before reads of a version inside a transaction
// went through the transaction's own connection (storage.VersionReader).
func TestConcurrentUnmerge(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := workload.New(s)
		require.NoError(t, err)
		rng := rand.New(rand.NewPCG(18, 2))
		const merges = 32
		sources := make([]patient.ID, merges)
		for i := range sources {
			src, err := c.Register(ctx, rng)
			require.NoError(t, err)
			dst, err := c.Register(ctx, rng)
			require.NoError(t, err)
			_, err = c.MergeInto(ctx, patient.ID(src.ID), patient.ID(dst.ID))
			require.NoError(t, err)
			sources[i] = patient.ID(src.ID)
		}
		won := make([]int, merges)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 2 * merges {
			wg.Go(func() {
				_, err := c.Registry.Unmerge(workload.As(ctx, workload.Desk), sources[i/2])
				assert.NotErrorIs(t, err, context.DeadlineExceeded, "unmerge of %s hung", sources[i/2])
				if err == nil {
					mu.Lock()
					won[i/2]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.NoError(t, ctx.Err(), "the unmerges did not finish before the deadline")
		for i, n := range won {
			assert.Equal(t, 1, n, "unmerges of %s that succeeded", sources[i])
		}
	})
}
