// Package testbackends gives tests every storage backend at once, so a domain
// package's service tests run on memory, SQLite and PostgreSQL alike:
//
//	testbackends.Run(t, func(t *testing.T, s storage.Store) { ... })
//
// Each backend registers itself from its own file. PostgreSQL runs when
// EHRKIT_POSTGRES_DSN is set (each test gets a fresh schema, dropped afterwards)
// and is skipped, saying so, when it is not. Only tests import this package.
package testbackends

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Backend opens a fresh, empty store for one test; the store is closed (and its
// data removed) when the test ends.
type Backend struct {
	Name string
	Open func(t testing.TB, clock ehrkit.Clock) storage.Store
	// Overwrite, for backends with a database underneath, replaces the stored
	// value of one version of a record directly in the database, bypassing the
	// contract: tests use it to prove that tampering is detected. nil for memory.
	Overwrite func(t testing.TB, s storage.Store, typ, id string, version int64, value []byte)
	// Exec, for backends with a database underneath, runs one SQL statement
	// in the backend's own dialect directly on the database and returns the
	// rows it affected: tests use it to tamper below the contract. nil for
	// memory.
	Exec func(t testing.TB, s storage.Store, query string, args ...any) int64
	// Keep, for backends with a database underneath, opens the store at a
	// named place (a SQLite file path, a PostgreSQL schema), creating it if
	// absent, and only closes it when the test ends: the data stays for the
	// next run. Benchmarks use it to load a large population once. nil for
	// memory.
	Keep func(t testing.TB, clock ehrkit.Clock, place string) storage.Store
}

var backends []Backend

func register(b Backend) { backends = append(backends, b) }

// All returns the registered backends, memory first.
func All() []Backend { return backends }

// Run calls fn in a subtest per backend with a fresh store using the real clock.
func Run(t *testing.T, fn func(t *testing.T, s storage.Store)) {
	RunClock(t, ehrkit.RealClock{}, fn)
}

// RunClock is Run with the store's clock set to clock.
func RunClock(t *testing.T, clock ehrkit.Clock, fn func(t *testing.T, s storage.Store)) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, b.Open(t, clock))
		})
	}
}
