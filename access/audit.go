package access

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Record types the guard owns. Records of AuditEventType and GrantType are
// written only by the guard (append-only) and read only with PermAuditRead.
const (
	// AuditEventType holds the chain's events: a record holds one event
	// (its JSON object) or a block of consecutive events (a JSON array of
	// them, see maxBlockEvents). Its id is the sequence number of its
	// first event zero-padded to 12 digits ("000000000001"), so the chain's
	// order is the id order and two writers cannot both append the same
	// position (the second write of an id that exists conflicts).
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

// patientTerm is the index term of audit events concerning a patient. A
// record of one event carries one: the patient id, "|" and the event time as
// storage.UpdatedKey gives it. A block carries one per patient and day of
// its events: the patient id, "|" and the day ("2006-01-02"). Both start
// with the patient and the day, so Accounting finds either with prefix
// queries over the days of its period (dayCover). Patient ids hold no "|",
// so the prefix of one patient never reaches another whose id extends it.
const patientTerm = "patient"

func patientKey(patient string, t time.Time) string { return patient + "|" + storage.UpdatedKey(t) }

// dayKeyLen is the length of the day ("2006-01-02") that starts
// storage.UpdatedKey.
const dayKeyLen = len("2006-01-02")

// maxBlockEvents bounds the events of one block record. The drain of an
// audit journal writes its events in blocks: one record per block instead
// of one per event is what makes the copy into the chain cheap, and the
// bound keeps the JSON that Accounting and Verify decode to read one event
// small.
const maxBlockEvents = 64

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
	b, err := appendEncoded(make([]byte, 0, encodedEventSize), &ev)
	if err != nil {
		return nil, storage.Errorf("encode", AuditEventType, eventID(ev.Seq), ehrkit.ErrInvalid, "%w", err)
	}
	return b, nil
}

// encodedEventSize is room for the encoding of a typical event and its hash.
const encodedEventSize = 512

