package access_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// journalEnv is a store with records to read and a journal beside it.
type journalEnv struct {
	inner storage.Store
	path  string
}

// eachJournalBackend runs fn per backend with a store holding patients p1-p3
// and Observations o0..o9 of p1, and the path of a journal not created yet.
func eachJournalBackend(t *testing.T, fn func(t *testing.T, e journalEnv)) {
	for _, b := range testbackends.All() {
		t.Run(b.Name, func(t *testing.T) {
			inner := b.Open(t, ehrkit.RealClock{})
			seedPatients(t, inner)
			for i := range 10 {
				seed(t, inner, rec("Observation", fmt.Sprintf("o%d", i), "p1"))
			}
			fn(t, journalEnv{inner: inner, path: filepath.Join(t.TempDir(), "audit.journal")})
		})
	}
}

// journalGuard opens the journal of e and a guard using it.
func journalGuard(t *testing.T, e journalEnv, opts ...access.JournalOption) (*access.Journal, *access.Store) {
	t.Helper()
	j, err := access.OpenJournal(context.Background(), e.path, e.inner, opts...)
	require.NoError(t, err)
	return j, access.Guard(e.inner, testPolicy(t), access.WithJournal(j))
}

// readAll reads o0..o(n-1) through g, one read at a time (one journal entry
// each).
func readAll(t *testing.T, g *access.Store, n int) {
	t.Helper()
	for i := range n {
		_, err := g.Get(as(physician), "Observation", fmt.Sprintf("o%d", i%10))
		require.NoError(t, err)
	}
}

// reads counts the successful read events of the chain of s, per record id.
func reads(t *testing.T, s storage.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, ev := range events(t, s) {
		if ev.Action == string(access.Read) && ev.Outcome == access.Success {
			out[ev.ID]++
		}
	}
	return out
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Size()
}

// TestJournalFlushDrains: reads through a guard with a journal reach the
// chain once flushed, the journal is cut back to its header, Accounting
// through the guard sees them without a Flush, and writes keep their events
// in their own transaction.
func TestJournalFlushDrains(t *testing.T) {
	eachJournalBackend(t, func(t *testing.T, e journalEnv) {
		j, g := journalGuard(t, e, access.WithDrainDelay(time.Hour)) // drained by Flush only
		readAll(t, g, 20)
		assert.Empty(t, reads(t, e.inner), "nothing drained before Flush")
		assert.Greater(t, fileSize(t, e.path), access.JournalHeaderLen)
		require.NoError(t, g.Flush(context.Background()))
		got := reads(t, e.inner)
		for i := range 10 {
			assert.Equal(t, 2, got[fmt.Sprintf("o%d", i)], "o%d", i)
		}
		assert.Equal(t, access.JournalHeaderLen, fileSize(t, e.path), "drained entries are cut")
		require.NoError(t, access.Verify(context.Background(), e.inner))

		readAll(t, g, 3)
		n := 0
		for ev, err := range access.Accounting(as(privacy), g, "p1", start.Add(-time.Hour), time.Now().Add(time.Hour)) {
			require.NoError(t, err)
			if ev.Action == string(access.Read) {
				n++
			}
		}
		assert.Equal(t, 23, n, "Accounting through the guard drains the journal first")

		// A write's event commits with it, not through the journal.
		require.NoError(t, g.Update(as(physician), func(tx storage.Tx) error {
			_, err := tx.Put(as(physician), rec("Observation", "o-new", "p1"), 0)
			return err
		}))
		assert.Equal(t, string(access.Create), last(t, e.inner).Action)
		require.NoError(t, j.Close())
		require.NoError(t, access.Verify(context.Background(), e.inner))
	})
}

// TestJournalReplayIsIdempotent: a crash after a drain committed and before
// the journal was cut leaves drained entries in the file; opening it again
// copies none of them twice, and entries written afterwards continue the
// numbering.
func TestJournalReplayIsIdempotent(t *testing.T) {
	eachJournalBackend(t, func(t *testing.T, e journalEnv) {
		j, g := journalGuard(t, e, access.WithDrainDelay(time.Hour))
		readAll(t, g, 15)
		snapshot, err := os.ReadFile(e.path) // the file as a crash after the drain leaves it
		require.NoError(t, err)
		require.NoError(t, g.Flush(context.Background()))
		require.NoError(t, j.Close())
		require.NoError(t, os.WriteFile(e.path, snapshot, 0o600))

		j, g = journalGuard(t, e)
		assert.Equal(t, 15, total(reads(t, e.inner)), "replay copied nothing twice")
		readAll(t, g, 5)
		require.NoError(t, g.Flush(context.Background()))
		assert.Equal(t, 20, total(reads(t, e.inner)))
		require.NoError(t, j.Close())
		require.NoError(t, access.Verify(context.Background(), e.inner))
	})
}

