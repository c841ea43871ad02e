// Package pgstore is the PostgreSQL storage backend: a storage.Store on a
// github.com/jackc/pgx/v5 connection pool. It passes the storage/storetest
// conformance suite.
//
//	s, err := pgstore.Open(ctx, "postgres://app@db:5432/ehr", pgstore.WithSchema("ehrkit"))
//
// Open applies the embedded migrations (the *.sql files of this package, in
// name order) that the schema_migrations table does not list yet, in one
// transaction under an advisory lock, so any number of processes may open the
// same database at once. WithSchema keeps the tables in a schema of their own
// (created if missing, set as search_path on every pooled connection).
// WithPool runs on a pool the caller owns: Close leaves it open, and WithSchema
// is refused with it, since a pool's search_path is its owner's to set.
// Record.Updated is the time of the Put; Change.Time is the commit time, one
// per transaction.
//
// # Tables
//
//   - record_versions: one row per version of every record, tombstones
//     included, keyed (type, id, version): the history, and where Get reads.
//   - records: one narrow row per record naming its current version, its
//     compartment, update time and whether it is deleted. Optimistic
//     concurrency is a conditional update of this row.
//   - record_terms: the index terms of current, non-deleted records, one row
//     per term, naming the record type and term name by an integer tn, with
//     btree indexes on (tn, value, id) for equality, prefix and range filters
//     and (tn, id, value) for the terms of one record (replacing them,
//     correlated filters, sorting by a term).
//   - term_names: the integer tn of each record type and term name, added
//     with the first term of that name and never changed; a query looks its
//     names up there (a name never indexed matches nothing). A Store caches
//     the committed integers it has read, and a batch of writes whose names
//     are all cached sends its terms by integer.
//   - changes: the change feed, keyed by a bigserial seq.
//
// Values and term values are bytea: the contract treats both as byte strings.
// A value is opaque (a jsonb column would reject values that are not JSON and
// would not return the bytes written: it reorders keys and drops
// whitespace), and terms compare byte-wise, which bytea does by definition
// (memcmp, then length) whatever the database's collation, with no rule about
// encodings: a term may hold any bytes. A prefix filter is the byte range
// [prefix, next) where next increments the last byte below 0xff, so it uses
// the index. Type, id, name and label columns are text COLLATE "C", which
// also compares bytes.
//
// A Query of one type without a compartment that has an eq or a non-empty
// prefix filter starts from that filter's range of the (tn, value, id)
// index (the first eq filter, else the longest prefix): the matching ids are
// deduplicated and only they are looked up in records, the other filters are
// checked on those records, and the page is sorted from them, so the work
// grows with the matches of that filter, not with the number of records of
// the type. An eq filter yields its ids in id order, so a page sorted by id
// stops after its last record and a cursor starts the index scan where the
// previous page ended. Put the most selective filter first: the store keeps
// no statistics of its own. Other queries (a compartment, only range
// filters) leave the choice of index to the planner.
//
// # Writes and optimistic concurrency
//
// A transaction buffers its writes and sends them in bulk: before its next
// read (so its reads see its writes) and at commit. Sending is one pipelined
// batch (records rows, terms and, up to 64 of them, the new versions), plus
// one COPY for the new versions of a larger batch, however many records were
// written: a small transaction (an audit event, one registration) costs two
// round trips, this batch and the commit's. A write expecting version N of a record the
// transaction has not touched yet is checked when it is sent: UPDATE records
// ... WHERE version = N must change the row (else ErrConflict), and a creation
// (expect 0) inserts the records row, whose primary key turns a concurrent or
// earlier creation into unique_violation, that is ErrConflict. A stale version
// therefore fails Put itself when the transaction already wrote or read-locked
// the record (Delete and expect Any lock the row first), and otherwise fails
// the transaction's next read or Update; either way nothing of the
// transaction is written. Driver errors are classified by SQLSTATE code
// (unique_violation, serialization_failure, deadlock_detected and
// lock_not_available are ErrConflict; query_canceled, and any failure once the
// context is done, is the context's error; values PostgreSQL text cannot hold,
// such as a NUL byte in an event topic, are ErrInvalid; anything else is
// ErrFailedPrecondition), never by message text, and keep the driver error as
// cause. Record times are the
// clock's time in UTC truncated to microseconds, the precision of
// timestamptz.
//
// # Change feed order
//
// A bigserial alone does not give commit order: two transactions may take
// seq 7 and 8 and commit 8 first; a reader would then see 8, move its cursor
// past 7 and never see it. pgstore appends a transaction's feed entries last,
// just before COMMIT and in the same round trip, after taking a
// transaction-level advisory lock (pg_advisory_xact_lock, one key per
// schema). The lock is held until the transaction ends, and PostgreSQL makes a
// commit visible before it releases the transaction's locks, so the writer
// that takes seq 8 does so after the holder of 7 has committed: sequence
// numbers become visible in order and a reader never sees a gap that is later
// filled. Gaps left by rolled-back transactions stay gaps forever, which is
// harmless. The lock serialises only the short tail of committing
// transactions (one INSERT and the commit), not their reads and record writes.
// Writes of storage.CheckpointType records are not logged.
//
// # Distributing by patient compartment
//
// Every record and terms table carries the record's compartment (the patient
// it belongs to, "" for none) so the schema can run on a PostgreSQL-compatible
// distributed engine such as Citus with the compartment as distribution
// column:
//
//	SELECT create_distributed_table('records', 'compartment');
//	SELECT create_distributed_table('record_versions', 'compartment', colocate_with => 'records');
//	SELECT create_distributed_table('record_terms', 'compartment', colocate_with => 'records');
//	SELECT create_reference_table('term_names');
//
// with the primary keys widened to lead with the column, as Citus requires of
// unique constraints on distributed tables: records (compartment, type, id),
// record_versions (compartment, type, id, version). All of one patient's
// records, their history and their terms then sit on one shard, so the work
// of a clinical application stays single-shard: a Query with a Compartment
// (the patient's chart, every query of a patient-scoped principal), and an
// Update whose records belong to one patient, which also keeps its
// transaction on one node. Records with compartment "" (practitioners,
// locations, feed checkpoints, unique-key records) all hash to the shard of
// ""; they are few and small next to clinical data, and reference data that
// outgrows that shard can move to a reference table (create_reference_table)
// of its own. The changes table is the one global structure: it stays a
// local table on the coordinator (Citus local table), where the feed lock is
// taken, and keeps its single commit-ordered sequence; a deployment that
// needs more throughput than one sequence allows partitions the feed by
// compartment and runs one consumer per partition. schema_migrations stays on
// the coordinator.
//
// Some things change on such a layout, and pgstore has not been run on one:
// it is laid out for it, and these are the adjustments. A record's compartment
// becomes part of its identity: Citus rejects an UPDATE that sets the
// distribution column, so the conditional UPDATE of records leaves
// compartment out and a record changes compartment by being deleted and
// written anew under another id (pgstore on one node allows the move). A
// lookup by (type, id) alone (Get, GetVersion, History, a Query without a
// Compartment) is routed to every shard in parallel rather than to one, since
// the storage contract's key does not carry the compartment; each shard
// answers from its own primary key index. Uniqueness of (type, id) across
// compartments is then the application's (ids are generated unique); unique
// keys that need the database's guarantee are records with compartment "",
// which share one shard, so the primary key still enforces them. An Update
// touching several patients commits across their shards with Citus' two-phase
// commit.
package pgstore
