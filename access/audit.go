package access

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
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
	GrantType      = "AccessGrant" // break-the-glass grants
)

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

func (e Event) record() storage.Record {
	b, _ := EncodeEvent(e)
	terms := []storage.Term{
		{Name: "actor", Value: e.Actor},
		{Name: "action", Value: e.Action},
		{Name: "outcome", Value: string(e.Outcome)},
		{Name: "time", Value: storage.UpdatedKey(e.Time)},
	}
	if e.Patient != "" {
		terms = append(terms, storage.Term{Name: "patient", Value: e.Patient})
	}
	return storage.Record{Type: AuditEventType, ID: eventID(e.Seq), Terms: terms, Value: b}
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

// lastEvent returns the head as stored: the event with the greatest id.
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

// chain caches the head this guard last committed or read, so appending
// costs no lookup. Another process appending makes it stale: the append then
// conflicts, the cache is dropped and the transaction retried.
type chain struct {
	mu    sync.Mutex
	head  Head
	known bool
}

// headIn returns the cached head, reading it through r when unknown.
func (c *chain) headIn(ctx context.Context, r storage.Reader) (Head, error) {
	c.mu.Lock()
	h, ok := c.head, c.known
	c.mu.Unlock()
	if ok {
		return h, nil
	}
	return lastEvent(ctx, r)
}

// committed records the head of a committed transaction.
func (c *chain) committed(h Head) {
	c.mu.Lock()
	if !c.known || h.Seq > c.head.Seq {
		c.head, c.known = h, true
	}
	c.mu.Unlock()
}

// forget drops the cached head after a conflict.
func (c *chain) forget() {
	c.mu.Lock()
	c.known = false
	c.mu.Unlock()
}

// appendEvents chains evs after head and writes them in tx, each at its
// position with expect 0, and returns the new head. A transaction that
// appended the same positions first makes it conflict.
func appendEvents(ctx context.Context, tx storage.Tx, head Head, evs []Event) (Head, error) {
	for _, ev := range evs {
		ev.Seq, ev.Prev = head.Seq+1, head.Hash
		if err := ev.normalize(); err != nil {
			return head, err
		}
		ev.Hash = ev.digest()
		if _, err := tx.Put(ctx, ev.record(), 0); err != nil {
			return head, err
		}
		head = Head{Seq: ev.Seq, Hash: ev.Hash}
	}
	return head, nil
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
	return se.Type == "" || se.Type == AuditEventType
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
// reordered, or nil when the chain is intact. Events removed from the end
// leave an intact, shorter chain: compare ReadHead with an anchored Head to
// see them. On a guarded store the principal needs PermAuditRead, and the
// verification itself is audited.
func Verify(ctx context.Context, store storage.Store) error {
	inner, err := auditReader(ctx, store, "audit.verify", "")
	if err != nil {
		return err
	}
	page, err := inner.Query(ctx, storage.Query{Type: AuditEventType, Desc: true, Limit: 1})
	if err != nil || len(page.Records) == 0 {
		return err
	}
	end, err := strconv.ParseInt(page.Records[0].ID, 10, 64)
	if err != nil {
		return &ChainError{Seq: 0, Fault: FaultAltered}
	}
	prev := ""
	for seq := int64(1); seq <= end; seq++ {
		rec, err := inner.Get(ctx, AuditEventType, eventID(seq))
		if errors.Is(err, ehrkit.ErrNotFound) {
			return &ChainError{Seq: seq, Fault: FaultMissing}
		}
		if err != nil {
			return err
		}
		ev, err := DecodeEvent(rec)
		if err != nil {
			return &ChainError{Seq: seq, Fault: FaultAltered}
		}
		switch {
		case ev.Seq != seq:
			return &ChainError{Seq: seq, Fault: FaultReordered}
		case ev.Hash != ev.digest() || ev.Prev != prev || rec.Version != 1:
			return &ChainError{Seq: seq, Fault: FaultAltered}
		}
		prev = ev.Hash
	}
	return nil
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
		q := storage.Query{Type: AuditEventType, SortBy: "time", Filters: []storage.Filter{
			{Term: "patient", Op: storage.Eq, Value: patient},
			{Term: "time", Op: storage.Ge, Value: storage.UpdatedKey(from)},
			{Term: "time", Op: storage.Lt, Value: storage.UpdatedKey(to)},
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
	return g.inner, nil
}
