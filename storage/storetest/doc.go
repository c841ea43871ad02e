// Package storetest is the conformance suite of the storage contract: every
// backend's tests call Run with a Harness, and a backend is correct when Run
// passes. Benchmarks measures the same operations on every backend.
//
//	var harness = storetest.Harness{
//		Open: func(t testing.TB, clock ehrkit.Clock) storage.Store {
//			s := mybackend.Open(..., mybackend.WithClock(clock))
//			t.Cleanup(func() { _ = s.Close() })
//			return s
//		},
//		Place: ..., // persistent backends only: reopen the same data
//	}
//
//	func TestConformance(t *testing.T) { storetest.Run(t, harness) }
//	func BenchmarkStore(b *testing.B)  { storetest.Benchmarks(b, harness) }
//
// Like testing/fstest, the suite reports every violation it finds together with
// the rule of the contract that was broken, and keeps checking after a failure
// wherever the remaining checks still make sense. Stores are driven with an
// ehrkit.FakeClock, so record times are deterministic, and errors are classified
// with errors.Is and errors.As only.
//
// # What Run checks
//
// One subtest per area of the contract: CRUD; history with tombstones;
// GetVersion; re-creation after delete; expect Any; conflicts in Put and at
// commit (of two writers expecting the same version exactly one wins, whether
// the backend locks or validates at commit); several writes of one record in
// one transaction; rollback (no record, term, change or event survives an
// error); a transaction reading its own writes, and isolation from other open
// transactions; Updated in UTC truncated to microseconds; labels; every
// filter operator on multi-valued terms; type, compartment and all-type
// queries; sorting by id, last update or a term in both directions; page
// sizes; paging with a changing limit and while other goroutines write;
// cursors of other queries; malformed records, keys, queries and events (one
// *ehrkit.ValidationError naming every field); the value size limit; unicode
// in terms, keys and payloads (compared byte-wise, without collation); a 1 MB
// value of arbitrary bytes; change-feed order and batching; storage.Feed;
// restart and two handles onto one store (with Place); cancelled and expired
// contexts; use after Close; concurrent read-modify-write increments and
// concurrent creates of one id.
//
// # Rules the suite pins down
//
// Where the contract's text leaves a question open, the suite decides it:
//
//   - Values are opaque: arbitrary bytes (NUL, invalid UTF-8) round-trip
//     exactly, never normalised as JSON.
//   - Several writes of one record in one transaction are one version each
//     (History and the feed show them all), and the changes of a transaction
//     keep the order of the calls (Put, Delete, Emit) and share one commit
//     time.
//   - Deleting a missing or deleted record, and GetVersion of version 0 or
//     past the last, are ErrNotFound; a malformed type or id on any reader is
//     ErrInvalid with type or id issues.
//   - Descending order reverses the whole order, tie-breaks included; terms
//     compare in byte order.
//   - A second Close returns nil or ErrClosed.
//   - Ids are ASCII (storage.ValidID); unicode lives in term values and
//     record values.
//
// # Benchmarks
//
// Benchmarks gives every backend the same four sub-benchmarks over 100 000
// stored records of ~1 KB JSON with a compartment and two terms: SingleWrite
// (one Put per transaction), BatchWrite1000 (1 000 Puts per transaction,
// reporting records/s), GetByID, and QueryTerm (an eq filter matching 100
// records, one page of 100).
package storetest
