// Package sqlitestore is the embedded storage backend: a storage.Store in one
// SQLite database file, through the pure-Go modernc.org/sqlite driver (no cgo).
// It passes the storage/storetest conformance suite. It is the embedded
// default: one file, nothing to install.
//
//	s, err := sqlitestore.Open(ctx, "clinic.db", sqlitestore.WithLogger(logger))
//	if err != nil { ... }
//	defer s.Close()
//
// WithClock sets the clock that stamps writes; WithLogger receives schema
// migrations (Info) and problems on close (Warn), never record data.
//
// Open creates or opens the file and applies the embedded schema migrations,
// recording the version reached in a schema_version table; a file written by
// a newer release is refused with ehrkit.ErrUnsupported. With ReadOnly it
// opens an existing file only, never creating, migrating or writing it. The
// database runs in
// WAL mode with synchronous=NORMAL: readers never wait for the writer, and a
// commit survives an application crash (a power loss may lose the last
// commits, never consistency). The log is checkpointed into the file every
// 8 192 pages (32 MiB), off the commit path: a goroutine of the Store copies
// it on a connection of its own while the writer goes on committing, and
// the writer then copies, after its next commit, only what it committed in
// the meantime, so the log restarts from its beginning. Should the
// background fall behind, the writer checkpoints the log itself once it
// holds four times that, so the log file stays under about 128 MiB. Close
// stops the goroutine; closing the last connection checkpoints the log and
// removes it. A read-only store runs no checkpointer.
//
// Layout: every version of every record is a row of the versions table (a
// rowid table; bodies of a kilobyte and more insert much faster there than in a
// WITHOUT ROWID table). The records table points at each record's latest
// version and carries what queries filter and sort on; the terms table indexes
// the terms of current versions, naming each record type and term name by an
// integer from the term_names table (rows a third narrower than with both
// strings; the store caches committed integers), keyed (tn, value, id) so that
// one B-tree serves the filters; a filter checked per candidate record and a
// term sort key read the terms column of the candidate's version through two
// SQL functions the package registers (ehrkit_terms_match, ehrkit_terms_min);
// the changes table is the change feed, its sequence numbers the table's
// rowids. Inside a transaction, a Put checks the expected version (one point
// read, none for a record the transaction already wrote) and queues its
// version row and index terms; before the next read or event and at commit,
// the queued rows go in multi-row INSERTs, followed by one statement each that
// moves the records' pointers and logs the writes to the feed for the whole
// batch, and, when versions were replaced, the deletion of their terms, named
// by the replaced versions' terms columns.
//
// Concurrency: writes go through a single connection and each Update holds the
// write lock from its start (BEGIN IMMEDIATE), so transactions run one at a
// time and their version checks cannot go stale before commit (a write's
// expected version is checked when its batch is flushed, see Store.Update);
// reads use a
// separate pool of read-only connections and see the last committed state.
// Other processes may open the same file: they wait for the lock up to the
// busy timeout.
//
// Errors are classified by SQLite result code, never by message text, and keep
// the driver error as their cause: unique and primary key violations and a
// busy or locked database wrap ehrkit.ErrConflict; other constraint violations
// and oversized values ehrkit.ErrInvalid; other failures (I/O, a full disk, a
// read-only or corrupt file) ehrkit.ErrFailedPrecondition. A context that ends
// mid-call gives an error wrapping the context's error.
package sqlitestore
