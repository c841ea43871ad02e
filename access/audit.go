package access

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Record types the guard owns. Records of AuditEventType and GrantType are
// written only by the guard (append-only) and read only with PermAuditRead.
const (
	// AuditEventType holds one audit event per record, its id the event's
	// sequence number zero-padded to 12 digits ("000000000001"), so the
	// chain's order is the id order and two writers cannot both append the
	// same position (the second write of an id that exists conflicts).
	AuditEventType = "AuditEvent"
	// AuditHeadType holds the record with id "head": the Head of the chain,
	// rewritten in every transaction that appends events, so deleting the
	// newest events leaves a chain shorter than its head (Verify reports
	// FaultTruncated). Its version also serialises appenders: two
	// transactions that both append expect the same version and one of
	// them conflicts. Each audit journal (OpenJournal) also has one, id
	// "journal-" and the journal's id, naming the last entry drained.
	AuditHeadType = "AuditHead"
	GrantType     = "AccessGrant" // break-the-glass grants
)

// headID is the id of the one AuditHeadType record.
const headID = "head"

// patientTerm is the one index term of an audit event concerning a patient:
// the patient id, "|" and the event time as storage.UpdatedKey gives it, so
// that one range over the term finds a patient's events of a period in time
// order. The separator sorts after every id character, so a range of one
// patient never reaches another whose id extends it.
const patientTerm = "patient"

func patientKey(patient string, t time.Time) string { return patient + "|" + storage.UpdatedKey(t) }

// Outcome says how an audited access ended.
type Outcome string

// Outcomes.
const (
	Success Outcome = "success"
	Denied  Outcome = "denied"
)

// Event is one audit event: who (acting as whom), did what to which record of
// which patient, why, when, and with what outcome. Events form a hash chain:
// Hash is the SHA-256 of the event's canonical encoding, which includes Prev,
// the hash of the event before it.
type Event struct {
	Seq          int64         `json:"seq"`
	Time         time.Time     `json:"time"`
	Actor        string        `json:"actor"`
	ActorKind    PrincipalKind `json:"actorKind,omitempty"`
	Practitioner string        `json:"practitioner,omitempty"` // practitioner the actor acted as
	OnBehalfOf   string        `json:"onBehalfOf,omitempty"`   // patient a portal actor acted as
	Roles        []string      `json:"roles,omitempty"`
	Facility     string        `json:"facility,omitempty"`
	// Action is a record Action ("read", "search", ...), "history",
	// "changes", or an operation ("rx.override", "patient.merge",
	// "access.break-glass", "audit.verify").
	Action  string   `json:"action"`
	Type    string   `json:"type,omitempty"`
	ID      string   `json:"id,omitempty"`
	Version int64    `json:"version,omitempty"`
	Patient string   `json:"patient,omitempty"`
	Results []string `json:"results,omitempty"` // "Type/id" of every record a search or feed read returned
	Purpose string   `json:"purpose,omitempty"`
	Outcome Outcome  `json:"outcome"`
	// Reason is the denial reason, the break-the-glass reason, or the detail
	// of a semantic event.
	Reason string `json:"reason,omitempty"`
	Grant  string `json:"grant,omitempty"` // break-the-glass grant that allowed the access
	Prev   string `json:"prev"`
	Hash   string `json:"hash,omitempty"`
}

// EncodeEvent returns the stored encoding of ev: JSON, fields in declaration
// order (encoding/json writes them so), which makes it canonical.
func EncodeEvent(ev Event) ([]byte, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, storage.Errorf("encode", AuditEventType, eventID(ev.Seq), ehrkit.ErrInvalid, "%w", err)
	}
	return b, nil
}

