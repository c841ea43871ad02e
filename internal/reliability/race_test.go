package reliability

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/internal/invariant"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/storage"
)

func TestSequentialWorkload(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		c, err := workload.New(s)
		require.NoError(t, err)
		require.NoError(t, c.Setup(ctx))
		rng := rand.New(rand.NewPCG(1, 2))
		var acks []workload.Ack
		for range 200 {
			ack, err := c.Step(ctx, rng)
			if err != nil {
				require.True(t, workload.Expected(err), "%v", err)
				continue
			}
			acks = append(acks, ack)
		}
		t.Logf("%d acks", len(acks))
		for _, a := range acks {
			require.NoError(t, workload.Confirm(ctx, s, a))
		}
		require.NoError(t, invariant.Check(ctx, s))
	})
}
