package testbackends

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/pgstore"
)

// PostgresEnv names the variable holding the DSN of the PostgreSQL database
// tests use, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "EHRKIT_POSTGRES_DSN"

func init() {
	register(Backend{
		Name: "postgres",
		Open: func(t testing.TB, clock ehrkit.Clock) storage.Store {
			s, err := PostgresPlace(t)(clock)
			if err != nil {
				t.Fatalf("opening the PostgreSQL store: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		Keep: func(t testing.TB, clock ehrkit.Clock, schema string) storage.Store {
			s, err := pgstore.Open(context.Background(), PostgresDSN(t), pgstore.WithClock(clock), pgstore.WithSchema(schema))
			if err != nil {
				t.Fatalf("opening the PostgreSQL store in schema %s: %v", schema, err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		Overwrite: func(t testing.TB, s storage.Store, typ, id string, version int64, value []byte) {
			ps, ok := s.(*pgstore.Store)
			if !ok {
				t.Fatalf("Overwrite: %T is not a *pgstore.Store", s)
			}
			tag, err := ps.Pool().Exec(context.Background(),
				`UPDATE record_versions SET value = $4 WHERE type = $1 AND id = $2 AND version = $3`, typ, id, version, value)
			if err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("Overwrite %s/%s version %d: %d rows, %v", typ, id, version, tag.RowsAffected(), err)
			}
		},
		Exec: func(t testing.TB, s storage.Store, query string, args ...any) int64 {
			ps, ok := s.(*pgstore.Store)
			if !ok {
				t.Fatalf("Exec: %T is not a *pgstore.Store", s)
			}
			tag, err := ps.Pool().Exec(context.Background(), query, args...)
			if err != nil {
				t.Fatalf("Exec %q: %v", query, err)
			}
			return tag.RowsAffected()
		},
	})
}

// unsetNotice is the line written once per test binary when the PostgreSQL
// backend is skipped.
var unsetNotice sync.Once

// PostgresDSN returns the DSN of the test database, or skips t, saying so,
// when EHRKIT_POSTGRES_DSN is unset. The first skip in a test binary also
// writes one line on standard error, so that the skip is seen without -v:
// "go test" shows it when it tests one package (or the current directory),
// with -v or -json, and with the output of a failing package; for a passing
// package among several it prints only the "ok" line.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		unsetNotice.Do(func() {
			fmt.Fprintf(os.Stderr, "testbackends: %s is unset: the PostgreSQL backend was not tested (set it to a database URL to run it)\n", PostgresEnv)
		})
		t.Skip(PostgresEnv + " is unset: skipping the PostgreSQL backend (set it to a database URL to run it)")
	}
	return dsn
}

// PostgresPlace returns an opener of stores over one fresh PostgreSQL schema
// with a random name, dropped when t ends; every call opens a new handle onto
// the same data. It skips t, saying so, when EHRKIT_POSTGRES_DSN is unset.
func PostgresPlace(t testing.TB) func(clock ehrkit.Clock) (*pgstore.Store, error) {
	t.Helper()
	dsn, schema := PostgresSchema(t)
	return func(clock ehrkit.Clock) (*pgstore.Store, error) {
		return pgstore.Open(context.Background(), dsn, pgstore.WithClock(clock), pgstore.WithSchema(schema))
	}
}

// PostgresSchema returns the test database's DSN and the name of a fresh
// schema (random, dropped when t ends), for a test that opens the store in
// another process (pgstore.WithSchema). It skips t, saying so, when
// EHRKIT_POSTGRES_DSN is unset.
func PostgresSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	dsn = PostgresDSN(t)
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema = "ehrkit_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("dropping test schema %s: %v", schema, err)
			return
		}
		defer func() { _ = conn.Close(ctx) }()
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("dropping test schema %s: %v", schema, err)
		}
	})
	return dsn, schema
}