// appendEncoded appends the stored encoding of ev to b (see EncodeEvent):
// appendEvent's, or encoding/json's for the times appendEvent leaves to it.
func appendEncoded(b []byte, ev *Event) ([]byte, error) {
	if out, ok := appendEvent(b, ev); ok {
		return out, nil
	}
	js, err := json.Marshal(ev)
	if err != nil {
		return b, err
	}
	return append(b, js...), nil
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

// terms returns the index terms of a record holding the event alone, all
// derived from fields its hash covers: Verify checks the stored terms, and
// that the index finds the event by them, against this list.
func (e Event) terms() []storage.Term { return singleTerms(e.Patient, e.Time) }

// singleTerms returns the index terms of a record holding one event of
// patient at t.
func singleTerms(patient string, t time.Time) []storage.Term {
	if patient == "" {
		return nil
	}
	return []storage.Term{{Name: patientTerm, Value: patientKey(patient, t)}}
}

// blockTerms returns the index terms of a block holding evs: one per patient
// and day, in order.
func blockTerms(evs []Event) []storage.Term {
	values := make([]string, 0, len(evs))
	for i := range evs {
		if v := blockTerm(evs[i].Patient, evs[i].Time); v != "" {
			values = append(values, v)
		}
	}
	return patientTerms(values)
}

// blockTerm returns the value of the term in a block of an event of
// patient at t, its patient and day, or "" when it concerns no patient.
func blockTerm(patient string, t time.Time) string {
	if patient == "" {
		return ""
	}
	return patient + "|" + dayKey(t)
}

// patientTerms returns the patient terms of values, sorted, once each.
func patientTerms(values []string) []storage.Term {
	slices.Sort(values)
	values = slices.Compact(values)
	terms := make([]storage.Term, len(values))
	for i, v := range values {
		terms[i] = storage.Term{Name: patientTerm, Value: v}
	}
	return terms
}

// encodedEvent is an event encoded before it is chained: body is what its
// stored encoding holds between seq and prev (the fields from time to grant,
// see appendBody), which chaining leaves unchanged, and patient and time are
// what its index terms are made of. Chaining it only adds seq, prev and the
// hash around body.
type encodedEvent struct {
	body    []byte
	patient string
	time    time.Time
}

// appendEncodedBody normalizes ev and appends its body (see encodedEvent)
// to b.
func appendEncodedBody(b []byte, ev *Event) ([]byte, error) {
	if err := ev.normalize(); err != nil {
		return b, err
	}
	if out, ok := appendBody(b, ev); ok {
		return out, nil
	}
	e := *ev
	e.Seq, e.Prev, e.Hash = 0, "", ""
	js, err := json.Marshal(&e)
	if err != nil {
		return b, storage.Errorf("encode", AuditEventType, "", ehrkit.ErrInvalid, "%w", err)
	}
	js = bytes.TrimPrefix(js, []byte(`{"seq":0`))
	return append(b, bytes.TrimSuffix(js, []byte(`,"prev":""}`))...), nil
}

// encodeEvents returns evs encoded before chaining, their bodies in one
// buffer.
func encodeEvents(evs []Event) ([]encodedEvent, error) {
	out := make([]encodedEvent, len(evs))
	ends := make([]int, len(evs))
	buf := make([]byte, 0, len(evs)*encodedEventSize)
	for i := range evs {
		var err error
		if buf, err = appendEncodedBody(buf, &evs[i]); err != nil {
			return nil, err
		}
		ends[i] = len(buf)
		out[i].patient, out[i].time = evs[i].Patient, evs[i].Time
	}
	start := 0
	for i, end := range ends {
		out[i].body = buf[start:end:end]
		start = end
	}
	return out, nil
}

// appendChained appends to b the stored encoding of the event whose body
// is body, at position seq after the event whose hash is prev, and returns
// its hash. The hashed encoding is the stored one without the hash (Hash
// empty is omitted, and it is the last field), so each event is encoded
// once.
func appendChained(b []byte, seq int64, prev string, body []byte) ([]byte, string) {
	start := len(b)
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, body...)
	b = append(b, `,"prev":`...)
	b = appendJSONString(b, prev)
	b = append(b, '}')
	sum := sha256.Sum256(b[start:])
	var hash [2 * sha256.Size]byte
	hex.Encode(hash[:], sum[:])
	b = append(append(b[:len(b)-1], `,"hash":"`...), hash[:]...)
	return append(b, `"}`...), string(hash[:])
}

// chainedSize is room for what chaining adds around an event's body: seq,
// prev and the hash with their keys.
const chainedSize = 192

// chainRecord chains evs after head, each event's Prev the hash of the one
// before, and returns the record holding them (one event alone, more as a
// block, encoded into one buffer) and the new head.
func chainRecord(head Head, evs []encodedEvent) (storage.Record, Head) {
	rec := storage.Record{Type: AuditEventType, ID: eventID(head.Seq + 1)}
	if len(evs) == 1 {
		rec.Value, head.Hash = appendChained(make([]byte, 0, len(evs[0].body)+chainedSize), head.Seq+1, head.Hash, evs[0].body)
		head.Seq++
		rec.Terms = singleTerms(evs[0].patient, evs[0].time)
		return rec, head
	}
	n := 2
	for _, ev := range evs {
		n += len(ev.body) + chainedSize + 1 // and the comma
	}
	v := append(make([]byte, 0, n), '[')
	values := make([]string, 0, len(evs))
	for i, ev := range evs {
		if i > 0 {
			v = append(v, ',')
		}
		v, head.Hash = appendChained(v, head.Seq+1, head.Hash, ev.body)
		head.Seq++
		if t := blockTerm(ev.patient, ev.time); t != "" {
			values = append(values, t)
		}
	}
	rec.Value = append(v, ']')
	rec.Terms = patientTerms(values)
	return rec, head
}

