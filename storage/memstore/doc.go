// Package memstore is the in-memory storage backend: for tests, harnesses and
// prototypes that need no persistence.
//
//	store := memstore.New(memstore.WithClock(clock))
//	defer store.Close()
//
// It is a verified fake: it passes the whole storage/storetest conformance
// suite, so code tested on it behaves the same on the SQLite and PostgreSQL
// backends.
//
// A transaction buffers its writes and events in call order; commit takes one
// lock, re-checks every expected version and applies them, so a conflict is
// reported at commit when another writer got there first. Values are copied
// on the way in and out, so callers never share memory with the store.
// Equality filters are answered from an inverted index, other filters by
// scanning the records of the queried type or compartment. Nothing persists:
// after Close every call fails with storage.ErrClosed.
package memstore
