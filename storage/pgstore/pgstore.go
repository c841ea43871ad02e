package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/internal/termname"
)

// Option configures a Store.
type Option func(*options)

type options struct {
	clock    ehrkit.Clock
	logger   *slog.Logger
	schema   string
	pool     *pgxpool.Pool
	readOnly bool
}

// WithClock sets the clock that stamps record and change times (default, and
// for nil: the system clock).
func WithClock(c ehrkit.Clock) Option {
	return func(o *options) { o.clock = ehrkit.OrRealClock(c) }
}

// WithLogger sets the logger for migrations and rollback failures (default:
// discard). Log lines carry opaque ids only.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithSchema keeps the store's tables in the named PostgreSQL schema: Open
// creates the schema if it is missing and sets search_path to it on every
// pooled connection. Without it the tables live in the first schema of the
// connection's search_path (usually public). It cannot be combined with
// WithPool: set search_path in that pool's configuration instead.
func WithSchema(name string) Option { return func(o *options) { o.schema = name } }

// WithPool makes the store use an existing pool instead of opening one from the
// DSN (which is then ignored). Close leaves such a pool open: its owner closes
// it.
func WithPool(p *pgxpool.Pool) Option { return func(o *options) { o.pool = p } }

// ReadOnly opens an existing store for reading only, for programs that read
// a store and must never create or change one: Open applies no migration and
// fails with an error wrapping ehrkit.ErrNotFound when the schema holds no
// ehrkit store, and with ehrkit.ErrFailedPrecondition when its schema is
// older than this release. Put, Delete and Emit in an Update fail with
// ehrkit.ErrFailedPrecondition (nothing is written); reads, queries, the
// change feed and transactions that only read work as usual. On a pool Open
// creates, every session is also read-only in PostgreSQL itself
// (default_transaction_read_only).
func ReadOnly() Option { return func(o *options) { o.readOnly = true } }

// Store is a storage.Store on PostgreSQL. Safe for concurrent use.
type Store struct {
	pool     *pgxpool.Pool
	ownsPool bool
	clock    ehrkit.Clock
	log      *slog.Logger
	feedLock int64 // advisory lock key serialising change-feed appends
	readOnly bool
	closed   atomic.Bool
	names    termname.Cache[int32] // committed integers of record types and term names
}

var _ storage.Store = (*Store)(nil)

// Open connects to the database named by dsn (a PostgreSQL URL or key=value
// string), applies the embedded migrations that are missing and returns the
// store. Several processes may open the same database at once: migrations run
// under an advisory lock.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{clock: ehrkit.RealClock{}, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Store{pool: o.pool, clock: o.clock, log: o.logger, readOnly: o.readOnly}
	if s.pool == nil {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return nil, invalidOption("dsn", "malformed connection string", err)
		}
		if o.schema != "" {
			cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
		}
		if o.readOnly {
			cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
		}
		if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
			return nil, s.fail(ctx, "open", "", "", err)
		}
		s.ownsPool = true
	} else if o.schema != "" {
		return nil, invalidOption("schema", "WithSchema cannot be combined with WithPool", nil)
	}
	prepare := s.migrate
	if o.readOnly {
		prepare = s.verify
	}
	if err := prepare(ctx, o.schema); err != nil {
		if s.ownsPool {
			s.pool.Close()
		}
		return nil, err
	}
	return s, nil
}

// invalidOption reports a bad argument to Open as a validation error.
func invalidOption(path, msg string, cause error) error {
	var v ehrkit.Issues
	if cause != nil {
		msg += ": " + cause.Error()
	}
	v.Add(path, ehrkit.IssueValue, "%s", msg)
	return &storage.Error{Op: "open", Kind: ehrkit.ErrInvalid, Cause: v.Err()}
}

// lockKey derives an advisory lock key from a purpose and a schema, so stores
// in different schemas of one database do not serialise each other.
func lockKey(purpose, schema string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("ehrkit/pgstore/" + purpose + "/" + schema))
	return int64(h.Sum64())
}

// Pool returns the connection pool the store uses.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close releases the pool (unless it came from WithPool). Later calls of every
// method fail with storage.ErrClosed; a second Close returns nil.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.ownsPool {
		s.pool.Close()
	}
	return nil
}

// check fails if ctx is done or the store is closed.
func (s *Store) check(ctx context.Context, op string) error {
	if s.closed.Load() {
		return storage.Closed(op)
	}
	return storage.Ctx(ctx, op)
}

// now is the clock's time as stored: UTC, microseconds.
func (s *Store) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// querier is what reads need of a pool or a connection.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Get returns the current version of a record.
func (s *Store) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	if err := s.check(ctx, "get"); err != nil {
		return storage.Record{}, err
	}
	return s.get(ctx, s.pool, typ, id)
}

