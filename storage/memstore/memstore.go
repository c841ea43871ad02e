package memstore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock that stamps record and change times; nil keeps the
// system clock.
func WithClock(c ehrkit.Clock) Option {
	return func(s *Store) { s.clock = ehrkit.OrRealClock(c) }
}

type key struct{ typ, id string }

type termKey struct{ typ, name, value string }

// Store is an in-memory storage.Store. Safe for concurrent use.
type Store struct {
	clock ehrkit.Clock

	mu      sync.RWMutex
	closed  bool
	history map[key][]storage.Record
	byType  map[string]map[string]struct{} // type -> ids with a current version
	byComp  map[string]map[key]struct{}    // compartment -> current records
	byTerm  map[termKey]map[string]struct{}
	changes []storage.Change
}

var _ storage.Store = (*Store)(nil)

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{
		clock:   ehrkit.RealClock{},
		history: map[key][]storage.Record{},
		byType:  map[string]map[string]struct{}{},
		byComp:  map[string]map[key]struct{}{},
		byTerm:  map[termKey]map[string]struct{}{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Store) begin(ctx context.Context, op string) error {
	if err := storage.Ctx(ctx, op); err != nil {
		return err
	}
	if s.closed {
		return storage.Closed(op)
	}
	return nil
}

// Get returns the current version of a record.
func (s *Store) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.begin(ctx, "get"); err != nil {
		return storage.Record{}, err
	}
	return s.current(typ, id)
}

