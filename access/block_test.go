package access_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// blockTrail writes trail's 6 events as records of one event each (a chain
// written before blocks), then 70 reads of p1's records through a journal,
// one minute apart and crossing midnight, drained at once: blocks of events
// 7-70 and 71-76.
func blockTrail(t *testing.T, e env) {
	trail(t, e)
	ctx := context.Background()
	j, err := access.OpenJournal(ctx, t.TempDir()+"/audit.journal", e.inner, access.WithDrainDelay(time.Hour))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, j.Close()) })
	g := access.Guard(e.inner, testPolicy(t), access.WithJournal(j), access.WithClock(e.clock))
	e.clock.Advance(14*time.Hour + 30*time.Minute) // 23:30
	for i := range 70 {
		id := []string{"o1", "o3"}[i%2]
		_, err := g.Get(as(physician), "Observation", id)
		require.NoError(t, err)
		e.clock.Advance(time.Minute)
	}
	require.NoError(t, g.Flush(ctx))
	for _, first := range []string{eventID(7), eventID(71)} {
		r, err := e.inner.Get(ctx, access.AuditEventType, first)
		require.NoError(t, err)
		_, err = access.DecodeEvent(r)
		require.ErrorIs(t, err, ehrkit.ErrInvalid, "record %s is a block", first)
	}
	require.Len(t, events(t, e.inner), 76)
}

// blockEvents decodes the block starting at seq.
func blockEvents(t *testing.T, e env, seq int64) []access.Event {
	evs, err := access.DecodeEvents(storage.Record{Type: access.AuditEventType, ID: eventID(seq), Value: value(t, e, seq)})
	require.NoError(t, err)
	return evs
}

// blockOf encodes evs as a block's stored value.
func blockOf(t *testing.T, evs []access.Event) []byte {
	parts := make([][]byte, len(evs))
	for i, ev := range evs {
		parts[i] = encode(t, ev)
	}
	return slices.Concat([]byte("["), bytes.Join(parts, []byte(",")), []byte("]"))
}

// TestBlocksVerifyAndAccount: a chain of single-event records followed by
// blocks verifies, its head is the last event of the last block, and
// Accounting finds exactly a patient's events of a period in both.
func TestBlocksVerifyAndAccount(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		blockTrail(t, e)
		ctx := context.Background()
		require.NoError(t, access.Verify(ctx, e.inner))
		all := events(t, e.inner)
		head, err := access.ReadHead(ctx, e.inner)
		require.NoError(t, err)
		assert.Equal(t, access.Head{Seq: 76, Hash: all[75].Hash}, head)
		require.NoError(t, access.Verify(ctx, e.inner, head, access.Head{Seq: 7, Hash: all[6].Hash}))

		midnight := start.Truncate(24 * time.Hour).Add(24 * time.Hour)
		windows := [][2]time.Time{
			{time.Time{}, time.Now().Add(time.Hour)},
			{start, start.Add(time.Second)},
			{midnight.Add(-10 * time.Minute), midnight.Add(10 * time.Minute)},
			{midnight, midnight.Add(time.Hour)},
			{midnight.Add(time.Minute), midnight.Add(time.Minute + time.Microsecond)},
			{midnight.Add(-time.Hour), midnight},
			{midnight, midnight},
		}
		for _, p := range []string{"p1", "p2"} {
			for _, w := range windows {
				var want []int64
				for _, ev := range all {
					if ev.Patient == p && !ev.Time.Before(w[0]) && ev.Time.Before(w[1]) {
						want = append(want, ev.Seq)
					}
				}
				var got []int64
				var last time.Time
				for ev, err := range access.Accounting(ctx, e.inner, p, w[0], w[1]) {
					require.NoError(t, err)
					assert.False(t, ev.Time.Before(last), "oldest first")
					last = ev.Time
					got = append(got, ev.Seq)
				}
				slices.Sort(got)
				assert.Equal(t, want, got, "%s in [%s, %s)", p, w[0], w[1])
			}
		}
		assert.Len(t, accounted(t, e, "p1"), 75, "5 events of p1 in single records, 70 in blocks")
	})
}

