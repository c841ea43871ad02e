package schedule

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
)

// TestConcurrentCancel: of many simultaneous cancellations of one
// appointment exactly one succeeds; every other one is refused as a move
// from cancelled (ehrkit.ErrFailedPrecondition), never ehrkit.ErrNotFound
// from a reminder the winner dropped. On every backend.
func TestConcurrentCancel(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		for round := range 3 {
			a, err := f.svc.Book(bg, book("visit", "p1", at(monday, "09:00").Add(time.Duration(round)*30*time.Minute)))
			require.NoError(t, err)
			const n = 8
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { _, errs[i] = f.svc.Cancel(bg, a.ID) })
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, ehrkit.ErrFailedPrecondition):
					t.Errorf("round %d: %v", round, err)
				}
			}
			assert.Equal(t, 1, ok, "round %d", round)
		}
	}, WithReminders(24*time.Hour, 2*time.Hour))
}
