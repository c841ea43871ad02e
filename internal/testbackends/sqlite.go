package testbackends

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

func init() {
	register(Backend{
		Name: "sqlite",
		Open: func(t testing.TB, clock ehrkit.Clock) storage.Store {
			s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "ehrkit.db"), sqlitestore.WithClock(clock))
			if err != nil {
				t.Fatalf("testbackends: open SQLite store: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		Keep: func(t testing.TB, clock ehrkit.Clock, path string) storage.Store {
			s, err := sqlitestore.Open(context.Background(), path, sqlitestore.WithClock(clock))
			if err != nil {
				t.Fatalf("testbackends: open SQLite store %s: %v", path, err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		Overwrite: func(t testing.TB, s storage.Store, typ, id string, version int64, value []byte) {
			res, err := s.(*sqlitestore.Store).DB().Exec(
				`UPDATE versions SET value = ? WHERE type = ? AND id = ? AND version = ?`, value, typ, id, version)
			if err != nil {
				t.Fatalf("testbackends: overwrite %s/%s version %d: %v", typ, id, version, err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("testbackends: overwrite %s/%s version %d: no such version", typ, id, version)
			}
		},
		Exec: func(t testing.TB, s storage.Store, query string, args ...any) int64 {
			res, err := s.(*sqlitestore.Store).DB().Exec(query, args...)
			if err != nil {
				t.Fatalf("testbackends: exec %q: %v", query, err)
			}
			n, _ := res.RowsAffected()
			return n
		},
	})
}
