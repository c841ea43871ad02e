package access

import (
	"context"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Unwrapper is implemented by store decorators (metrics, tracing, caches)
// that want operation-level checks to keep working beneath them: Require and
// Note follow Unwrap until they reach a guarded store (Guard) or a trusted one
// (Trusted). A decorator that does not implement it makes every operation
// check fail closed.
type Unwrapper interface {
	// Unwrap returns the store the decorator wraps.
	Unwrap() storage.Store
}

// TxUnwrapper is the transaction counterpart of Unwrapper: a decorator's
// transaction implements it so that Note finds the guarded transaction
// beneath it.
type TxUnwrapper interface {
	// Unwrap returns the transaction the decorator wraps.
	Unwrap() storage.Tx
}

// Trusted marks store as trusted: operation-level permission checks (Require)
// pass for any principal and semantic audit events (Note) are not written.
// It is the one way to run services without a policy — tests, tools and
// migrations that own the data. It does not check records: use Guard for
// anything acting on behalf of users.
func Trusted(store storage.Store) storage.Store { return &systemStore{store} }

// systemStore is a trusted store (see Trusted).
type systemStore struct{ storage.Store }

// Unwrap returns the trusted store.
func (s *systemStore) Unwrap() storage.Store { return s.Store }

// Update runs fn in a transaction that Note recognises as trusted.
func (s *systemStore) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	return s.Store.Update(ctx, func(tx storage.Tx) error { return fn(systemTx{Tx: tx, store: s.Store}) })
}

// systemTx is a transaction of a trusted store.
type systemTx struct {
	storage.Tx
	store storage.Store // the trusted store, for GetVersion
}

// Require checks that the principal in ctx holds the operation permission
// perm for the patient compartment ("" for none).
//
// Require looks through store's decorators (Unwrapper) for the guard. On a
// guarded store (built by Guard) the policy decides: a role of the principal
// must hold perm and reach the compartment (scope, consent, or an active
// break-the-glass grant), and the decision, allowed or denied, is audited with
// action perm. The audit event is queued and written in the background (Flush
// waits for it), so Require may be called inside or outside a transaction;
// the act itself is then recorded by Note in the transaction that performs
// it. On a trusted store (Trusted) Require only checks that a principal is
// present. Any other store — a bare backend, or a decorator without Unwrap —
// is refused with ReasonUntrusted: a check never fails open.
//
// With no principal in ctx it fails with a *DeniedError wrapping
// ehrkit.ErrUnauthenticated; a refusal wraps ehrkit.ErrPermission.
func Require(ctx context.Context, store storage.Store, perm Permission, compartment string) error {
	p, ok := PrincipalFrom(ctx)
	g, trusted := find(store)
	if g == nil {
		switch {
		case !ok:
			return &DeniedError{Action: string(perm), Compartment: compartment, Reason: ReasonUnauthenticated}
		case !trusted:
			return &DeniedError{Principal: p.ID, Action: string(perm), Compartment: compartment, Reason: ReasonUntrusted}
		}
		return nil
	}
	ev := g.event(ctx, p, string(perm))
	ev.Patient = compartment
	var d decision
	if !ok {
		d.reason = ReasonUnauthenticated
	} else {
		var err error
		if d, err = g.storeChecker(p).permission(ctx, perm, compartment); err != nil {
			return err
		}
	}
	ev.Grant = d.grant
	var err error
	if d.reason != "" {
		err = denied(&ev, d.reason)
	}
	_ = g.batch.add([]Event{ev}, false, false)
	return err
}

// find follows store's Unwrap chain to the guard, or reports whether it ends
// at a trusted store.
func find(store storage.Store) (g *Store, trusted bool) {
	for store != nil {
		switch s := store.(type) {
		case *Store:
			return s, false
		case *systemStore:
			return nil, true
		case Unwrapper:
			store = s.Unwrap()
		default:
			return nil, false
		}
	}
	return nil, false
}

// Note appends a semantic audit event (action such as "patient.merge" or
// "rx.override", the patient compartment concerned, and a detail holding
// opaque ids only) in tx, so it commits with the change it describes. tx must
// come from a guarded store's Update (or a decorator's transaction that
// unwraps to one, see TxUnwrapper); in a trusted store's transaction (Trusted)
// Note writes nothing; any other transaction is refused with ReasonUntrusted.
// It fails with ErrUnauthenticated when ctx carries no principal.
func Note(ctx context.Context, tx storage.Tx, action, compartment, detail string) error {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return &DeniedError{Action: action, Compartment: compartment, Reason: ReasonUnauthenticated}
	}
	t, trusted := guardedTx(tx)
	switch {
	case trusted:
		return nil
	case t == nil:
		return &DeniedError{Principal: p.ID, Action: action, Compartment: compartment, Reason: ReasonUntrusted}
	}
	var v ehrkit.Issues
	v.Required("action", action != "")
	v.Check(compartment == "" || storage.ValidID(compartment), "compartment", ehrkit.IssueValue, "malformed compartment id")
	if err := v.Err(); err != nil {
		return err
	}
	ev := t.g.event(ctx, p, action)
	ev.Patient, ev.Reason = compartment, detail
	t.log = append(t.log, txEvent{Event: ev})
	return nil
}

// guardedTx follows tx's Unwrap chain to a guarded store's transaction, or
// reports whether it ends at a trusted store's.
func guardedTx(tx storage.Tx) (t *guardTx, trusted bool) {
	for {
		switch x := tx.(type) {
		case *guardTx:
			return x, false
		case systemTx:
			return nil, true
		case TxUnwrapper:
			tx = x.Unwrap()
		default:
			return nil, false
		}
	}
}

// RequireIn is Require for a check made inside a transaction, on the
// transaction's principal: the policy decides as for Require, reading
// through tx, and the decision is audited with the transaction instead of
// beside it. An allowed check's event commits with what the transaction
// writes (nothing of it is kept if the transaction fails), and a refusal's
// event is written when the transaction ends, whatever its outcome, as for
// a refused read in the transaction. Unlike Require, RequireIn writes nothing
// to the audit chain while the transaction runs, so a long transaction that
// checks a permission for each of many records does not collide with its
// own checks' events. tx is a guarded store's transaction (or a decorator's
// that unwraps to one); in a trusted store's transaction only a principal
// must be present in ctx; any other transaction is refused with
// ReasonUntrusted.
func RequireIn(ctx context.Context, tx storage.Tx, perm Permission, compartment string) error {
	p, ok := PrincipalFrom(ctx)
	t, trusted := guardedTx(tx)
	switch {
	case !ok:
		return &DeniedError{Action: string(perm), Compartment: compartment, Reason: ReasonUnauthenticated}
	case trusted:
		return nil
	case t == nil:
		return &DeniedError{Principal: p.ID, Action: string(perm), Compartment: compartment, Reason: ReasonUntrusted}
	}
	ev := t.g.event(ctx, t.p, string(perm))
	ev.Patient = compartment
	d, err := t.c.permission(ctx, perm, compartment)
	if err != nil || d.reason != "" {
		return t.deny(ev, d, err)
	}
	ev.Grant = d.grant
	t.log = append(t.log, txEvent{Event: ev})
	return nil
}
