package access

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Option configures a guarded Store.
type Option func(*Store)

// WithClock sets the clock that stamps audit events and expires
// break-the-glass grants. A nil clock keeps the system clock.
func WithClock(c ehrkit.Clock) Option { return func(g *Store) { g.clock = ehrkit.OrRealClock(c) } }

// WithIDs sets the generator of break-the-glass grant ids.
func WithIDs(ids ehrkit.IDGenerator) Option { return func(g *Store) { g.ids = ids } }

// WithLogger sets the logger that reports audit events written in the
// background (see Require) that could not be stored.
func WithLogger(l *slog.Logger) Option { return func(g *Store) { g.log = l } }

// WithBreakGlassDuration sets how long a break-the-glass grant lasts (default
// one hour).
func WithBreakGlassDuration(d time.Duration) Option { return func(g *Store) { g.glass = d } }

// WithJournal makes the audit events written outside a caller's transaction
// (reads, searches, feed reads, operation checks, denials) durable in j, a
// journal opened with OpenJournal on the store Guard wraps (Guard panics
// otherwise), instead of a transaction of the store each batch: a read
// returns once its event's write to the journal returned, and the journal's
// drain copies the events into the store's chain shortly after. Flush waits
// for that copy; Accounting, Verify and ReadHead through the guard flush
// first. Events of writes (Update) are still written in their transaction.
// Close of the guard drains and closes j.
func WithJournal(j *Journal) Option { return func(g *Store) { g.journal = j } }

// maxAttempts bounds the retries of a transaction that lost the race for the
// audit chain head.
const maxAttempts = 40

// Store is a guarded storage.Store: every call checks the principal in the
// context against the policy and appends hash-chained audit events to the
// store it wraps. Safe for concurrent use.
type Store struct {
	inner  storage.Store
	policy *Policy
	clock  ehrkit.Clock
	ids    ehrkit.IDGenerator
	log    *slog.Logger
	glass  time.Duration
	batch  *batcher
	chain  *chain

	journal  *Journal     // see WithJournal; nil: events go to the store
	consents consentCache // see WithConsentCache

	window   time.Duration // group commit: see WithAuditGroupCommit
	maxBatch int
}

var _ storage.Store = (*Store)(nil)

// Guard wraps store so that every call needs a principal (WithPrincipal)
// allowed by policy and leaves an audit event in store. A nil policy is the
// default roles without any record-type group: only the administrator and
// the access package's own records are reachable, so callers normally pass
// DefaultPolicy built from their domain packages' groups.
func Guard(store storage.Store, policy *Policy, opts ...Option) *Store {
	if policy == nil {
		policy = bareDefault()
	}
	g := &Store{inner: store, policy: policy, clock: ehrkit.RealClock{}, log: slog.New(slog.DiscardHandler), glass: time.Hour,
		chain: &chain{}, window: defaultAuditWindow, maxBatch: defaultAuditBatch}
	for _, o := range opts {
		o(g)
	}
	if g.journal != nil {
		if g.journal.store != store {
			panic("access: WithJournal: the journal was opened for another store")
		}
		g.chain = g.journal.chain
	}
	if g.ids == nil {
		g.ids = ehrkit.NewIDs(g.clock)
	}
	g.batch = newBatcher(g)
	return g
}

// Policy returns the policy the store enforces.
func (g *Store) Policy() *Policy { return g.policy }

func (g *Store) now() time.Time { return g.clock.Now().UTC().Truncate(time.Microsecond) }

// event starts an audit event of p doing action, outcome Success.
func (g *Store) event(ctx context.Context, p Principal, action string) Event {
	return Event{
		Time: g.now(), Actor: p.ID, ActorKind: p.Kind, Practitioner: p.Practitioner, OnBehalfOf: p.Patient,
		Roles: p.Roles, Facility: p.Facility, Action: action, Purpose: purposeFrom(ctx), Outcome: Success,
	}
}

// denied turns ev into a denial event and returns the matching error.
func denied(ev *Event, reason Reason) *DeniedError {
	ev.Outcome, ev.Reason = Denied, string(reason)
	return &DeniedError{Principal: ev.Actor, Action: ev.Action, Type: ev.Type, ID: ev.ID, Compartment: ev.Patient, Reason: reason}
}