// TestBlockTamperIsDetected: each event of a block is checked at its
// position, and blocks are positions of the chain like single records.
func TestBlockTamperIsDetected(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, e env)
		want   access.ChainError
	}{
		{"one event altered inside a block", func(t *testing.T, e env) {
			evs := blockEvents(t, e, 7)
			evs[10].Purpose = access.PurposeResearch
			rewrite(t, e, 7, blockOf(t, evs))
		}, access.ChainError{Seq: 17, Fault: access.FaultAltered}},
		{"one event removed from a block", func(t *testing.T, e env) {
			evs := blockEvents(t, e, 7)
			rewrite(t, e, 7, blockOf(t, slices.Delete(evs, 10, 11)))
		}, access.ChainError{Seq: 17, Fault: access.FaultMissing}},
		{"two events swapped inside a block", func(t *testing.T, e env) {
			evs := blockEvents(t, e, 7)
			evs[3], evs[4] = evs[4], evs[3]
			rewrite(t, e, 7, blockOf(t, evs))
		}, access.ChainError{Seq: 10, Fault: access.FaultMissing}},
		{"a block removed", func(t *testing.T, e env) {
			removeEvent(t, e, 7)
		}, access.ChainError{Seq: 7, Fault: access.FaultMissing}},
		{"blocks swapped", func(t *testing.T, e env) {
			v7, v71 := value(t, e, 7), value(t, e, 71)
			rewrite(t, e, 7, v71)
			rewrite(t, e, 71, v7)
		}, access.ChainError{Seq: 7, Fault: access.FaultReordered}},
		{"a record inserted among a block's positions", func(t *testing.T, e env) {
			ev := blockEvents(t, e, 7)[3]
			seed(t, e.inner, storage.Record{Type: access.AuditEventType, ID: eventID(ev.Seq), Value: encode(t, ev),
				Terms: []storage.Term{{Name: "patient", Value: ev.Patient + "|" + storage.UpdatedKey(ev.Time)}}})
		}, access.ChainError{Seq: 10, Fault: access.FaultInserted}},
		{"a field injected into a block's bytes", func(t *testing.T, e env) {
			v := value(t, e, 71)
			rewrite(t, e, 71, append([]byte(`[{"injected":"x",`), v[2:]...))
		}, access.ChainError{Seq: 71, Fault: access.FaultAltered}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, e env) {
				blockTrail(t, e)
				tc.tamper(t, e)
				err := access.Verify(context.Background(), e.inner)
				require.ErrorIs(t, err, access.ErrTampered)
				var ce *access.ChainError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, tc.want, *ce)
			})
		})
	}
}

// TestEditedBlockTermIsDetected: moving a block's patient terms in the index
// hides its events from Accounting; Verify finds it.
func TestEditedBlockTermIsDetected(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		if e.backend.Exec == nil {
			t.Skip("no index below the contract to edit")
		}
		blockTrail(t, e)
		q := map[string]string{
			"sqlite":   `UPDATE terms SET value = 'p9' || substr(value, 3) WHERE tn = (SELECT tn FROM term_names WHERE type = ? AND name = 'patient') AND id = ?`,
			"postgres": `UPDATE record_terms SET value = convert_to('p9', 'UTF8') || substring(value from 3) WHERE tn = (SELECT tn FROM term_names WHERE type = $1 AND name = 'patient') AND id = $2`,
		}[e.backend.Name]
		require.Equal(t, int64(2), e.backend.Exec(t, e.inner, q, access.AuditEventType, eventID(7)), "p1 on two days")
		require.Len(t, accounted(t, e, "p1"), 75-64)
		var ce *access.ChainError
		require.ErrorAs(t, access.Verify(context.Background(), e.inner), &ce)
		assert.Equal(t, access.ChainError{Seq: 7, Fault: access.FaultAltered}, *ce)
	})
}

// TestDayCover: the prefixes Accounting queries cover exactly the days of
// the period, each day once, with few prefixes.
func TestDayCover(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		require.NoError(t, err)
		return d
	}
	assert.Equal(t, []string{"2026-03-02"}, access.DayCover(day("2026-03-02"), day("2026-03-02").Add(time.Microsecond)))
	assert.Equal(t, []string{"2026-01-15", "2026-01-16", "2026-01-17", "2026-01-18", "2026-01-19", "2026-01-2", "2026-01-3",
		"2026-02", "2026-03-0"}, access.DayCover(day("2026-01-15"), day("2026-03-10")))
	assert.Empty(t, access.DayCover(day("2026-03-02"), day("2026-03-02")))
	periods := [][2]time.Time{
		{time.Time{}, day("2027-01-01")},
		{day("1999-12-31"), day("2000-01-02").Add(time.Nanosecond)},
		{day("2026-02-27"), day("2026-03-01")},
		{day("9999-12-30"), day("9999-12-31").Add(48 * time.Hour)},
		{day("0000-01-01").Add(-time.Hour), day("0000-01-03")},
	}
	for _, p := range periods {
		cover := access.DayCover(p[0], p[1])
		assert.Less(t, len(cover), 100, "%v", p)
		assert.True(t, slices.IsSorted(cover))
		for d := p[0].Truncate(24*time.Hour).AddDate(0, 0, -3); d.Before(p[1].AddDate(0, 0, 3)) && d.Year() <= 9999; d = d.AddDate(0, 0, 1) {
			key := d.Format(time.DateOnly)
			n := 0
			for _, prefix := range cover {
				if strings.HasPrefix(key, prefix) {
					n++
				}
			}
			in := d.Before(p[1]) && !d.AddDate(0, 0, 1).Add(-time.Nanosecond).Before(p[0]) && d.Year() >= 0
			if in {
				assert.Equal(t, 1, n, "%s in %v", key, p)
			} else {
				assert.Zero(t, n, "%s outside %v", key, p)
			}
		}
	}
}
