package schedule

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/storage"
)

// inbox is a Notifier that keeps what it is sent and can fail once on a key.
type inbox struct {
	mu     sync.Mutex
	got    []Notice
	failOn string
}

var errDown = errors.New("gateway down")

func (in *inbox) Notify(_ context.Context, n Notice) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if n.Key == in.failOn {
		in.failOn = ""
		return errDown
	}
	in.got = append(in.got, n)
	return nil
}

func (in *inbox) keys() []string {
	out := make([]string, len(in.got))
	for i, n := range in.got {
		out[i] = n.Key
	}
	return out
}

func TestReminders(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		ctx := bg
		a, err := f.svc.Book(ctx, book("visit", "p1", at(monday, "09:00")))
		require.NoError(t, err)
		cancelled, err := f.svc.Book(ctx, book("visit", "p2", at(monday, "10:00")))
		require.NoError(t, err)
		moved, err := f.svc.Book(ctx, book("visit", "p3", at(monday, "11:00")))
		require.NoError(t, err)
		_, err = f.svc.Cancel(ctx, cancelled.ID)
		require.NoError(t, err)
		moved, err = f.svc.Reschedule(ctx, moved.ID, at(monday.AddDate(0, 0, 1), "09:00"))
		require.NoError(t, err)

		// Monday 07:30: both reminders of a are due; the others are gone or later.
		f.clock.Set(at(monday, "07:30"))
		n, err := f.svc.ReleaseReminders(ctx)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		var in inbox
		n, err = f.svc.Deliver(ctx, &in)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		require.Len(t, in.got, 2)
		for i, before := range []time.Duration{24 * time.Hour, 2 * time.Hour} {
			got := in.got[i]
			assert.Equal(t, ReminderNotice, got.Kind)
			assert.Equal(t, a.ID, got.Appointment)
			assert.Equal(t, a.Patient, got.Patient)
			assert.Equal(t, before, got.Before)
			assert.Equal(t, a.Start.Add(-before), got.Due)
		}
		assert.NotEqual(t, in.got[0].Key, in.got[1].Key)

		// A reminder released before its appointment was cancelled is not sent.
		late, err := f.svc.Book(ctx, book("visit", "p4", at(monday, "11:30")))
		require.NoError(t, err)
		f.clock.Set(at(monday, "09:45"))
		n, err = f.svc.ReleaseReminders(ctx)
		require.NoError(t, err)
		assert.Equal(t, 2, n, "late's 2-hour reminder and moved's 24-hour reminder")
		_, err = f.svc.Cancel(ctx, late.ID)
		require.NoError(t, err)
		in = inbox{}
		n, err = f.svc.Deliver(ctx, &in)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		require.Len(t, in.got, 1)
		assert.Equal(t, moved.ID, in.got[0].Appointment)
		assert.Equal(t, 2, in.got[0].Revision)
		assert.Equal(t, moved.Start, in.got[0].Start)

		n, err = f.svc.ReleaseReminders(ctx)
		require.NoError(t, err)
		assert.Zero(t, n)
	}, WithReminders(24*time.Hour, 2*time.Hour))
}

var errCrash = errors.New("crash before the acknowledgment")

// crashStore is a real store whose next write of a feed checkpoint fails, as
// if the process died after the notifier sent but before it acknowledged.
type crashStore struct {
	storage.Store
	crash atomic.Bool
}

func (c *crashStore) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	return c.Store.Update(ctx, func(tx storage.Tx) error { return fn(crashTx{Tx: tx, c: c}) })
}

type crashTx struct {
	storage.Tx
	c *crashStore
}

func (t crashTx) Put(ctx context.Context, rec storage.Record, expect int64) (storage.Record, error) {
	if rec.Type == storage.CheckpointType && t.c.crash.CompareAndSwap(true, false) {
		return storage.Record{}, errCrash
	}
	return t.Tx.Put(ctx, rec, expect)
}

// TestRemindersSurviveCrash proves delivery at least once: a crash between
// sending and acknowledging, or a notifier failing mid-batch, loses nothing,
// and a redelivered notice carries the same key.
func TestRemindersSurviveCrash(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		ctx := bg
		cs := &crashStore{Store: f.store}
		svc := NewService(cs, WithClock(f.clock))
		var want []string
		for _, hhmm := range []string{"09:00", "09:30", "10:00"} {
			a, err := f.svc.Book(ctx, book("visit", "p1", at(monday, hhmm)))
			require.NoError(t, err)
			want = append(want, "reminder:"+reminderID(a, 24*time.Hour))
		}
		f.clock.Set(at(monday, "08:00"))
		n, err := svc.ReleaseReminders(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, n)

		// The notifier fails on the second notice: the first was sent but the
		// batch is not acknowledged.
		in := inbox{failOn: want[1]}
		_, err = svc.Deliver(ctx, &in)
		require.ErrorIs(t, err, errDown)
		assert.Equal(t, want[:1], in.keys())

		// Everything is sent, then the process dies before acknowledging.
		cs.crash.Store(true)
		_, err = svc.Deliver(ctx, &in)
		require.ErrorIs(t, err, errCrash)
		assert.Equal(t, append(want[:1:1], want...), in.keys())

		// After a restart, the unacknowledged batch comes again with the same
		// keys; a notifier dropping seen keys delivers each reminder once.
		restarted := NewService(f.store, WithClock(f.clock))
		n, err = restarted.Deliver(ctx, &in)
		require.NoError(t, err)
		assert.Equal(t, 3, n)
		seen := map[string]int{}
		for _, k := range in.keys() {
			seen[k]++
		}
		for _, k := range want {
			assert.GreaterOrEqual(t, seen[k], 2, "key %s", k)
		}
		assert.Len(t, seen, 3)

		n, err = restarted.Deliver(ctx, &in)
		require.NoError(t, err)
		assert.Zero(t, n, "acknowledged notices are not sent again")
	})
}
