package access

import (
	"context"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Require checks that the principal in ctx holds the operation permission
// perm for the patient compartment ("" for none).
//
// On a guarded store (built by Guard) the policy decides: a role of the
// principal must hold perm and reach the compartment (scope, consent, or an
// active break-the-glass grant), and the decision, allowed or denied, is
// audited with action perm. The audit event is queued and written in the
// background (Flush waits for it), so Require may be called inside or outside
// a transaction; the act itself is then recorded by Note in the transaction
// that performs it. On any other store Require only checks that a principal is
// present: permissions are the guard's business, and an unguarded store is a
// trusted one (tests, tools, migrations).
//
// With no principal in ctx it fails with a *DeniedError wrapping
// ehrkit.ErrUnauthenticated; a refusal wraps ehrkit.ErrPermission.
func Require(ctx context.Context, store storage.Store, perm Permission, compartment string) error {
	p, ok := PrincipalFrom(ctx)
	g, guarded := store.(*Store)
	if !guarded {
		if !ok {
			return &DeniedError{Action: string(perm), Compartment: compartment, Reason: ReasonUnauthenticated}
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
		if d, err = g.checker(p, g.inner).permission(ctx, perm, compartment); err != nil {
			return err
		}
	}
	ev.Grant = d.grant
	var err error
	if d.reason != "" {
		err = denied(&ev, d.reason)
	}
	_ = g.batch.add([]Event{ev}, false)
	return err
}

// Note appends a semantic audit event (action such as "patient.merge" or
// "rx.override", the patient compartment concerned, and a detail holding
// opaque ids only) in tx, so it commits with the change it describes. tx must
// come from a guarded store's Update; for any other transaction Note does
// nothing. It fails with ErrUnauthenticated when ctx carries no principal.
func Note(ctx context.Context, tx storage.Tx, action, compartment, detail string) error {
	t, ok := tx.(*guardTx)
	if !ok {
		return nil
	}
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return &DeniedError{Action: action, Compartment: compartment, Reason: ReasonUnauthenticated}
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
