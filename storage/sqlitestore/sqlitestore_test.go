package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
	"github.com/ehrkit/ehrkit/storage/storetest"
)

// harness opens stores in fresh database files under the test's temp dir.
var harness = storetest.Harness{
	Open: func(t testing.TB, clock ehrkit.Clock) storage.Store {
		return openStore(t, filepath.Join(t.TempDir(), "ehrkit.db"), clock)
	},
	Place: func(t testing.TB) func(clock ehrkit.Clock) (storage.Store, error) {
		path := filepath.Join(t.TempDir(), "ehrkit.db")
		return func(clock ehrkit.Clock) (storage.Store, error) {
			s, err := sqlitestore.Open(context.Background(), path, sqlitestore.WithClock(clock))
			if err == nil {
				t.Cleanup(func() { _ = s.Close() })
			}
			return s, err
		}
	},
}

func openStore(t testing.TB, path string, clock ehrkit.Clock) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), path, sqlitestore.WithClock(clock))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

func BenchmarkStore(b *testing.B) { storetest.Benchmarks(b, harness) }