// Digest returns the hex SHA-256 of b. An event's Hash is the Digest of its
// encoding with Hash empty (the encoding includes Prev, chaining it).
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// normalize replaces e by its decoded encoding, so that what is hashed is what
// a reader decodes: JSON turns invalid UTF-8 into U+FFFD and times into their
// RFC 3339 form, and hashing the original would not match the stored event.
func (e *Event) normalize() error {
	if e.validUTF8() {
		return nil // the time is UTC: only invalid UTF-8 changes on the way
	}
	b, err := EncodeEvent(*e)
	if err != nil {
		return err
	}
	*e = Event{}
	return json.Unmarshal(b, e)
}

func (e Event) validUTF8() bool {
	fields := [][]string{
		{e.Actor, string(e.ActorKind), e.Practitioner, e.OnBehalfOf, e.Facility, e.Action, e.Type, e.ID,
			e.Patient, e.Purpose, string(e.Outcome), e.Reason, e.Grant, e.Prev},
		e.Roles, e.Results,
	}
	for _, list := range fields {
		for _, s := range list {
			if !utf8.ValidString(s) {
				return false
			}
		}
	}
	return true
}

func (e Event) digest() string {
	e.Hash = ""
	b, _ := EncodeEvent(e)
	return Digest(b)
}

func eventID(seq int64) string { return fmt.Sprintf("%012d", seq) }

// terms returns the index terms of the event, all derived from fields its
// hash covers: Verify checks the stored terms, and that the index finds the
// event by them, against this list.
func (e Event) terms() []storage.Term {
	if e.Patient == "" {
		return nil
	}
	return []storage.Term{{Name: patientTerm, Value: patientKey(e.Patient, e.Time)}}
}

// chained sets e's Hash and returns its record, encoding e once: the stored
// encoding is the hashed one (Hash empty, so omitted, and last) with the
// hash added as its last field, which is what EncodeEvent gives with Hash
// set.
func (e *Event) chained() (storage.Record, error) {
	e.Hash = ""
	b, err := EncodeEvent(*e)
	if err != nil {
		return storage.Record{}, err
	}
	e.Hash = Digest(b)
	v := make([]byte, 0, len(b)+len(`,"hash":""`)+len(e.Hash))
	v = append(append(append(append(v, b[:len(b)-1]...), `,"hash":"`...), e.Hash...), `"}`...)
	return storage.Record{Type: AuditEventType, ID: eventID(e.Seq), Terms: e.terms(), Value: v}, nil
}

// DecodeEvent decodes an audit event record (AuditEventType). It does not
// check the chain: Verify does.
func DecodeEvent(r storage.Record) (Event, error) {
	var ev Event
	if r.Type != AuditEventType {
		return ev, storage.Errorf("decode", r.Type, r.ID, ehrkit.ErrInvalid, "not an audit event")
	}
	if err := json.Unmarshal(r.Value, &ev); err != nil {
		return ev, storage.Errorf("decode", r.Type, r.ID, ehrkit.ErrInvalid, "%w", err)
	}
	return ev, nil
}

// Head is the end of the audit chain: the sequence number and hash of the last
// event. Copying it somewhere the store's administrators cannot write (a
// write-once bucket, a signed log) anchors the chain: a later ReadHead with a
// smaller Seq, or another hash at that Seq, reveals a truncation that Verify
// alone cannot see.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// lastEvent returns the head as the events give it: the event with the
// greatest id.
func lastEvent(ctx context.Context, r storage.Reader) (Head, error) {
	page, err := r.Query(ctx, storage.Query{Type: AuditEventType, Desc: true, Limit: 1})
	if err != nil || len(page.Records) == 0 {
		return Head{}, err
	}
	ev, err := DecodeEvent(page.Records[0])
	if err != nil {
		return Head{}, err
	}
	return Head{Seq: ev.Seq, Hash: ev.Hash}, nil
}

// anchor is the chain's head record: the head and the record's version.
type anchor struct {
	head    Head
	version int64 // of the AuditHeadType record, 0 when there is none
}