func (s *Store) get(ctx context.Context, q querier, typ, id string) (storage.Record, error) {
	if err := storage.ValidateKey(typ, id); err != nil {
		return storage.Record{}, &storage.Error{Op: "get", Type: typ, ID: id, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	recs, err := s.records(ctx, q, "get", typ, id, sqlGet, typ, id)
	if err != nil {
		return storage.Record{}, err
	}
	if len(recs) == 0 || recs[0].Deleted {
		return storage.Record{}, storage.NotFound("get", typ, id)
	}
	return recs[0], nil
}

// GetVersion returns one version of a record, tombstones included.
func (s *Store) GetVersion(ctx context.Context, typ, id string, version int64) (storage.Record, error) {
	if err := s.check(ctx, "get-version"); err != nil {
		return storage.Record{}, err
	}
	return s.getVersion(ctx, s.pool, typ, id, version)
}

// getVersion reads one version through q.
func (s *Store) getVersion(ctx context.Context, q querier, typ, id string, version int64) (storage.Record, error) {
	const op = "get-version"
	if err := storage.ValidateKey(typ, id); err != nil {
		return storage.Record{}, &storage.Error{Op: op, Type: typ, ID: id, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	recs, err := s.records(ctx, q, op, typ, id, sqlGetVersion, typ, id, version)
	if err != nil {
		return storage.Record{}, err
	}
	if len(recs) == 0 {
		return storage.Record{}, storage.NotFound(op, typ, id)
	}
	return recs[0], nil
}

// History returns every version of a record, oldest first.
func (s *Store) History(ctx context.Context, typ, id string) ([]storage.Record, error) {
	if err := s.check(ctx, "history"); err != nil {
		return nil, err
	}
	return s.history(ctx, s.pool, typ, id)
}

// history reads every version through q.
func (s *Store) history(ctx context.Context, q querier, typ, id string) ([]storage.Record, error) {
	const op = "history"
	if err := storage.ValidateKey(typ, id); err != nil {
		return nil, &storage.Error{Op: op, Type: typ, ID: id, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	recs, err := s.records(ctx, q, op, typ, id, sqlHistory, typ, id)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, storage.NotFound(op, typ, id)
	}
	return recs, nil
}

// Query returns one page of current records matching q.
func (s *Store) Query(ctx context.Context, q storage.Query) (storage.Page, error) {
	if err := s.check(ctx, "query"); err != nil {
		return storage.Page{}, err
	}
	return s.query(ctx, s.pool, q)
}

// Changes returns up to limit feed entries after the sequence number after
// (limit <= 0 or above storage.MaxChangeRead means MaxChangeRead).
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]storage.Change, error) {
	const op = "changes"
	if err := s.check(ctx, op); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > storage.MaxChangeRead {
		limit = storage.MaxChangeRead
	}
	rows, err := s.pool.Query(ctx, sqlChanges, after, limit)
	if err != nil {
		return nil, s.fail(ctx, op, "", "", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storage.Change, error) {
		var c storage.Change
		err := row.Scan(&c.Seq, &c.Kind, &c.Time, &c.Compartment, &c.Type, &c.ID, &c.Version, &c.Labels, &c.Topic, &c.Key, &c.Payload)
		c.Time = c.Time.UTC()
		return c, err
	})
	if err != nil {
		return nil, s.fail(ctx, op, "", "", err)
	}
	return out, nil
}

// records runs a query selecting recordColumns and scans every row.
func (s *Store) records(ctx context.Context, q querier, op, typ, id, sql string, args ...any) ([]storage.Record, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, s.fail(ctx, op, typ, id, err)
	}
	recs, err := pgx.CollectRows(rows, scanRecord)
	if err != nil {
		return nil, s.fail(ctx, op, typ, id, err)
	}
	return recs, nil
}

// recordColumns are the columns of record_versions that make a storage.Record,
// in the order scanRecord reads them.
const recordColumns = `v.type, v.id, v.version, v.updated, v.compartment, v.deleted, v.labels, v.term_names, v.term_values, v.value`

func scanRecord(row pgx.CollectableRow) (storage.Record, error) {
	var (
		r      storage.Record
		names  []string
		values [][]byte
	)
	if err := row.Scan(&r.Type, &r.ID, &r.Version, &r.Updated, &r.Compartment, &r.Deleted, &r.Labels, &names, &values, &r.Value); err != nil {
		return r, err
	}
	if len(names) != len(values) {
		return r, fmt.Errorf("record_versions row %s has %d term names and %d values", storage.Describe(r), len(names), len(values))
	}
	r.Updated = r.Updated.UTC()
	if names != nil {
		r.Terms = make([]storage.Term, len(names))
		for i := range names {
			r.Terms[i] = storage.Term{Name: names[i], Value: string(values[i])}
		}
	}
	return r, nil
}

const (
	sqlGet        = `SELECT ` + recordColumns + ` FROM record_versions v WHERE v.type = $1 AND v.id = $2 ORDER BY v.version DESC LIMIT 1`
	sqlGetVersion = `SELECT ` + recordColumns + ` FROM record_versions v WHERE v.type = $1 AND v.id = $2 AND v.version = $3`
	sqlHistory    = `SELECT ` + recordColumns + ` FROM record_versions v WHERE v.type = $1 AND v.id = $2 ORDER BY v.version`
	sqlChanges    = `SELECT seq, kind, time, compartment, type, id, version, labels, topic, key, payload
		FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`
)

// errTxDone reports use of a transaction after Update returned.
var errTxDone = errors.New("transaction has ended")
