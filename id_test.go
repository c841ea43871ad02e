package ehrkit_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
)

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func TestIDsSortByTime(t *testing.T) {
	clock := ehrkit.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	g := ehrkit.NewIDs(clock)
	var ids []string
	for i := range 2000 {
		if i%100 == 0 {
			clock.Advance(time.Millisecond)
		}
		if i%500 == 0 {
			clock.Advance(365 * 24 * time.Hour)
		}
		ids = append(ids, g.NewID())
	}
	assert.True(t, slices.IsSorted(ids), "identifiers sort by creation, within and across milliseconds")
	for _, id := range ids {
		require.Len(t, id, 26)
		for _, c := range id {
			require.Contains(t, crockford, string(c), "Crockford base 32 only")
		}
	}
	assert.Len(t, slices.Compact(slices.Clone(ids)), len(ids), "identifiers are unique")

	// A clock that steps back does not break the order of one generator.
	clock.Advance(-time.Hour)
	next := g.NewID()
	assert.Greater(t, next, ids[len(ids)-1])

	// The timestamp is the first ten characters: a later millisecond sorts later
	// whatever the random part.
	a := ehrkit.NewIDs(ehrkit.NewFakeClock(time.UnixMilli(1_700_000_000_000))).NewID()
	b := ehrkit.NewIDs(ehrkit.NewFakeClock(time.UnixMilli(1_700_000_000_001))).NewID()
	assert.Less(t, a, b)
	assert.Equal(t, "01HF7YAT00", a[:10], "48-bit millisecond timestamp in Crockford base 32")
}

func TestIDsConcurrent(t *testing.T) {
	g := ehrkit.NewIDs(ehrkit.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	const workers, each = 16, 500
	var wg sync.WaitGroup
	out := make([][]string, workers)
	for w := range workers {
		wg.Go(func() {
			for range each {
				out[w] = append(out[w], g.NewID())
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, ids := range out {
		assert.True(t, slices.IsSorted(ids), "each goroutine sees increasing identifiers")
		for _, id := range ids {
			require.False(t, seen[id], "duplicate identifier %s", id)
			seen[id] = true
		}
	}
	assert.Len(t, seen, workers*each)

	// The default generator is unique under concurrency too.
	var mu sync.Mutex
	defaults := map[string]bool{}
	for range 8 {
		wg.Go(func() {
			for range 200 {
				id := ehrkit.NewID()
				mu.Lock()
				defaults[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Len(t, defaults, 1600)
}

func TestSeqIDs(t *testing.T) {
	g := &ehrkit.SeqIDs{Prefix: "p-"}
	assert.Equal(t, "p-000001", g.NewID())
	assert.Equal(t, "p-000002", g.NewID())
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 100 {
				g.NewID()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, "p-001003", g.NewID())
	var _ ehrkit.IDGenerator = g
	var _ ehrkit.IDGenerator = ehrkit.NewIDs(nil)
}

func TestClocks(t *testing.T) {
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	c := ehrkit.NewFakeClock(start)
	assert.Equal(t, start, c.Now())
	c.Advance(90 * time.Minute)
	assert.Equal(t, start.Add(90*time.Minute), c.Now())
	c.Set(start)
	assert.Equal(t, start, c.Now())

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, start.Add(1000*time.Second), c.Now(), "Advance is safe for concurrent use")

	now := ehrkit.RealClock{}.Now()
	assert.Equal(t, time.UTC, now.Location(), "RealClock is in UTC")
	assert.WithinDuration(t, time.Now(), now, time.Minute)
}

func TestOrRealClock(t *testing.T) {
	fake := ehrkit.NewFakeClock(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	if got := ehrkit.OrRealClock(fake); got != ehrkit.Clock(fake) {
		t.Fatalf("OrRealClock(fake) = %v, want the fake clock", got)
	}
	before := time.Now().UTC()
	now := ehrkit.OrRealClock(nil).Now()
	if now.Before(before) || now.Location() != time.UTC {
		t.Fatalf("OrRealClock(nil).Now() = %v, want the system time in UTC", now)
	}
}