// readAnchor returns the head record, or version 0 when there is none.
func readAnchor(ctx context.Context, r storage.Reader) (anchor, bool, error) {
	rec, err := r.Get(ctx, AuditHeadType, headID)
	if errors.Is(err, ehrkit.ErrNotFound) {
		return anchor{}, false, nil
	}
	if err != nil {
		return anchor{}, false, err
	}
	var h Head
	if err := json.Unmarshal(rec.Value, &h); err != nil {
		return anchor{}, true, storage.Errorf("decode", AuditHeadType, headID, ehrkit.ErrInvalid, "%w", err)
	}
	return anchor{head: h, version: rec.Version}, true, nil
}

// chain caches the anchor this guard last committed or read, so appending
// costs no lookup. Another process appending makes it stale: the append then
// conflicts, the cache is dropped and the transaction retried.
type chain struct {
	mu    sync.Mutex
	at    anchor
	known bool
}

// headIn returns the cached anchor, reading it through r when unknown. A
// store written before the head record existed has events and no record:
// the head is then its last event, and the first append creates the record.
func (c *chain) headIn(ctx context.Context, r storage.Reader) (anchor, error) {
	c.mu.Lock()
	at, ok := c.at, c.known
	c.mu.Unlock()
	if ok {
		return at, nil
	}
	at, found, err := readAnchor(ctx, r)
	if err != nil || found {
		return at, err
	}
	at.head, err = lastEvent(ctx, r)
	return at, err
}

// committed records the anchor of a committed transaction.
func (c *chain) committed(at anchor) {
	c.mu.Lock()
	if !c.known || at.version > c.at.version {
		c.at, c.known = at, true
	}
	c.mu.Unlock()
}

// forget drops the cached anchor after a conflict.
func (c *chain) forget() {
	c.mu.Lock()
	c.known = false
	c.mu.Unlock()
}

// appendEvents chains evs after at's head and writes them in tx, each at its
// position with expect 0, then the head record at the version after at's,
// and returns the new anchor. A transaction that appended first makes it
// conflict.
func appendEvents(ctx context.Context, tx storage.Tx, at anchor, evs []Event) (anchor, error) {
	head := at.head
	for _, ev := range evs {
		ev.Seq, ev.Prev = head.Seq+1, head.Hash
		if err := ev.normalize(); err != nil {
			return at, err
		}
		rec, err := ev.chained()
		if err != nil {
			return at, err
		}
		if _, err := tx.Put(ctx, rec, 0); err != nil {
			return at, err
		}
		head = Head{Seq: ev.Seq, Hash: ev.Hash}
	}
	b, _ := json.Marshal(head)
	out, err := tx.Put(ctx, storage.Record{Type: AuditHeadType, ID: headID, Value: b}, at.version)
	if err != nil {
		return at, err
	}
	return anchor{head: head, version: out.Version}, nil
}

// isChainConflict reports whether err is a conflict the audit chain may have
// caused: on an audit event, or one a backend could not attribute to a record
// (a serialization failure). Retrying the transaction is then sound.
func isChainConflict(err error) bool {
	if !errors.Is(err, ehrkit.ErrConflict) {
		return false
	}
	var se *storage.Error
	if !errors.As(err, &se) {
		return true
	}
	return se.Type == "" || se.Type == AuditEventType || se.Type == AuditHeadType
}

// guardOwned reports record types that only the guard writes (audit events,
// the chain's head, break-the-glass grants): nothing else writes them.
func guardOwned(typ string) bool {
	return typ == AuditEventType || typ == AuditHeadType || typ == GrantType
}

// ErrTampered is wrapped by every *ChainError.
var ErrTampered = errors.New("access: audit chain broken")

// Fault says how the audit chain is broken.
type Fault string

// Faults reported by Verify.
const (
	FaultMissing   Fault = "missing"   // the event was removed (or never written)
	FaultAltered   Fault = "altered"   // its content no longer matches its hash or the previous hash
	FaultReordered Fault = "reordered" // an event with another sequence number sits at its place
	// FaultTruncated: the chain ends before its head record, or before an
	// anchor Verify was given, says it does: the newest events were removed.
	FaultTruncated Fault = "truncated"
)