func (s *Store) current(typ, id string) (storage.Record, error) {
	if err := storage.ValidateKey(typ, id); err != nil {
		return storage.Record{}, &storage.Error{Op: "get", Type: typ, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	h := s.history[key{typ, id}]
	if len(h) == 0 || h[len(h)-1].Deleted {
		return storage.Record{}, storage.NotFound("get", typ, id)
	}
	return clone(h[len(h)-1]), nil
}

// GetVersion returns one version of a record, tombstones included.
func (s *Store) GetVersion(ctx context.Context, typ, id string, version int64) (storage.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.begin(ctx, "get-version"); err != nil {
		return storage.Record{}, err
	}
	if err := storage.ValidateKey(typ, id); err != nil {
		return storage.Record{}, &storage.Error{Op: "get-version", Type: typ, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	h := s.history[key{typ, id}]
	if version < 1 || version > int64(len(h)) {
		return storage.Record{}, storage.NotFound("get-version", typ, id)
	}
	return clone(h[version-1]), nil
}

// History returns every version of a record, oldest first.
func (s *Store) History(ctx context.Context, typ, id string) ([]storage.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.begin(ctx, "history"); err != nil {
		return nil, err
	}
	if err := storage.ValidateKey(typ, id); err != nil {
		return nil, &storage.Error{Op: "history", Type: typ, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	h := s.history[key{typ, id}]
	if len(h) == 0 {
		return nil, storage.NotFound("history", typ, id)
	}
	out := make([]storage.Record, len(h))
	for i, r := range h {
		out[i] = clone(r)
	}
	return out, nil
}

// Query returns one page of current records matching q.
func (s *Store) Query(ctx context.Context, q storage.Query) (storage.Page, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.begin(ctx, "query"); err != nil {
		return storage.Page{}, err
	}
	return s.query(q, nil)
}

// query evaluates q over the committed state overlaid with pending writes.
func (s *Store) query(q storage.Query, pending map[key]storage.Record) (storage.Page, error) {
	if err := storage.ValidateQuery(q); err != nil {
		return storage.Page{}, &storage.Error{Op: "query", Type: q.Type, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	var after *storage.Position
	if q.Cursor != "" {
		pos, _ := storage.DecodeCursor(q) // checked by ValidateQuery
		after = &pos
	}
	var matched []storage.Record
	consider := func(r storage.Record) {
		if !storage.Matches(r, q) {
			return
		}
		if after != nil {
			p := storage.PositionOf(r, q.SortBy)
			if (!q.Desc && !storage.Less(*after, p)) || (q.Desc && !storage.Less(p, *after)) {
				return
			}
		}
		matched = append(matched, r)
	}
	for _, k := range s.candidates(q) {
		if _, ok := pending[k]; ok {
			continue
		}
		h := s.history[k]
		consider(h[len(h)-1])
	}
	for _, r := range pending {
		consider(r)
	}
	slices.SortFunc(matched, func(a, b storage.Record) int {
		pa, pb := storage.PositionOf(a, q.SortBy), storage.PositionOf(b, q.SortBy)
		c := 0
		switch {
		case storage.Less(pa, pb):
			c = -1
		case storage.Less(pb, pa):
			c = 1
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	n := storage.PageSize(q)
	var page storage.Page
	if len(matched) > n {
		matched = matched[:n]
		page.Next = storage.EncodeCursor(q, storage.PositionOf(matched[n-1], q.SortBy))
	}
	page.Records = make([]storage.Record, len(matched))
	for i, r := range matched {
		page.Records[i] = clone(r)
	}
	return page, nil
}

// candidates narrows the records a query must look at to the smallest of the
// index sets that cover it: an equality filter's term index, the compartment,
// or the type.
func (s *Store) candidates(q storage.Query) []key {
	best, size := func() []key { return nil }, -1
	consider := func(n int, list func() []key) {
		if size < 0 || n < size {
			best, size = list, n
		}
	}
	if q.Type != "" {
		ids := s.byType[q.Type]
		consider(len(ids), func() []key { return keysOf(q.Type, ids) })
		for _, f := range q.Filters {
			if f.Op == storage.Eq {
				ids := s.byTerm[termKey{q.Type, f.Term, f.Value}]
				consider(len(ids), func() []key { return keysOf(q.Type, ids) })
			}
		}
	}
	if q.Compartment != "" {
		comp := s.byComp[q.Compartment]
		consider(len(comp), func() []key {
			out := make([]key, 0, len(comp))
			for k := range comp {
				out = append(out, k)
			}
			return out
		})
	}
	return best()
}

func keysOf(typ string, ids map[string]struct{}) []key {
	out := make([]key, 0, len(ids))
	for id := range ids {
		out = append(out, key{typ, id})
	}
	return out
}

// Changes returns feed entries after the given sequence number.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]storage.Change, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.begin(ctx, "changes"); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > storage.MaxChangeRead {
		limit = storage.MaxChangeRead
	}
	if after < 0 {
		after = 0
	}
	var out []storage.Change
	for i := after; i < int64(len(s.changes)) && len(out) < limit; i++ {
		c := s.changes[i]
		c.Labels = slices.Clone(c.Labels)
		c.Payload = slices.Clone(c.Payload)
		out = append(out, c)
	}
	return out, nil
}

// Close marks the store closed; later calls fail with storage.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Update runs fn in a transaction.
func (s *Store) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	s.mu.RLock()
	err := s.begin(ctx, "update")
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	tx := &tx{s: s, pending: map[key]storage.Record{}, expect: map[key]int64{}}
	if err := fn(tx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "commit"); err != nil {
		return err
	}
	for k, expect := range tx.expect {
		if cur := s.version(k); expect != storage.Any && cur != expect {
			return storage.Conflict("commit", k.typ, k.id, expect, cur)
		}
	}
	now := s.now()
	for _, w := range tx.writes {
		if w.event != nil {
			ev := w.event
			s.changes = append(s.changes, storage.Change{
				Seq: int64(len(s.changes)) + 1, Kind: storage.ChangeEvent, Time: now,
				Compartment: ev.Compartment, Topic: ev.Topic, Key: ev.Key, Payload: ev.Payload,
			})
			continue
		}
		r := w.rec
		r.Version = s.version(key{r.Type, r.ID}) + 1
		r.Updated = now
		s.apply(r)
	}
	return nil
}

func (s *Store) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// version returns the latest version number of k (a tombstone counts), 0 if none.
func (s *Store) version(k key) int64 { return int64(len(s.history[k])) }

func (s *Store) apply(r storage.Record) {
	k := key{r.Type, r.ID}
	h := s.history[k]
	if len(h) > 0 {
		s.unindex(h[len(h)-1])
	}
	s.history[k] = append(h, r)
	if !r.Deleted {
		s.index(r)
	}
	if r.Type == storage.CheckpointType {
		return
	}
	kind := storage.ChangePut
	if r.Deleted {
		kind = storage.ChangeDelete
	}
	s.changes = append(s.changes, storage.Change{
		Seq: int64(len(s.changes)) + 1, Kind: kind, Time: r.Updated, Type: r.Type, ID: r.ID,
		Version: r.Version, Compartment: r.Compartment, Labels: slices.Clone(r.Labels),
	})
}

func (s *Store) index(r storage.Record) {
	k := key{r.Type, r.ID}
	addTo(s.byType, r.Type, r.ID)
	if r.Compartment != "" {
		addTo(s.byComp, r.Compartment, k)
	}
	for _, t := range r.Terms {
		addTo(s.byTerm, termKey{r.Type, t.Name, t.Value}, r.ID)
	}
}

func (s *Store) unindex(r storage.Record) {
	if r.Deleted {
		return
	}
	removeFrom(s.byType, r.Type, r.ID)
	removeFrom(s.byComp, r.Compartment, key{r.Type, r.ID})
	for _, t := range r.Terms {
		removeFrom(s.byTerm, termKey{r.Type, t.Name, t.Value}, r.ID)
	}
}

func addTo[K, V comparable](m map[K]map[V]struct{}, k K, v V) {
	set := m[k]
	if set == nil {
		set = map[V]struct{}{}
		m[k] = set
	}
	set[v] = struct{}{}
}

func removeFrom[K, V comparable](m map[K]map[V]struct{}, k K, v V) {
	if set := m[k]; set != nil {
		delete(set, v)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

func clone(r storage.Record) storage.Record {
	r.Labels = slices.Clone(r.Labels)
	r.Terms = slices.Clone(r.Terms)
	r.Value = slices.Clone(r.Value)
	return r
}

// tx buffers a transaction's writes and events, in call order, until commit.
type tx struct {
	s       *Store
	pending map[key]storage.Record // the latest write of each key, for reads
	expect  map[key]int64          // the committed version each key's first write expected
	writes  []write
}

// write is one buffered Put, Delete (rec) or Emit (event).
type write struct {
	rec   storage.Record
	event *storage.Event
}

func (t *tx) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	if r, ok := t.pending[key{typ, id}]; ok {
		if r.Deleted {
			return storage.Record{}, storage.NotFound("get", typ, id)
		}
		return clone(r), nil
	}
	return t.s.Get(ctx, typ, id)
}

func (t *tx) Query(ctx context.Context, q storage.Query) (storage.Page, error) {
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	if err := t.s.begin(ctx, "query"); err != nil {
		return storage.Page{}, err
	}
	return t.s.query(q, t.pending)
}

func (t *tx) Put(ctx context.Context, rec storage.Record, expect int64) (storage.Record, error) {
	if err := storage.Ctx(ctx, "put"); err != nil {
		return storage.Record{}, err
	}
	if err := storage.ValidateRecord(rec); err != nil {
		return storage.Record{}, &storage.Error{Op: "put", Type: rec.Type, ID: rec.ID, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	rec = clone(rec)
	rec.Deleted = false
	return t.write(rec, expect, "put")
}

func (t *tx) Delete(ctx context.Context, typ, id string, expect int64) error {
	if err := storage.Ctx(ctx, "delete"); err != nil {
		return err
	}
	if err := storage.ValidateKey(typ, id); err != nil {
		return &storage.Error{Op: "delete", Type: typ, ID: id, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	cur, err := t.Get(ctx, typ, id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		return storage.Gone("delete", typ, id, expect)
	}
	if err != nil {
		return err
	}
	cur.Deleted, cur.Value, cur.Terms = true, nil, nil
	_, err = t.write(cur, expect, "delete")
	return err
}

// write checks expect against the version this transaction sees and buffers rec.
func (t *tx) write(rec storage.Record, expect int64, op string) (storage.Record, error) {
	k := key{rec.Type, rec.ID}
	t.s.mu.RLock()
	committed := t.s.version(k)
	closed := t.s.closed
	t.s.mu.RUnlock()
	if closed {
		return storage.Record{}, storage.Closed(op)
	}
	seen := committed
	if p, ok := t.pending[k]; ok {
		seen = p.Version
	}
	if expect != storage.Any && expect != seen {
		return storage.Record{}, storage.Conflict(op, rec.Type, rec.ID, expect, seen)
	}
	if _, ok := t.expect[k]; !ok {
		t.expect[k] = committed
		if expect == storage.Any {
			t.expect[k] = storage.Any
		}
	}
	rec.Version = seen + 1
	rec.Updated = t.s.now()
	t.pending[k] = rec
	t.writes = append(t.writes, write{rec: rec})
	return clone(rec), nil
}

func (t *tx) Emit(ctx context.Context, ev storage.Event) error {
	if err := storage.Ctx(ctx, "emit"); err != nil {
		return err
	}
	if err := storage.ValidateEvent(ev); err != nil {
		return &storage.Error{Op: "emit", Kind: ehrkit.ErrInvalid, Cause: err}
	}
	ev.Payload = slices.Clone(ev.Payload)
	t.writes = append(t.writes, write{event: &ev})
	return nil
}
