package access

import (
	"context"
	"slices"
	"strings"

	"github.com/ehrkit/ehrkit/storage"
)

// Act checks, inside tx, that the principal in ctx holds the operation
// permission perm for the first of the patient compartments (as Require
// does: role, scope, consent or an active break-the-glass grant), and returns
// the transaction in which the service performs the act. Reads and writes of
// records in the named compartments go through it unchecked at record level:
// the act, not the record, is what the principal was allowed. That is how a
// merge moves records its caller may not read (allergies moved by the front
// desk) and how a service writes the bookkeeping records of an act (a
// schedule's day ledger, a medication ledger) that no role writes directly.
// Records of other compartments are checked as usual. Every write is still
// audited, attributed to the principal, with the act in its reason, and the
// permission decision is audited in tx.
//
// Services call Act after validating and before writing, with the
// compartments the act touches ("" for records of no patient). On a trusted
// store's transaction (Trusted) Act only needs a principal; on a transaction
// that is neither guarded nor trusted it fails with ReasonUntrusted.
func Act(ctx context.Context, tx storage.Tx, perm Permission, compartments ...string) (storage.Tx, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return nil, &DeniedError{Action: string(perm), Compartment: first(compartments), Reason: ReasonUnauthenticated}
	}
	for {
		switch x := tx.(type) {
		case *guardTx:
			return x.act(ctx, perm, compartments)
		case systemTx:
			return x, nil
		case TxUnwrapper:
			tx = x.Unwrap()
		default:
			return nil, &DeniedError{Principal: p.ID, Action: string(perm), Compartment: first(compartments), Reason: ReasonUntrusted}
		}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// act decides perm for the act's compartments and returns the act's
// transaction.
func (t *guardTx) act(ctx context.Context, perm Permission, compartments []string) (storage.Tx, error) {
	ev := t.g.event(ctx, t.p, string(perm))
	for _, c := range compartments {
		if c == "" {
			continue
		}
		ev.Patient = c
		d, err := t.c.permission(ctx, perm, c)
		if err != nil || d.reason != "" {
			return nil, t.deny(ev, d, err)
		}
		ev.Grant = d.grant
		break // the first compartment decides; the others are moved into or out of it
	}
	if ev.Patient == "" {
		d, err := t.c.permission(ctx, perm, "")
		if err != nil || d.reason != "" {
			return nil, t.deny(ev, d, err)
		}
	}
	t.log = append(t.log, txEvent{Event: ev})
	return &actTx{t: t, perm: perm, compartments: compartments}, nil
}

// actTx is the transaction of an act (see Act).
type actTx struct {
	t            *guardTx
	perm         Permission
	compartments []string
}

func (a *actTx) covers(compartment string) bool { return slices.Contains(a.compartments, compartment) }

// Unwrap returns the guarded transaction, so that Note and Act work inside an act.
func (a *actTx) Unwrap() storage.Tx { return a.t }

// record notes a read or write of the act in the audit log.
func (a *actTx) record(ctx context.Context, action Action, rec storage.Record, read bool) {
	ev := a.t.g.event(ctx, a.t.p, string(action))
	ev.Type, ev.ID, ev.Patient, ev.Version = rec.Type, rec.ID, rec.Compartment, rec.Version
	ev.Reason = "act " + string(a.perm)
	a.t.log = append(a.t.log, txEvent{Event: ev, read: read})
}

// Get reads a record of the act's compartments unchecked, others as usual.
func (a *actTx) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	rec, err := a.t.tx.Get(ctx, typ, id)
	if err != nil || !a.covers(rec.Compartment) {
		return a.t.Get(ctx, typ, id)
	}
	a.record(ctx, Read, rec, true)
	return rec, nil
}

// Query searches one of the act's compartments unchecked; any other query is
// checked as usual.
func (a *actTx) Query(ctx context.Context, q storage.Query) (storage.Page, error) {
	if q.Compartment == "" || !a.covers(q.Compartment) {
		return a.t.Query(ctx, q)
	}
	page, err := a.t.tx.Query(ctx, q)
	if err != nil {
		return storage.Page{}, err
	}
	ev := a.t.g.event(ctx, a.t.p, string(Search))
	ev.Type, ev.Patient, ev.Reason = q.Type, q.Compartment, "act "+string(a.perm)
	for _, rec := range page.Records {
		ev.Results = append(ev.Results, storage.Describe(rec))
	}
	a.t.log = append(a.t.log, txEvent{Event: ev, read: true})
	return page, nil
}