// deny audits a denial durably and returns its error. authenticated false
// means the context had no principal.
func (g *Store) deny(ev Event, authenticated bool, reason Reason) error {
	if !authenticated {
		reason = ReasonUnauthenticated
	}
	err := denied(&ev, reason)
	if aerr := g.audit(ev); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

// audit writes events durably (group-committed with concurrent callers)
// before returning. The write does not depend on the caller's context: an
// event is stored even when the caller gives up waiting.
func (g *Store) audit(evs ...Event) error {
	return g.batch.add(evs, true, false)
}

// appendWith runs fn and appends evs in one transaction of the inner store,
// one record per event, retrying when another transaction advanced the audit
// chain first.
func (g *Store) appendWith(ctx context.Context, fn func(tx storage.Tx) error, evs ...Event) error {
	encoded, err := encodeEvents(evs)
	if err != nil {
		return err
	}
	return appendChain(ctx, g.inner, g.chain, 1, func(tx storage.Tx) ([]encodedEvent, error) {
		if fn != nil {
			if err := fn(tx); err != nil {
				return nil, err
			}
		}
		return encoded, nil
	})
}

// appendChain runs fn in one transaction of store and appends the events it
// returns to the chain c caches the head of, in blocks of up to block events
// (1: a record per event), retrying when another transaction advanced the
// chain first.
func appendChain(ctx context.Context, store storage.Store, c *chain, block int, fn func(tx storage.Tx) ([]encodedEvent, error)) error {
	return ehrkit.RetryIf(ctx, maxAttempts, isChainConflict, func() error {
		var head anchor
		appended := false
		err := store.Update(ctx, func(tx storage.Tx) error {
			evs, err := fn(tx)
			if err != nil || len(evs) == 0 {
				return err
			}
			h, err := c.headIn(ctx, tx)
			if err != nil {
				return err
			}
			head, err = appendEvents(ctx, tx, h, evs, block)
			appended = err == nil
			return err
		})
		if err == nil && appended {
			c.committed(head)
		} else if isChainConflict(err) {
			c.forget()
		}
		return err
	})
}

// begin fills ev (which names its action and target) with the principal of
// ctx, or audits and returns the unauthenticated denial of ev.
func (g *Store) begin(ctx context.Context, ev *Event) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	base := g.event(ctx, p, ev.Action)
	base.Type, base.ID, base.Patient = ev.Type, ev.ID, ev.Patient
	*ev = base
	if !ok {
		return p, g.deny(*ev, false, ReasonUnauthenticated)
	}
	return p, nil
}

// read checks that the principal may read records of typ, fetches them,
// checks each, and audits the read before returning them.
func (g *Store) read(ctx context.Context, action, typ, id string, fetch func() ([]storage.Record, error)) ([]storage.Record, error) {
	ev := Event{Action: action, Type: typ, ID: id}
	p, err := g.begin(ctx, &ev)
	if err != nil {
		return nil, err
	}
	r := g.batch.start()
	defer r.release()
	c := g.storeChecker(p)
	if d, err := c.record(ctx, Read, target{typ: typ, id: id}); err != nil || d.reason != "" {
		return nil, g.fail(ev, d, err)
	}
	recs, err := fetch()
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		ev.Patient, ev.Version = rec.Compartment, rec.Version
		d, err := c.record(ctx, Read, recordTarget(rec))
		if err != nil || d.reason != "" {
			return nil, g.fail(ev, d, err)
		}
		ev.Grant = d.grant
	}
	if action == "history" {
		ev.Version = 0
	}
	if err := r.audit(ev); err != nil {
		return nil, err
	}
	return recs, nil
}

// fail returns err, or audits the denial of d.
func (g *Store) fail(ev Event, d decision, err error) error {
	if err != nil {
		return err
	}
	return g.deny(ev, true, d.reason)
}

// Get returns a record the principal may read, after auditing the read.
func (g *Store) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	recs, err := g.read(ctx, string(Read), typ, id, func() ([]storage.Record, error) {
		rec, err := g.inner.Get(ctx, typ, id)
		return []storage.Record{rec}, err
	})
	if err != nil {
		return storage.Record{}, err
	}
	return recs[0], nil
}

// GetVersion returns one version of a record the principal may read, after
// auditing the read. Both that version and the current one (the latest, if
// the record was deleted, every version) must be readable: a label added
// later, such as sensitive, also covers what was written before it.
func (g *Store) GetVersion(ctx context.Context, typ, id string, version int64) (storage.Record, error) {
	recs, err := g.read(ctx, string(Read), typ, id, func() ([]storage.Record, error) {
		return versionAndCurrent(ctx, g.inner, typ, id, version)
	})
	if err != nil {
		return storage.Record{}, err
	}
	return recs[len(recs)-1], nil
}

