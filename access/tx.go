package access

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Update runs fn in a transaction of the wrapped store. Every read and write
// fn makes through its Tx is checked, and their audit events are appended to
// the chain in the same transaction, after fn returns: a write and its audit
// event commit together or not at all. Denials, and the reads of a
// transaction that did not commit, are audited after it ended.
//
// Every audited transaction advances the chain head, taken when the
// transaction starts, so audited transactions that overlap in time collide on
// it and the later one runs fn again (at most 40 times), like any optimistic
// transaction: fn must have no effect outside tx. This makes the guarded
// transactions that write serializable with each other: what fn read (a
// patient not merged yet, a consent) still holds when it commits, whichever
// records the competing transactions wrote.
// Inside fn use tx, never the store itself: on single-writer backends a store
// call waiting for its audit write would wait for fn.
func (g *Store) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	ev := Event{Action: "transaction"}
	p, err := g.begin(ctx, &ev)
	if err != nil {
		return err
	}
	raced := false // the last attempt lost the race for the audit chain head
	return ehrkit.RetryIf(ctx, maxAttempts, func(error) bool { return raced }, func() error {
		t := &guardTx{g: g, p: p}
		var head anchor
		err := g.inner.Update(ctx, func(tx storage.Tx) error {
			t.tx, t.c = tx, g.checker(p, tx)
			// The head is taken before fn runs: if another audited
			// transaction commits while fn runs, the positions this one
			// appends at are taken and it runs again (see Update).
			h, err := g.chain.headIn(ctx, tx)
			if err != nil {
				return err
			}
			if err := fn(t); err != nil {
				return err
			}
			if len(t.log) == 0 {
				return nil
			}
			evs, err := encodeEvents(t.events())
			if err != nil {
				return err
			}
			head, err = appendEvents(ctx, tx, h, evs, 1)
			t.chainConflict = errors.Is(err, ehrkit.ErrConflict)
			return err
		})
		g.consents.invalidate(t.consentsWritten)
		if err == nil && len(t.log) > 0 {
			g.chain.committed(head)
		}
		raced = err != nil && (t.chainConflict || isChainConflict(err))
		if raced {
			g.chain.forget()
		}
		after := t.denials
		if err != nil {
			after = append(t.reads(), after...)
		}
		if aerr := g.audit(after...); aerr != nil {
			raced = false
			return errors.Join(err, aerr)
		}
		return err
	})
}

// txEvent is an audit event waiting for the end of a transaction.
type txEvent struct {
	Event
	read bool
}

// guardTx checks and records the calls of one transaction.
type guardTx struct {
	g             *Store
	p             Principal
	tx            storage.Tx
	c             *checker
	log           []txEvent
	denials       []Event
	chainConflict bool
	// consentsWritten are the compartments whose Consent the transaction
	// wrote: their cached consents are dropped when it ends.
	consentsWritten []string
}

func (t *guardTx) events() []Event {
	out := make([]Event, len(t.log))
	for i, e := range t.log {
		out[i] = e.Event
	}
	return out
}

func (t *guardTx) reads() []Event {
	var out []Event
	for _, e := range t.log {
		if e.read {
			out = append(out, e.Event)
		}
	}
	return out
}

// deny records the denial of ev and returns its error.
func (t *guardTx) deny(ev Event, d decision, err error) error {
	if err != nil {
		return err
	}
	derr := denied(&ev, d.reason)
	t.denials = append(t.denials, ev)
	return derr
}

// Get reads a record the principal may read.
func (t *guardTx) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	ev := t.g.event(ctx, t.p, string(Read))
	ev.Type, ev.ID = typ, id
	if d, err := t.c.record(ctx, Read, target{typ: typ, id: id}); err != nil || d.reason != "" {
		return storage.Record{}, t.deny(ev, d, err)
	}
	rec, err := t.tx.Get(ctx, typ, id)
	if err != nil {
		return storage.Record{}, err
	}
	ev.Patient, ev.Version = rec.Compartment, rec.Version
	d, err := t.c.record(ctx, Read, recordTarget(rec))
	if err != nil || d.reason != "" {
		return storage.Record{}, t.deny(ev, d, err)
	}
	ev.Grant = d.grant
	t.log = append(t.log, txEvent{Event: ev, read: true})
	return rec, nil
}

// Query searches as Store.Query does, within the transaction.
func (t *guardTx) Query(ctx context.Context, q storage.Query) (storage.Page, error) {
	ev := t.g.event(ctx, t.p, string(Search))
	page, err := t.g.query(ctx, t.c, t.tx, q, &ev)
	if err != nil {
		return storage.Page{}, t.deny(ev, decision{reason: reasonOf(err)}, errOnly(err))
	}
	t.log = append(t.log, txEvent{Event: ev, read: true})
	return page, nil
}

// current returns the current version of a record and whether it exists.
func (t *guardTx) current(ctx context.Context, typ, id string) (storage.Record, bool, error) {
	cur, err := t.tx.Get(ctx, typ, id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		return storage.Record{}, false, nil
	}
	return cur, err == nil, err
}

