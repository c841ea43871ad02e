// Package storage is the store contract every ehrkit backend implements and every
// domain package builds on.
//
// A Store holds versioned records, not a table per type, so a backend is small
// and knows nothing of medicine (compare gocloud's docstore or a FHIR server):
//
//   - A Record has a type ("Patient", "MedicationRequest", ...), an id, a version
//     (1, then +1 per write), the time of its last write, the patient compartment
//     it belongs to ("" for none), security labels, the encoded value, and index
//     Terms computed by the owning domain package. History keeps every version,
//     deletions included (as tombstones).
//   - Store.Update runs a function in a transaction: everything it writes commits
//     together or not at all. Every Put and Delete names the version it expects
//     (0 to create, Any to skip the check) and fails with an error wrapping
//     ehrkit.ErrConflict when another writer got there first. Unique keys are
//     records too: create a record whose id is the key with expect 0, and the
//     second writer gets ErrConflict.
//   - Store.Query filters by type, compartment and terms (equal, prefix, range),
//     sorts by id, by last update or by a term, and pages with an opaque cursor
//     that stays stable while writes happen.
//   - Store.Changes reads the change feed: an ordered log of every committed
//     write and every Event emitted in a transaction. It is the transactional
//     outbox: a notification written with the change that causes it is delivered
//     at least once after commit. Feed (see NewFeed) keeps a consumer's position
//     in the store itself, so it resumes after a restart.
//
// Kind[T] is the typed layer: a domain package describes its type once (record
// type, encoding version, id, compartment, labels, index terms) and reads and
// writes T values. Values are stored as versioned JSON envelopes, so stored data
// survives fields being added.
//
// Errors wrap the ehrkit sentinels (ErrNotFound, ErrConflict, ErrInvalid, ...)
// and this package's own ErrClosed; check them with errors.Is.
//
// Backends live in storage/memstore, storage/sqlitestore and storage/pgstore;
// storage/storetest is the conformance suite each of them passes. A vendor adds
// a backend by implementing Store and running storetest.Run.
package storage
