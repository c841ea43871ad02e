package storage

import (
	"context"
	"slices"
	"time"
)

// Any, passed as the expected version, writes whatever the current version is.
const Any int64 = -1

// Limits enforced by every backend (ValidateRecord, ValidateQuery).
const (
	MaxValueSize  = 8 << 20 // bytes of one encoded value
	MaxTermValue  = 1024    // bytes of one term value
	MaxTerms      = 1024    // terms on one record
	DefaultLimit  = 100     // page size when Query.Limit is 0
	MaxLimit      = 1000    // largest page size
	MaxChangeRead = 10000   // most changes one Changes call returns
)

// Record is one version of a stored record.
type Record struct {
	Type        string    // record type, e.g. "Patient"
	ID          string    // unique within Type
	Version     int64     // 1 for the first write, +1 per write; set by the store
	Updated     time.Time // time of the write, UTC, microsecond precision; set by the store
	Compartment string    // the patient this record belongs to; "" for none
	Labels      []string  // security labels, e.g. "sensitive", "42CFRPart2"
	Terms       []Term    // index terms for Query
	Value       []byte    // the encoded value
	Deleted     bool      // a tombstone (only seen in History and GetVersion)
}

// HasLabel reports whether the record carries the security label.
func (r Record) HasLabel(label string) bool {
	for _, l := range r.Labels {
		if l == label {
			return true
		}
	}
	return false
}

// Term is one index entry of a record: a name ("name", "birthdate",
// "identifier") and a value. A record may carry several terms with one name.
// Values compare as byte strings, so dates are written as sortable strings.
type Term struct {
	Name  string
	Value string
}

// SameTerms reports whether two term lists hold the same terms, each as
// often, in any order.
func SameTerms(a, b []Term) bool {
	key := func(t Term) string { return t.Name + "\x00" + t.Value }
	as, bs := make([]string, len(a)), make([]string, len(b))
	for i, t := range a {
		as[i] = key(t)
	}
	for i, t := range b {
		bs[i] = key(t)
	}
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs)
}

// Reader reads current records. Both Store and Tx are Readers.
type Reader interface {
	// Get returns the current version of a record, or an error wrapping
	// ehrkit.ErrNotFound if it does not exist or was deleted.
	Get(ctx context.Context, typ, id string) (Record, error)
	// Query returns one page of current records matching q.
	Query(ctx context.Context, q Query) (Page, error)
}

// Tx is a read-write transaction. Reads see the transaction's own writes;
// other readers see none of them before commit. Every Put and Delete makes a
// version of its own, also when one record is written several times in one
// transaction.
type Tx interface {
	Reader
	// Put writes rec as the next version of (rec.Type, rec.ID). expect is the
	// version the caller read: 0 means the record must not exist (a deleted
	// record may be re-created with expect equal to its tombstone version), Any
	// skips the check. A mismatch fails with an error wrapping ehrkit.ErrConflict.
	// The returned record carries the new Version and Updated.
	Put(ctx context.Context, rec Record, expect int64) (Record, error)
	// Delete writes a tombstone version; expect works as for Put.
	Delete(ctx context.Context, typ, id string, expect int64) error
	// Emit appends an event to the change feed, committed with the transaction.
	Emit(ctx context.Context, ev Event) error
}

// Store is the contract every backend implements. All methods are safe for
// concurrent use. After Close every method fails with ErrClosed.
type Store interface {
	Reader
	// GetVersion returns one version of a record, tombstones included.
	GetVersion(ctx context.Context, typ, id string, version int64) (Record, error)
	// History returns every version of a record, oldest first, tombstones
	// included; ErrNotFound if the record never existed.
	History(ctx context.Context, typ, id string) ([]Record, error)
	// Update runs fn in a transaction. If fn returns an error, or the context is
	// cancelled, nothing fn wrote is kept and the error is returned.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Changes returns up to limit feed entries with Seq > after, in Seq order.
	// Every committed Put and Delete appends one entry (except records of
	// CheckpointType) and every Emit one more, in commit order (within one
	// transaction, in the order of the calls); a reader never sees a gap later
	// filled by a transaction that committed late.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// Close releases the store's resources.
	Close() error
}