// Put writes a record the principal may create or update: for an update both
// the version replaced and the new one must be allowed, so a record cannot be
// moved into or out of a compartment the principal does not reach. A record
// entering a patient compartment (created in it, or moved into it) must also
// be allowed for the compartment as a whole — its facility (that of its root
// record, RootType) and its consent — not only for the facility the record
// names: a writer cannot place records in a chart it may not read. (A
// compartment whose root record does not exist yet is the writer's: the
// records of a registration may come before the patient record.) A record
// without a FacilityTerm keeps the facility of the version it replaces or, if
// new, gets its compartment's (the principal's for a record of no
// compartment, or for a compartment's root record).
func (t *guardTx) Put(ctx context.Context, rec storage.Record, expect int64) (storage.Record, error) {
	if err := storage.ValidateRecord(rec); err != nil {
		return storage.Record{}, err
	}
	cur, exists, err := t.current(ctx, rec.Type, rec.ID)
	if err != nil {
		return storage.Record{}, err
	}
	a := Create
	if exists {
		a = Update
	}
	ev := t.g.event(ctx, t.p, string(a))
	ev.Type, ev.ID, ev.Patient = rec.Type, rec.ID, rec.Compartment
	if exists {
		ev.Patient = cur.Compartment
		if d, err := t.c.record(ctx, a, recordTarget(cur)); err != nil || d.reason != "" {
			return storage.Record{}, t.deny(ev, d, err)
		}
	}
	entering := rec.Compartment != "" && (!exists || cur.Compartment != rec.Compartment) && !isRoot(rec)
	home := facilityOf(cur)
	if entering {
		// The compartment's facility; a compartment whose root record does
		// not exist yet is being registered, by the writer.
		f, registered, err := t.c.lookup(ctx, target{compartment: rec.Compartment})
		if err != nil {
			return storage.Record{}, err
		}
		if home = f; !registered {
			home = t.p.Facility
		}
	}
	if facilityOf(rec) == "" {
		if f := cmp.Or(home, t.p.Facility); f != "" {
			rec.Terms = append(slices.Clip(rec.Terms), storage.Term{Name: FacilityTerm, Value: f})
		}
	}
	ev.Patient = rec.Compartment
	d, err := t.c.record(ctx, a, recordTarget(rec))
	if err == nil && d.reason == "" && entering {
		// A record entering a compartment is scoped by the compartment as a
		// whole (its facility, its consent), whatever facility it names.
		d, err = t.c.record(ctx, a, target{typ: rec.Type, compartment: rec.Compartment, labels: rec.Labels, facility: home, facilityKnown: true})
	}
	if err != nil || d.reason != "" {
		return storage.Record{}, t.deny(ev, d, err)
	}
	if rec.Type == ConsentType {
		if err := checkConsentRecord(rec); err != nil {
			return storage.Record{}, err
		}
	}
	if rec.Type == ConsentType {
		t.consentsWritten = append(t.consentsWritten, rec.ID)
	}
	out, err := t.tx.Put(ctx, rec, expect)
	if err != nil {
		return storage.Record{}, err
	}
	ev.Version, ev.Grant = out.Version, d.grant
	t.log = append(t.log, txEvent{Event: ev})
	if exists && cur.Compartment != rec.Compartment && cur.Compartment != "" {
		moved := ev
		moved.Patient, moved.Reason = cur.Compartment, "moved to another compartment"
		t.log = append(t.log, txEvent{Event: moved})
	}
	return out, nil
}

// Delete deletes a record the principal may delete.
func (t *guardTx) Delete(ctx context.Context, typ, id string, expect int64) error {
	ev := t.g.event(ctx, t.p, string(Delete))
	ev.Type, ev.ID = typ, id
	cur, exists, err := t.current(ctx, typ, id)
	if err != nil {
		return err
	}
	tg := target{typ: typ, id: id}
	if exists {
		tg = recordTarget(cur)
		ev.Patient = cur.Compartment
	}
	if d, err := t.c.record(ctx, Delete, tg); err != nil || d.reason != "" {
		return t.deny(ev, d, err)
	}
	if typ == ConsentType {
		t.consentsWritten = append(t.consentsWritten, id)
	}
	if err := t.tx.Delete(ctx, typ, id, expect); err != nil {
		return err
	}
	ev.Version = cur.Version + 1
	t.log = append(t.log, txEvent{Event: ev})
	return nil
}

// Emit appends an event to the change feed if the principal may emit its
// topic: a role of the principal must be allowed to write a record type of a
// group that declares the topic, and reach the event's compartment (scope,
// consent, or a break-the-glass grant). Topics starting with "access." are the
// guard's own and refused. The event is audited in the transaction, like a
// write.
func (t *guardTx) Emit(ctx context.Context, e storage.Event) error {
	ev := t.g.event(ctx, t.p, "emit")
	ev.Patient, ev.Results = e.Compartment, []string{describeEvent(e)}
	if strings.HasPrefix(e.Topic, "access.") {
		return t.deny(ev, decision{reason: ReasonAppendOnly}, nil)
	}
	d := decision{reason: ReasonRole}
	var err error
	if roles := t.g.policy.emitters(t.p, e.Topic); len(roles) > 0 {
		d, err = t.c.compartment(ctx, roles, target{compartment: e.Compartment})
	}
	if err != nil || d.reason != "" {
		return t.deny(ev, d, err)
	}
	if err := t.tx.Emit(ctx, e); err != nil {
		return err
	}
	ev.Grant = d.grant
	t.log = append(t.log, txEvent{Event: ev})
	return nil
}

// describeEvent names a feed event in audit results: "event:topic/key".
func describeEvent(e storage.Event) string {
	return describeChange(storage.Change{Kind: storage.ChangeEvent, Topic: e.Topic, Key: e.Key})
}

// isRoot reports whether rec is the root record of its compartment
// (RootType, id the compartment's).
func isRoot(rec storage.Record) bool { return rec.Type == RootType && rec.ID == rec.Compartment }
