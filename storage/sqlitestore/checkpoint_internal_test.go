package sqlitestore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/storage"
)

// testCheckpointPages is the log size that wakes the checkpointer in these
// tests: small, so that a few hundred kilobytes of writes pass it many times.
const testCheckpointPages = 64

// withCheckpointPages sets the log size, in pages, that wakes the
// checkpointer.
func withCheckpointPages(n int64) Option { return func(s *Store) { s.ckptAt = n } }

func openCheckpointed(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, withCheckpointPages(testCheckpointPages))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// writeBatch writes batch b of 20 ~1 KB records: records 20b to 20b+19.
func writeBatch(t *testing.T, s *Store, b int) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
		for i := range 20 {
			n := b*20 + i
			rec := storage.Record{Type: "Observation", ID: fmt.Sprintf("o%06d", n), Value: rawValue(n),
				Terms: []storage.Term{{Name: "code", Value: fmt.Sprintf("c%04d", n%1000)}}}
			if _, err := tx.Put(ctx, rec, 0); err != nil {
				return err
			}
		}
		return nil
	}))
}

// writeBatches writes batches 0 to batches-1 and returns the largest size
// the log file reached after a commit.
func writeBatches(t *testing.T, s *Store, path string, batches int) int64 {
	t.Helper()
	var most int64
	for b := range batches {
		writeBatch(t, s, b)
		info, err := os.Stat(path + "-wal")
		require.NoError(t, err)
		most = max(most, info.Size())
	}
	return most
}

// checkpointerRunning reports whether a goroutine runs the checkpointer.
func checkpointerRunning() bool {
	buf := make([]byte, 1<<20)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "sqlitestore.(*checkpointer).run")
}

func TestLogStaysBounded(t *testing.T) {
	// The bound: the cap, plus what the commits between two checks add
	// (a few batches of about 40 pages), at 4 096 bytes and a 24-byte frame
	// header a page. Without checkpoints 600 batches take some 10 000 pages.
	const bound = (checkpointCap*testCheckpointPages + 200) * (4096 + 24)
	tests := []struct {
		name       string
		background bool
	}{
		{"the checkpointer copies the log", true},
		{"the writer checkpoints past the cap when the checkpointer does not", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ehrkit.db")
			s := openCheckpointed(t, path)
			if !tt.background {
				s.ckpt.stop()
			}
			most := writeBatches(t, s, path, 600)
			assert.LessOrEqual(t, most, int64(bound), "log file size")
		})
	}
}

func TestCheckpointerCopiesWithoutWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ehrkit.db")
	s := openCheckpointed(t, path)
	for b := 0; !s.ckpt.woken; b++ { // past the threshold, short of the cap
		writeBatch(t, s, b)
	}
	require.Less(t, s.ckpt.logPages, int64(checkpointCap*testCheckpointPages))
	assert.Eventually(t, s.ckpt.copied.Load, 5*time.Second, time.Millisecond,
		"the checkpointer ran without another commit")
}

func TestCheckpointedDataSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ehrkit.db")
	s := openCheckpointed(t, path)
	writeBatches(t, s, path, 100)
	require.NoError(t, s.Close())
	_, err := os.Stat(path + "-wal")
	assert.ErrorIs(t, err, os.ErrNotExist, "closing copied the log into the file and removed it")

	s = openCheckpointed(t, path)
	for n := range 100 * 20 {
		rec, err := s.Get(ctx, "Observation", fmt.Sprintf("o%06d", n))
		require.NoError(t, err)
		require.Equal(t, rawValue(n), rec.Value)
	}
}

func TestCheckpointerGoroutine(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ehrkit.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	require.True(t, checkpointerRunning(), "a writable store runs a checkpointer")
	require.NoError(t, s.Close())
	assert.False(t, checkpointerRunning(), "Close stopped it")

	ro, err := Open(ctx, path, ReadOnly())
	require.NoError(t, err)
	defer ro.Close()
	assert.Nil(t, ro.ckpt)
	assert.False(t, checkpointerRunning(), "a read-only store runs none")
}