// VersionReader reads current and past versions of records. Every Store is
// one; a Tx is one when its backend reads past versions on the transaction's
// own connection (pgstore), so a read of a version inside a transaction
// needs no second connection from a pool.
type VersionReader interface {
	Reader
	GetVersion(ctx context.Context, typ, id string, version int64) (Record, error)
	History(ctx context.Context, typ, id string) ([]Record, error)
}

// Versions returns tx if it reads past versions itself, else s, the store tx
// belongs to: what a transaction reads versions through.
func Versions(tx Tx, s Store) VersionReader {
	if r, ok := tx.(VersionReader); ok {
		return r
	}
	return s
}

// Event is an outbox message emitted in a transaction (see Tx.Emit).
type Event struct {
	Topic       string // what happened, e.g. "schedule.reminder"
	Key         string // idempotency key: a consumer may drop a Key it has seen
	Compartment string // the patient concerned, "" for none
	Payload     []byte // the message, usually JSON
}

// ChangeKind says what a change feed entry records.
type ChangeKind string

// Change kinds.
const (
	ChangePut    ChangeKind = "put"
	ChangeDelete ChangeKind = "delete"
	ChangeEvent  ChangeKind = "event"
)

// Change is one entry of the change feed.
type Change struct {
	Seq         int64      // position in the feed, strictly increasing in commit order
	Kind        ChangeKind // put, delete or event
	Time        time.Time  // commit time (UTC, microseconds)
	Type        string     // record type (put, delete)
	ID          string     // record id (put, delete)
	Version     int64      // record version written (put, delete)
	Compartment string     // the record's or event's compartment
	Labels      []string   // the record's security labels (put)
	Topic       string     // event topic (event)
	Key         string     // event idempotency key (event)
	Payload     []byte     // event payload (event)
}

// Op is a comparison in a Filter.
type Op string

// Filter operators. Values compare as byte strings.
const (
	Eq     Op = "eq"     // term value equals Value
	Prefix Op = "prefix" // term value starts with Value
	Gt     Op = "gt"     // term value > Value
	Ge     Op = "ge"     // term value >= Value
	Lt     Op = "lt"     // term value < Value
	Le     Op = "le"     // term value <= Value
)

// Filter selects records that carry at least one term named Term whose value
// satisfies Op against Value.
type Filter struct {
	Term  string
	Op    Op
	Value string
}

// Sort keys besides term names.
const (
	SortID      = ""         // by id (the default)
	SortUpdated = "_updated" // by last-updated time
)

// Query selects current (not deleted) records. All filters must hold.
type Query struct {
	Type        string   // record type; "" for every type (then Compartment is required)
	Compartment string   // only records of this compartment; "" for any
	Filters     []Filter // conditions, all of which must hold
	// SortBy is SortID, SortUpdated or a term name; by a term, a record sorts by
	// the smallest value it carries of that term ("" if none). Ties break by type
	// then id, so the order is total and deterministic.
	SortBy string
	Desc   bool   // descending order
	Limit  int    // page size; 0 means DefaultLimit, at most MaxLimit
	Cursor string // Page.Next of the previous page of the same query
}

// Page is one page of query results.
type Page struct {
	Records []Record
	// Next is the cursor of the following page, "" when this is the last one.
	Next string
}

// Explainer is an optional capability of a Store backed by a database with a
// query planner: Explain returns the plan the database chooses for q, one
// line per plan node, in the database's own words (SQLite's EXPLAIN QUERY
// PLAN details, PostgreSQL's EXPLAIN text); where the database may plan the
// same query in more than one way (PostgreSQL's plans for a prepared
// statement's values, and its generic plan), each plan in turn. Tests use it to check that the
// queries a domain package issues are served by indexes, so that a change
// that turns one into a scan of a table fails.
type Explainer interface {
	Explain(ctx context.Context, q Query) ([]string, error)
}