// blockValue joins the encodings of a block's events into its stored value.
func blockValue(encoded [][]byte) []byte {
	n := 2 + len(encoded)
	for _, e := range encoded {
		n += len(e)
	}
	v := append(make([]byte, 0, n), '[')
	for i, e := range encoded {
		if i > 0 {
			v = append(v, ',')
		}
		v = append(v, e...)
	}
	return append(v, ']')
}

// isBlock reports whether an audit event record's value is a block.
func isBlock(value []byte) bool { return len(value) > 0 && value[0] == '[' }

// DecodeEvent decodes an audit event record (AuditEventType) that holds one
// event; a block is ehrkit.ErrInvalid (DecodeEvents decodes both). It does
// not check the chain: Verify does.
func DecodeEvent(r storage.Record) (Event, error) {
	if isBlock(r.Value) {
		return Event{}, storage.Errorf("decode", r.Type, r.ID, ehrkit.ErrInvalid, "a block of audit events")
	}
	evs, err := DecodeEvents(r)
	if err != nil {
		return Event{}, err
	}
	return evs[0], nil
}

// DecodeEvents decodes an audit event record (AuditEventType): the events it
// holds in chain order, one or a block. It does not check the chain: Verify
// does.
func DecodeEvents(r storage.Record) ([]Event, error) {
	if r.Type != AuditEventType {
		return nil, storage.Errorf("decode", r.Type, r.ID, ehrkit.ErrInvalid, "not an audit event")
	}
	var evs []Event
	var err error
	if isBlock(r.Value) {
		err = json.Unmarshal(r.Value, &evs)
		if err == nil && len(evs) == 0 {
			err = errors.New("an empty block")
		}
	} else {
		evs = make([]Event, 1)
		err = json.Unmarshal(r.Value, &evs[0])
	}
	if err != nil {
		return nil, storage.Errorf("decode", r.Type, r.ID, ehrkit.ErrInvalid, "%w", err)
	}
	return evs, nil
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
	evs, err := DecodeEvents(page.Records[0])
	if err != nil {
		return Head{}, err
	}
	ev := evs[len(evs)-1]
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

// appendEvents chains evs after at's head and writes them in tx, each
// record at its position with expect 0 (one record per event, or blocks of
// up to block events), then the head record at the version after at's, and
// returns the new anchor. A transaction that appended first makes it
// conflict.
func appendEvents(ctx context.Context, tx storage.Tx, at anchor, evs []encodedEvent, block int) (anchor, error) {
	head := at.head
	for len(evs) > 0 {
		n := min(len(evs), max(block, 1))
		rec, next := chainRecord(head, evs[:n])
		if _, err := tx.Put(ctx, rec, 0); err != nil {
			return at, err
		}
		head, evs = next, evs[n:]
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
	// FaultInserted: a record of AuditEventType claims a position a block
	// before it already holds (Seq is that position), or has an id that is
	// no position (Seq is the next position of the chain).
	FaultInserted Fault = "inserted"
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
// returns a *ChainError naming the first event that was altered, removed,
// reordered or inserted, or nil when the chain is intact. Records holding
// one event and blocks of events are verified alike, each event at its
// position. An event is altered when its record's stored bytes are not the
// canonical encoding of what they decode to (an injected field), when its
// hash or the previous hash does not match, when its record's index terms are
// not those its content gives, or when the index does not find the record by
// them (an edited term would hide it from Accounting). The chain must end at
// the head record the appenders keep (FaultTruncated when events after it
// were removed) and pass through every anchor given: heads read earlier with
// ReadHead and kept where the store's administrators cannot write, which
// also reveal a truncation whose head record was rewritten. On a guarded
// store the principal needs PermAuditRead, and the verification itself is
// audited. Events appended while Verify runs, after the head it read, are not
// verified.
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
		rec := page.Records[0]
		if end, err = strconv.ParseInt(rec.ID, 10, 64); err != nil {
			return &ChainError{Seq: 0, Fault: FaultAltered}
		}
		if evs, err := DecodeEvents(rec); err == nil {
			end += int64(len(evs)) - 1 // else the walk reports it
		}
	}
	if garbled || !found && end > 0 {
		return &ChainError{Seq: end + 1, Fault: FaultTruncated}
	}
	if found {
		anchors = append(anchors, at.head)
	}
	w := walk{next: 1, want: map[int64]string{}}
	for _, a := range anchors {
		if a.Seq > end {
			return &ChainError{Seq: end + 1, Fault: FaultTruncated}
		}
		w.want[a.Seq] = a.Hash
	}
	if found {
		end = at.head.Seq
	}
	q := storage.Query{Type: AuditEventType, Limit: verifyPage}
	for w.next <= end {
		page, err := inner.Query(ctx, q)
		if err != nil {
			return err
		}
		for _, rec := range page.Records {
			if w.next > end {
				break // appended after the head was read
			}
			if err := w.record(ctx, inner, rec); err != nil {
				return err
			}
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if w.next <= end {
		return &ChainError{Seq: w.next, Fault: FaultMissing}
	}
	return nil
}

// verifyPage is the number of records Verify reads per query: a page of
// blocks is decoded at once.
const verifyPage = 100

// walk is Verify's position in the chain: the next sequence number, the
// hash of the event before it, and the hashes the anchors require.
type walk struct {
	next int64
	prev string
	want map[int64]string
}

// record checks rec, the next record of the chain in id order, and moves
// past its events.
func (w *walk) record(ctx context.Context, r storage.Reader, rec storage.Record) error {
	first, err := strconv.ParseInt(rec.ID, 10, 64)
	switch {
	case err != nil || rec.ID != eventID(first):
		return &ChainError{Seq: w.next, Fault: FaultInserted}
	case first < w.next:
		return &ChainError{Seq: first, Fault: FaultInserted}
	case first > w.next:
		return &ChainError{Seq: w.next, Fault: FaultMissing}
	}
	evs, err := DecodeEvents(rec)
	if err != nil {
		return &ChainError{Seq: first, Fault: FaultAltered}
	}
	for i, ev := range evs {
		switch seq := first + int64(i); {
		case ev.Seq != seq && (i == 0 || ev.Seq < seq):
			return &ChainError{Seq: seq, Fault: FaultReordered}
		case ev.Seq != seq:
			return &ChainError{Seq: seq, Fault: FaultMissing}
		case ev.Hash != ev.digest() || ev.Prev != w.prev:
			return &ChainError{Seq: seq, Fault: FaultAltered}
		}
		if h, ok := w.want[ev.Seq]; ok && h != ev.Hash {
			return &ChainError{Seq: ev.Seq, Fault: FaultAltered}
		}
		w.prev = ev.Hash
	}
	value, terms, err := recordOf(evs, isBlock(rec.Value))
	if err != nil || !bytes.Equal(value, rec.Value) || rec.Version != 1 || !storage.SameTerms(rec.Terms, terms) {
		return &ChainError{Seq: first, Fault: FaultAltered}
	}
	for _, term := range terms {
		found, err := indexFinds(ctx, r, rec.ID, term)
		if err != nil {
			return err
		}
		if !found {
			return &ChainError{Seq: first, Fault: FaultAltered}
		}
	}
	w.next = first + int64(len(evs))
	return nil
}

// recordOf returns the canonical value and the index terms of the record
// holding evs, already chained: one event alone, or a block.
func recordOf(evs []Event, block bool) ([]byte, []storage.Term, error) {
	encoded := make([][]byte, len(evs))
	for i, ev := range evs {
		b, err := EncodeEvent(ev)
		if err != nil {
			return nil, nil, err
		}
		encoded[i] = b
	}
	if !block {
		return encoded[0], evs[0].terms(), nil
	}
	return blockValue(encoded), blockTerms(evs), nil
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
// It reads the index by patient and day, with a prefix query per run of days
// (a day, a month, a year, a decade ...; see dayCover), and sorts the events
// of each run in memory.
func Accounting(ctx context.Context, store storage.Store, patient string, from, to time.Time) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		inner, err := auditReader(ctx, store, "audit.accounting", patient)
		if err != nil {
			yield(Event{}, err)
			return
		}
		for _, days := range dayCover(from, to) {
			evs, err := accountDays(ctx, inner, patient, days, from, to)
			if err != nil {
				yield(Event{}, err)
				return
			}
			for _, ev := range evs {
				if !yield(ev, nil) {
					return
				}
			}
		}
	}
}

// accountDays returns patient's events with from <= Time < to of the days
// whose key starts with days, by time (then chain order).
func accountDays(ctx context.Context, r storage.Reader, patient, days string, from, to time.Time) ([]Event, error) {
	var out []Event
	q := storage.Query{Type: AuditEventType, Filters: []storage.Filter{{Term: patientTerm, Op: storage.Prefix, Value: patient + "|" + days}},
		Limit: verifyPage}
	for {
		page, err := r.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			evs, err := DecodeEvents(rec)
			if err != nil {
				return nil, err
			}
			for _, ev := range evs {
				// A block found by this run of days may hold events of the
				// patient on days of another run: those are that run's.
				if ev.Patient == patient && !ev.Time.Before(from) && ev.Time.Before(to) &&
					strings.HasPrefix(storage.UpdatedKey(ev.Time), days) {
					out = append(out, ev)
				}
			}
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	slices.SortFunc(out, func(a, b Event) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	return out, nil
}

// Bounds of the days storage.UpdatedKey renders with four-digit years.
var (
	firstDay = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	lastDay  = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

// dayCover returns, oldest first, prefixes of day keys ("2006-01-02") whose
// days together are exactly the days from <= t < to touches: whole decades,
// years, months or runs of ten days where they fit in, single days at the
// edges. Each is one prefix query of the patient term.
func dayCover(from, to time.Time) []string {
	from, to = from.UTC(), to.UTC().Add(-time.Nanosecond)
	if from.Before(firstDay) {
		from = firstDay
	}
	if to.After(lastDay) {
		to = lastDay
	}
	if to.Before(from) {
		return nil
	}
	lo, hi := dayKey(from), dayKey(to)
	// before and after are the valid days next to the period; a prefix is
	// inside it when all its completions, valid days or not, lie between.
	before, after := "", "\xff"
	if lo > dayKey(firstDay) {
		before = dayKey(from.AddDate(0, 0, -1))
	}
	if hi < dayKey(lastDay) {
		after = dayKey(to.AddDate(0, 0, 1))
	}
	var out []string
	var cover func(prefix string)
	cover = func(prefix string) {
		low, high := prefix+dayLow[len(prefix):], prefix+dayHigh[len(prefix):]
		switch {
		case high < lo || low > hi:
		case low > before && high < after:
			out = append(out, prefix)
		case dayLow[len(prefix)] == '-':
			cover(prefix + "-")
		default:
			for d := byte('0'); d <= dayHigh[len(prefix)]; d++ {
				cover(prefix + string(d))
			}
		}
	}
	cover("")
	return out
}

// The smallest and greatest completions of a day key's prefix (the tens of
// a month are at most 1, of a day at most 3).
const (
	dayLow  = "0000-00-00"
	dayHigh = "9999-19-39"
)

func dayKey(t time.Time) string {
	var b [dayKeyLen]byte
	day := t.UTC().AppendFormat(b[:0], storage.TimeLayout[:dayKeyLen])
	return string(day[:dayKeyLen]) // the prefix of storage.UpdatedKey, whatever the year's width
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