// TestJournalTornTail: entries a crash left undrained are copied into the
// chain when the journal is opened again; a torn last entry (a write that
// never returned) is cut; a corrupt entry with entries after it is an error.
func TestJournalTornTail(t *testing.T) {
	eachJournalBackend(t, func(t *testing.T, e journalEnv) {
		j, g := journalGuard(t, e, access.WithDrainDelay(time.Hour))
		readAll(t, g, 12)
		require.NoError(t, j.Crash())
		assert.Empty(t, reads(t, e.inner))
		whole, err := os.ReadFile(e.path)
		require.NoError(t, err)
		first := whole[access.JournalHeaderLen:]

		// A torn entry: the first entry's bytes, cut short, appended.
		f, err := os.OpenFile(e.path, os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.Write(first[:len(first)/24])
		require.NoError(t, err)
		require.NoError(t, f.Close())

		j, g = journalGuard(t, e)
		assert.Equal(t, 12, total(reads(t, e.inner)), "every whole entry replayed")
		assert.Equal(t, access.JournalHeaderLen, fileSize(t, e.path), "torn tail cut, drained entries cut")
		readAll(t, g, 1)
		require.NoError(t, g.Flush(context.Background()))
		assert.Equal(t, 13, total(reads(t, e.inner)))
		require.NoError(t, j.Close())
		require.NoError(t, access.Verify(context.Background(), e.inner))

		// A tail whose length was written and whose bytes were not (zeros,
		// as a file extended but never written back reads).
		j, g = journalGuard(t, e, access.WithDrainDelay(time.Hour), access.JournalSync())
		readAll(t, g, 2)
		require.NoError(t, j.Crash())
		f, err = os.OpenFile(e.path, os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.Write(append(first[:8:8], make([]byte, binary.LittleEndian.Uint32(first))...))
		require.NoError(t, err)
		require.NoError(t, f.Close())
		j, _ = journalGuard(t, e)
		require.NoError(t, j.Close())
		assert.Equal(t, 15, total(reads(t, e.inner)))

		// Corruption in the middle: the first of several entries altered.
		j, g = journalGuard(t, e, access.WithDrainDelay(time.Hour))
		readAll(t, g, 3)
		require.NoError(t, j.Crash())
		b, err := os.ReadFile(e.path)
		require.NoError(t, err)
		b[access.JournalHeaderLen+20] ^= 0xff
		require.NoError(t, os.WriteFile(e.path, b, 0o600))
		_, err = access.OpenJournal(context.Background(), e.path, e.inner)
		var ce *access.JournalCorruptError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, access.JournalHeaderLen, ce.Offset)
		assert.ErrorIs(t, err, ehrkit.ErrInvalid)
		assert.Equal(t, 15, total(reads(t, e.inner)), "nothing of a corrupt journal is copied")
	})
}

// journalLockChildEnv names the journal the child of TestJournalLocked tries
// to open.
const journalLockChildEnv = "ACCESS_JOURNAL_LOCK_CHILD"

// TestJournalLocked: a journal has one owner; a second OpenJournal, in this
// process or another, is refused until the first is closed.
func TestJournalLocked(t *testing.T) {
	if path := os.Getenv(journalLockChildEnv); path != "" {
		s := testbackends.All()[0].Open(t, ehrkit.RealClock{})
		j, err := access.OpenJournal(context.Background(), path, s)
		if err == nil {
			fmt.Println("opened")
			require.NoError(t, j.Close())
			return
		}
		require.ErrorIs(t, err, access.ErrJournalLocked)
		fmt.Println("locked")
		return
	}
	s := testbackends.All()[0].Open(t, ehrkit.RealClock{})
	path := filepath.Join(t.TempDir(), "audit.journal")
	child := func() string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestJournalLocked$")
		cmd.Env = append(os.Environ(), journalLockChildEnv+"="+path)
		out, err := cmd.Output()
		require.NoError(t, err, "%s", out)
		for _, l := range []string{"locked", "opened"} {
			if string(out[:min(len(out), len(l))]) == l {
				return l
			}
		}
		return string(out)
	}
	j, err := access.OpenJournal(context.Background(), path, s)
	require.NoError(t, err)
	_, err = access.OpenJournal(context.Background(), path, s)
	require.ErrorIs(t, err, access.ErrJournalLocked)
	assert.Equal(t, "locked", child())
	require.NoError(t, j.Close())
	assert.Equal(t, "opened", child())
}