// versionAndCurrent returns the records a read of one version is checked
// against: the current version (every version, if the record was deleted: a
// tombstone carries no labels), then the version asked for, read through r.
func versionAndCurrent(ctx context.Context, r storage.VersionReader, typ, id string, version int64) ([]storage.Record, error) {
	rec, err := r.GetVersion(ctx, typ, id, version)
	if err != nil {
		return nil, err
	}
	cur, err := r.Get(ctx, typ, id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		hist, err := r.History(ctx, typ, id)
		return append(hist, rec), err
	}
	return []storage.Record{cur, rec}, err
}

// History returns every version of a record when the principal may read all
// of them (so none is returned that a later label covers), after auditing
// the read.
func (g *Store) History(ctx context.Context, typ, id string) ([]storage.Record, error) {
	return g.read(ctx, "history", typ, id, func() ([]storage.Record, error) {
		return g.inner.History(ctx, typ, id)
	})
}

// Query returns a page of the records the principal may search. A principal
// restricted to some compartments has the restriction added to the query
// itself (the own or care-team compartment, or, for a search across patients,
// a FacilityTerm filter), so pages and cursors never cover other patients'
// records; records of the patient searched that the principal still may not
// see (sensitive labels, consent, another facility) are left out of the page.
// The ids returned are audited before the page is.
func (g *Store) Query(ctx context.Context, q storage.Query) (storage.Page, error) {
	ev := Event{Action: string(Search), Type: q.Type, Patient: q.Compartment}
	p, err := g.begin(ctx, &ev)
	if err != nil {
		return storage.Page{}, err
	}
	r := g.batch.start()
	defer r.release()
	page, err := g.query(ctx, g.storeChecker(p), g.inner, q, &ev)
	if err != nil {
		return storage.Page{}, g.fail(ev, decision{reason: reasonOf(err)}, errOnly(err))
	}
	if err := r.audit(ev); err != nil {
		return storage.Page{}, err
	}
	return page, nil
}

// errDenied carries a denial reason out of query.
type errDenied Reason

func (e errDenied) Error() string { return string(e) }

func reasonOf(err error) Reason {
	var d errDenied
	if errors.As(err, &d) {
		return Reason(d)
	}
	return ""
}

func errOnly(err error) error {
	if reasonOf(err) != "" {
		return nil
	}
	return err
}

// query runs q narrowed to the principal's compartments through r and keeps
// the records the principal may see, noting them in ev. The page's cursor is
// made from the last record kept, never from one left out (a cursor carries
// its record's sort key: an SSN, a birth date); a page whose records are all
// left out is not returned, the query reads on until it has a record to
// return or reaches the end, so the cursor also never tells that hidden
// records follow.
func (g *Store) query(ctx context.Context, c *checker, r storage.Reader, q storage.Query, ev *Event) (storage.Page, error) {
	ev.Type, ev.Patient = q.Type, q.Compartment
	narrowed, reason, err := c.narrow(ctx, q)
	if err != nil {
		return storage.Page{}, err
	}
	if reason != "" {
		return storage.Page{}, errDenied(reason)
	}
	for {
		page, err := r.Query(ctx, narrowed)
		if err != nil {
			return storage.Page{}, err
		}
		kept := page.Records[:0:0]
		lastKept := false
		for _, rec := range page.Records {
			d, err := c.record(ctx, Search, recordTarget(rec))
			if err != nil {
				return storage.Page{}, err
			}
			lastKept = d.reason == ""
			if lastKept {
				kept = append(kept, rec)
				ev.Results = append(ev.Results, storage.Describe(rec))
				if d.grant != "" {
					ev.Grant = d.grant
				}
			}
		}
		switch {
		case page.Next == "" || lastKept:
		case len(kept) > 0:
			page.Next = storage.EncodeCursor(narrowed, storage.PositionOf(kept[len(kept)-1], narrowed.SortBy))
		default:
			narrowed.Cursor = page.Next
			continue
		}
		page.Records = kept
		return page, nil
	}
}