// ChainError names the first event of the audit chain that fails
// verification. It wraps ErrTampered.
type ChainError struct {
	Seq   int64 // sequence number of the event (the position in the chain)
	Fault Fault
}

// Error names the position and the fault.
func (e *ChainError) Error() string {
	return fmt.Sprintf("access: audit event %d: %s", e.Seq, e.Fault)
}

// Unwrap returns ErrTampered.
func (e *ChainError) Unwrap() error { return ErrTampered }

// Verify walks the audit chain of store from the first event to the last and
// returns a *ChainError naming the first event that was altered, removed or
// reordered, or nil when the chain is intact. An event is altered when its
// stored bytes are not the canonical encoding of what they decode to (an
// injected field), when its hash or the previous hash does not match, when
// its index terms are not those its content gives, or when the index does not
// find it by them (an edited term would hide it from Accounting). The chain
// must end at the head record the appenders keep (FaultTruncated when events
// after it were removed) and pass through every anchor given: heads read
// earlier with ReadHead and kept where the store's administrators cannot
// write, which also reveal a truncation whose head record was rewritten. On
// a guarded store the principal needs PermAuditRead, and the verification
// itself is audited. Events appended while Verify runs, after the head it
// read, are not verified.
func Verify(ctx context.Context, store storage.Store, anchors ...Head) error {
	inner, err := auditReader(ctx, store, "audit.verify", "")
	if err != nil {
		return err
	}
	// The head record first: events appended after it was read are newer
	// than the chain verified.
	at, found, err := readAnchor(ctx, inner)
	if err != nil && !errors.Is(err, ehrkit.ErrInvalid) {
		return err
	}
	garbled := err != nil
	end := int64(0)
	page, err := inner.Query(ctx, storage.Query{Type: AuditEventType, Desc: true, Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Records) > 0 {
		if end, err = strconv.ParseInt(page.Records[0].ID, 10, 64); err != nil {
			return &ChainError{Seq: 0, Fault: FaultAltered}
		}
	}
	if garbled || !found && end > 0 {
		return &ChainError{Seq: end + 1, Fault: FaultTruncated}
	}
	if found {
		anchors = append(anchors, at.head)
	}
	want := map[int64]string{}
	for _, a := range anchors {
		if a.Seq > end {
			return &ChainError{Seq: end + 1, Fault: FaultTruncated}
		}
		want[a.Seq] = a.Hash
	}
	if found {
		end = at.head.Seq
	}
	prev := ""
	for seq := int64(1); seq <= end; seq++ {
		ev, err := verifyEvent(ctx, inner, seq, prev)
		if err != nil {
			return err
		}
		if h, ok := want[seq]; ok && h != ev.Hash {
			return &ChainError{Seq: seq, Fault: FaultAltered}
		}
		prev = ev.Hash
	}
	return nil
}

// verifyEvent checks the event at position seq, whose predecessor's hash is
// prev, and returns it.
func verifyEvent(ctx context.Context, r storage.Reader, seq int64, prev string) (Event, error) {
	rec, err := r.Get(ctx, AuditEventType, eventID(seq))
	if errors.Is(err, ehrkit.ErrNotFound) {
		return Event{}, &ChainError{Seq: seq, Fault: FaultMissing}
	}
	if err != nil {
		return Event{}, err
	}
	ev, err := DecodeEvent(rec)
	if err != nil {
		return Event{}, &ChainError{Seq: seq, Fault: FaultAltered}
	}
	if ev.Seq != seq {
		return Event{}, &ChainError{Seq: seq, Fault: FaultReordered}
	}
	canonical, err := EncodeEvent(ev)
	if err != nil || !bytes.Equal(canonical, rec.Value) || ev.Hash != ev.digest() || ev.Prev != prev ||
		rec.Version != 1 || !sameTerms(rec.Terms, ev.terms()) {
		return Event{}, &ChainError{Seq: seq, Fault: FaultAltered}
	}
	for _, term := range ev.terms() {
		found, err := indexFinds(ctx, r, rec.ID, term)
		if err != nil {
			return Event{}, err
		}
		if !found {
			return Event{}, &ChainError{Seq: seq, Fault: FaultAltered}
		}
	}
	return ev, nil
}

// sameTerms reports whether two term lists hold the same terms.
func sameTerms(a, b []storage.Term) bool {
	key := func(t storage.Term) string { return t.Name + "\x00" + t.Value }
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

// indexFinds reports whether a query on term finds the audit event id: what
// Accounting relies on, checked against the index itself rather than the
// copy of the terms stored with the event.
func indexFinds(ctx context.Context, r storage.Reader, id string, term storage.Term) (bool, error) {
	q := storage.Query{Type: AuditEventType, Filters: []storage.Filter{{Term: term.Name, Op: storage.Eq, Value: term.Value}}, Limit: storage.MaxLimit}
	for {
		page, err := r.Query(ctx, q)
		if err != nil {
			return false, err
		}
		for _, rec := range page.Records {
			if rec.ID == id {
				return true, nil
			}
		}
		if page.Next == "" {
			return false, nil
		}
		q.Cursor = page.Next
	}
}

// ReadHead returns the current head of the audit chain of store, the last
// event (PermAuditRead on a guarded store).
func ReadHead(ctx context.Context, store storage.Store) (Head, error) {
	inner, err := auditReader(ctx, store, "audit.head", "")
	if err != nil {
		return Head{}, err
	}
	return lastEvent(ctx, inner)
}

// Accounting answers "who accessed this patient's record, when and why": the
// audit events concerning patient with from <= Time < to, oldest first. On a
// guarded store the principal needs PermAuditRead, or to be the patient
// (Principal.Patient) asking for their own accounting; the query is audited.
func Accounting(ctx context.Context, store storage.Store, patient string, from, to time.Time) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		inner, err := auditReader(ctx, store, "audit.accounting", patient)
		if err != nil {
			yield(Event{}, err)
			return
		}
		q := storage.Query{Type: AuditEventType, SortBy: patientTerm, Filters: []storage.Filter{
			{Term: patientTerm, Op: storage.Ge, Value: patientKey(patient, from)},
			{Term: patientTerm, Op: storage.Lt, Value: patientKey(patient, to)},
		}, Limit: storage.MaxLimit}
		for {
			page, err := inner.Query(ctx, q)
			if err != nil {
				yield(Event{}, err)
				return
			}
			for _, rec := range page.Records {
				ev, err := DecodeEvent(rec)
				if err != nil {
					yield(Event{}, err)
					return
				}
				if !yield(ev, nil) {
					return
				}
			}
			if page.Next == "" {
				return
			}
			q.Cursor = page.Next
		}
	}
}

// auditReader returns the store to read the audit trail from: on a guarded
// store, the inner store once the principal was allowed (and audited); any
// other store as it is.
func auditReader(ctx context.Context, store storage.Store, action, patient string) (storage.Store, error) {
	g, ok := store.(*Store)
	if !ok {
		return store, nil
	}
	p, ok := PrincipalFrom(ctx)
	allowed := ok && (len(g.policy.holds(p, PermAuditRead)) > 0 || action == "audit.accounting" && p.Patient != "" && p.Patient == patient && p.Kind == User)
	ev := g.event(ctx, p, action)
	ev.Patient = patient
	if !allowed {
		return nil, g.deny(ev, ok, ReasonRole)
	}
	if err := g.audit(ev); err != nil {
		return nil, err
	}
	if g.journal != nil {
		// What the journal holds is part of the trail read.
		if err := g.journal.Flush(ctx); err != nil {
			return nil, err
		}
	}
	return g.inner, nil
}