// Put writes a record of the act's compartments unchecked (the version it
// replaces must be in them too); any other write is checked as usual. A
// record without a FacilityTerm keeps the facility of the version it
// replaces or, if new, takes its patient's (the compartment's Patient record).
func (a *actTx) Put(ctx context.Context, rec storage.Record, expect int64) (storage.Record, error) {
	if err := storage.ValidateRecord(rec); err != nil {
		return storage.Record{}, err
	}
	cur, exists, err := a.t.current(ctx, rec.Type, rec.ID)
	if err != nil {
		return storage.Record{}, err
	}
	if !a.covers(rec.Compartment) || exists && !a.covers(cur.Compartment) || rec.Type == ConsentType || guardOwned(rec.Type) {
		return a.t.Put(ctx, rec, expect)
	}
	if f := facilityOf(cur); facilityOf(rec) == "" {
		if f == "" && rec.Compartment != "" { // a new record is of its patient's facility
			if f, err = a.t.c.facility(ctx, target{compartment: rec.Compartment}); err != nil {
				return storage.Record{}, err
			}
		}
		if f != "" {
			rec.Terms = append(slices.Clip(rec.Terms), storage.Term{Name: FacilityTerm, Value: f})
		}
	}
	out, err := a.t.tx.Put(ctx, rec, expect)
	if err != nil {
		return storage.Record{}, err
	}
	action := Create
	if exists {
		action = Update
	}
	a.record(ctx, action, out, false)
	return out, nil
}

// Delete deletes a record of the act's compartments unchecked; others are
// checked as usual.
func (a *actTx) Delete(ctx context.Context, typ, id string, expect int64) error {
	cur, exists, err := a.t.current(ctx, typ, id)
	if err != nil {
		return err
	}
	if !exists || !a.covers(cur.Compartment) || guardOwned(typ) {
		return a.t.Delete(ctx, typ, id, expect)
	}
	if err := a.t.tx.Delete(ctx, typ, id, expect); err != nil {
		return err
	}
	cur.Version++
	a.record(ctx, Delete, cur, false)
	return nil
}

// Emit emits an event of the act's compartments unchecked (audited as the
// act); any other event is checked as the guarded transaction checks it.
func (a *actTx) Emit(ctx context.Context, e storage.Event) error {
	if !a.covers(e.Compartment) || strings.HasPrefix(e.Topic, "access.") {
		return a.t.Emit(ctx, e)
	}
	if err := a.t.tx.Emit(ctx, e); err != nil {
		return err
	}
	ev := a.t.g.event(ctx, a.t.p, "emit")
	ev.Patient, ev.Results, ev.Reason = e.Compartment, []string{describeEvent(e)}, "act "+string(a.perm)
	a.t.log = append(a.t.log, txEvent{Event: ev})
	return nil
}

// GetVersion returns one version of a record (tombstones included) for the
// service working in tx, which may need a past version a transaction cannot
// read (an unmerge restores what a merge rewrote). Inside an act (Act) a
// version whose compartment, and the current version's, are the act's is
// read unchecked and audited as the act; in any other guarded transaction it
// is checked as Store.GetVersion checks it; in a trusted store's transaction
// it is read from that store. Past versions never change, so reading one
// outside the transaction is exact. Any other transaction is refused with
// ReasonUntrusted.
func GetVersion(ctx context.Context, tx storage.Tx, typ, id string, version int64) (storage.Record, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return storage.Record{}, &DeniedError{Action: string(Read), Type: typ, ID: id, Reason: ReasonUnauthenticated}
	}
	for {
		switch x := tx.(type) {
		case *actTx:
			return x.getVersion(ctx, typ, id, version)
		case *guardTx:
			return x.getVersion(ctx, typ, id, version)
		case systemTx:
			return storage.Versions(x.Tx, x.store).GetVersion(ctx, typ, id, version)
		case TxUnwrapper:
			tx = x.Unwrap()
		default:
			return storage.Record{}, &DeniedError{Principal: p.ID, Action: string(Read), Type: typ, ID: id, Reason: ReasonUntrusted}
		}
	}
}

// getVersion reads a version of the act's compartments unchecked; any other
// is checked as the guarded transaction checks it.
func (a *actTx) getVersion(ctx context.Context, typ, id string, version int64) (storage.Record, error) {
	rec, err := storage.Versions(a.t.tx, a.t.g.inner).GetVersion(ctx, typ, id, version)
	if err != nil {
		return storage.Record{}, err
	}
	cur, exists, err := a.t.current(ctx, typ, id)
	if err != nil {
		return storage.Record{}, err
	}
	if !a.covers(rec.Compartment) || exists && !a.covers(cur.Compartment) || guardOwned(typ) {
		return a.t.getVersion(ctx, typ, id, version)
	}
	a.record(ctx, Read, rec, true)
	return rec, nil
}

// getVersion reads a version as Store.GetVersion does, auditing the read in
// the transaction.
func (t *guardTx) getVersion(ctx context.Context, typ, id string, version int64) (storage.Record, error) {
	ev := t.g.event(ctx, t.p, string(Read))
	ev.Type, ev.ID = typ, id
	if d, err := t.c.record(ctx, Read, target{typ: typ, id: id}); err != nil || d.reason != "" {
		return storage.Record{}, t.deny(ev, d, err)
	}
	recs, err := versionAndCurrent(ctx, storage.Versions(t.tx, t.g.inner), typ, id, version)
	if err != nil {
		return storage.Record{}, err
	}
	for _, rec := range recs {
		ev.Patient, ev.Version = rec.Compartment, rec.Version
		d, err := t.c.record(ctx, Read, recordTarget(rec))
		if err != nil || d.reason != "" {
			return storage.Record{}, t.deny(ev, d, err)
		}
		ev.Grant = d.grant
	}
	t.log = append(t.log, txEvent{Event: ev, read: true})
	return recs[len(recs)-1], nil
}