// narrow adds the principal's compartment restriction to q, or returns why
// the search is refused.
func (c *checker) narrow(ctx context.Context, q storage.Query) (storage.Query, Reason, error) {
	if d, err := c.record(ctx, Search, target{typ: q.Type}); err != nil || d.reason != "" {
		return q, d.reason, err
	}
	roles := c.g.policy.rolesFor(c.p, q.Type, Search)
	var s Scope
	for _, r := range roles {
		s |= r.Scope
	}
	if s&ScopeAll != 0 || len(roles) == 0 || c.g.policy.shared[q.Type] {
		return q, "", nil // audit types (checked above) or unrestricted
	}
	if q.Compartment != "" {
		if s&ScopeOwn != 0 && q.Compartment == c.p.Patient || s&ScopeCareTeam != 0 && slices.Contains(c.p.CareTeam, q.Compartment) {
			return q, "", nil
		}
		grant, err := c.g.activeGrant(ctx, c.r, c.p, q.Compartment)
		if err != nil || grant != "" {
			return q, "", err
		}
	}
	switch {
	case s&ScopeFacility != 0 && c.p.Facility != "" && q.Compartment != "":
		// One patient: the records of other facilities are left out of the
		// page (no other patient is involved), which spares the store a
		// filter less selective than the compartment.
	case s&ScopeFacility != 0 && c.p.Facility != "":
		q.Filters = append(q.Filters[:len(q.Filters):len(q.Filters)], storage.Filter{Term: FacilityTerm, Op: storage.Eq, Value: c.p.Facility})
	case q.Compartment != "":
		return q, ReasonScope, nil
	case s&ScopeOwn != 0 && c.p.Patient != "":
		q.Compartment = c.p.Patient
	case s&ScopeCareTeam != 0 && len(c.p.CareTeam) == 1:
		q.Compartment = c.p.CareTeam[0]
	default:
		return q, ReasonScope, nil
	}
	return q, "", nil
}

// Changes returns the feed entries after the given sequence number that the
// principal may see: record changes it may read, and events of compartments
// it reaches ("access." topics need PermAuditRead). Audit events themselves
// are never returned: reading them would append more, so a consumer allowed
// to see them could never catch up; the trail is read with Accounting, Verify
// or a query of AuditEventType. It reads on past entries
// the principal may not see until it has one to return or reaches the end of
// the feed, so a consumer never mistakes a hidden batch for the end. What is
// returned is audited first.
func (g *Store) Changes(ctx context.Context, after int64, limit int) ([]storage.Change, error) {
	ev := Event{Action: "changes"}
	p, err := g.begin(ctx, &ev)
	if err != nil {
		return nil, err
	}
	r := g.batch.start()
	defer r.release()
	c := g.storeChecker(p)
	for {
		batch, err := g.inner.Changes(ctx, after, limit)
		if err != nil || len(batch) == 0 {
			return nil, err
		}
		var out []storage.Change
		for _, ch := range batch {
			ok, err := c.change(ctx, ch)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, ch)
				ev.Results = append(ev.Results, describeChange(ch))
			}
		}
		if len(out) > 0 {
			if err := r.audit(ev); err != nil {
				return nil, err
			}
			return out, nil
		}
		after = batch[len(batch)-1].Seq
	}
}

func describeChange(ch storage.Change) string {
	if ch.Kind == storage.ChangeEvent {
		return "event:" + ch.Topic + "/" + ch.Key
	}
	return ch.Type + "/" + ch.ID
}

// change reports whether the principal may see one feed entry.
func (c *checker) change(ctx context.Context, ch storage.Change) (bool, error) {
	var d decision
	var err error
	switch {
	case ch.Type == AuditEventType || ch.Type == AuditHeadType:
		return false, nil
	case ch.Kind != storage.ChangeEvent:
		d, err = c.record(ctx, Read, target{typ: ch.Type, id: ch.ID, compartment: ch.Compartment, labels: ch.Labels})
	case strings.HasPrefix(ch.Topic, "access."):
		return len(c.g.policy.holds(c.p, PermAuditRead)) > 0, nil
	default:
		roles := c.g.policy.rolesFor(c.p, "", Read)
		if len(roles) == 0 {
			return false, nil
		}
		d, err = c.compartment(ctx, roles, target{compartment: ch.Compartment})
	}
	return err == nil && d.reason == "", err
}

// Flush waits until the audit events queued in the background (see Require)
// are written and, with a journal (WithJournal), until every event the
// journal holds is copied into the store's chain. It returns the first error
// met writing them since the last Flush.
func (g *Store) Flush(ctx context.Context) error {
	err := g.batch.flush(ctx)
	if g.journal != nil && err == nil {
		err = g.journal.Flush(ctx)
	}
	return err
}

// Close flushes queued audit events, drains and closes the journal if there
// is one, and closes the wrapped store.
func (g *Store) Close() error {
	ferr := g.batch.flush(context.Background())
	if g.journal != nil {
		ferr = errors.Join(ferr, g.journal.Close())
	}
	return errors.Join(ferr, g.inner.Close())
}