// TestJournalRotation: a journal rewritten without its drained entries
// while readers keep writing (every drain, here) loses and duplicates
// nothing, also when the process dies with entries pending in the rewritten
// file.
func TestJournalRotation(t *testing.T) {
	eachJournalBackend(t, func(t *testing.T, e journalEnv) {
		j, g := journalGuard(t, e, access.WithDrainDelay(0), access.WithRotateAt(1), access.JournalSync())
		const readers, each = 4, 60
		readConcurrently(t, g, readers, each)
		require.NoError(t, j.Crash())
		j, _ = journalGuard(t, e)
		require.NoError(t, j.Close())
		assert.Equal(t, readers*each, total(reads(t, e.inner)))
		require.NoError(t, access.Verify(context.Background(), e.inner))
	})
}

// TestJournalOddStrings: events whose strings hold invalid UTF-8, HTML and
// line separators go through the journal as they are chained (drained, and
// replayed after a crash) and the chain verifies: what is hashed is what a
// reader decodes.
func TestJournalOddStrings(t *testing.T) {
	eachJournalBackend(t, func(t *testing.T, e journalEnv) {
		j, g := journalGuard(t, e, access.WithDrainDelay(time.Hour))
		ctx := access.WithPurpose(as(physician), "<b>\u2028\xff\xfe & \"q\"")
		read := func(n int) {
			for i := range n {
				_, err := g.Get(ctx, "Observation", fmt.Sprintf("o%d", i))
				require.NoError(t, err)
			}
		}
		read(3)
		require.NoError(t, g.Flush(context.Background()))
		read(4)
		require.NoError(t, j.Crash())

		j, g = journalGuard(t, e)
		require.NoError(t, j.Close())
		require.NoError(t, access.Verify(context.Background(), e.inner))
		var purposes []string
		for ev, err := range access.Accounting(context.Background(), e.inner, "p1", time.Time{}, time.Now().Add(time.Hour)) {
			require.NoError(t, err)
			purposes = append(purposes, ev.Purpose)
		}
		require.Len(t, purposes, 7)
		assert.Equal(t, "<b>\u2028\ufffd\ufffd & \"q\"", purposes[6])
	})
}

// TestJournalConcurrentReaders: readers that queue while another writes
// their batch to the journal are written by one of them in turn; every read
// returns and leaves exactly one event, and the chain verifies.
func TestJournalConcurrentReaders(t *testing.T) {
	eachJournalBackend(t, func(t *testing.T, e journalEnv) {
		j, g := journalGuard(t, e)
		const readers, each = 16, 40
		readConcurrently(t, g, readers, each)
		require.NoError(t, j.Close())
		require.NoError(t, access.Verify(context.Background(), e.inner))
		assert.Equal(t, readers*each, total(reads(t, e.inner)))
	})
}

// TestJournalDefaultDrainDelay: without WithDrainDelay the drain waits about
// 100ms after an entry was written before it copies it into the chain, then
// copies it without a Flush.
func TestJournalDefaultDrainDelay(t *testing.T) {
	eachJournalBackend(t, func(t *testing.T, e journalEnv) {
		j, g := journalGuard(t, e)
		written := time.Now()
		readAll(t, g, 1)
		time.Sleep(50 * time.Millisecond)
		if time.Since(written) < 90*time.Millisecond {
			assert.Empty(t, reads(t, e.inner), "drained before the delay")
		}
		assert.Eventually(t, func() bool { return total(reads(t, e.inner)) == 1 }, 5*time.Second, 10*time.Millisecond)
		require.NoError(t, j.Close())
	})
}

// readConcurrently reads from readers goroutines at once, each reading each
// times (ten Observations in turn) as the physician.
func readConcurrently(t *testing.T, g *access.Store, readers, each int) {
	t.Helper()
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for i := range each {
				if _, err := g.Get(as(physician), "Observation", fmt.Sprintf("o%d", i%10)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
