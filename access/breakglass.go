package access

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// TopicBreakGlass is the change-feed topic of break-the-glass grants; a
// privacy officer's notifier consumes it. Its payload is the Grant as JSON.
const TopicBreakGlass = "access.break-glass"

// MinBreakGlassReason is the least number of characters (Unicode code
// points, leading and trailing space not counted) of a break-the-glass reason:
// enough for a few words ("cardiac arrest"), so that the privacy officer
// reviewing the grant reads why, not a placeholder.
const MinBreakGlassReason = 10

// Grant is a break-the-glass grant: emergency access of one principal to one
// patient's records, for a limited time.
type Grant struct {
	ID        string    `json:"id"`
	Principal string    `json:"principal"`
	Patient   string    `json:"patient"`
	Reason    string    `json:"reason"`
	Granted   time.Time `json:"granted"`
	Expires   time.Time `json:"expires"`
}

var grants = storage.Kind[Grant]{
	Type: GrantType, Version: 1,
	Meta: func(g *Grant) storage.Meta {
		return storage.Meta{ID: g.ID, Terms: []storage.Term{
			{Name: "principal", Value: g.Principal},
			{Name: "patient", Value: g.Patient},
			{Name: "expires", Value: storage.UpdatedKey(g.Expires)},
		}}
	},
}

// BreakGlass grants the principal in ctx emergency access to patient's
// records for the store's break-the-glass duration (WithBreakGlassDuration).
// The principal needs PermBreakGlass, the patient's root record (RootType)
// must exist, and the reason must have MinBreakGlassReason characters or
// more once trimmed. While the grant lasts, the
// principal's roles reach the patient's compartment whatever their scope,
// sensitive labels and consent; record types and actions the roles do not
// allow stay denied. The grant is stored, audited (purpose ETREAT), and
// emitted on TopicBreakGlass in the same transaction.
func (g *Store) BreakGlass(ctx context.Context, patient, reason string) (Grant, error) {
	p, ok := PrincipalFrom(ctx)
	ev := g.event(ctx, p, string(PermBreakGlass))
	ev.Patient, ev.Purpose, ev.Reason = patient, PurposeEmergency, reason
	if !ok || len(g.policy.holds(p, PermBreakGlass)) == 0 {
		return Grant{}, g.deny(ev, ok, ReasonRole)
	}
	var v ehrkit.Issues
	v.Required("patient", patient != "")
	v.Check(patient == "" || storage.ValidID(patient), "patient", ehrkit.IssueValue, "malformed patient id")
	reason = strings.TrimSpace(reason)
	v.Required("reason", reason != "")
	v.Check(reason == "" || utf8.RuneCountInString(reason) >= MinBreakGlassReason, "reason", ehrkit.IssueValue,
		"a reason needs at least %d characters", MinBreakGlassReason)
	if storage.ValidID(patient) {
		if _, err := g.inner.Get(ctx, RootType, patient); errors.Is(err, ehrkit.ErrNotFound) {
			v.Add("patient", ehrkit.IssueValue, "no such patient")
		} else if err != nil {
			return Grant{}, err
		}
	}
	if err := v.Err(); err != nil {
		return Grant{}, err
	}
	ev.Reason = reason
	now := g.now()
	gr := Grant{ID: g.ids.NewID(), Principal: p.ID, Patient: patient, Reason: reason, Granted: now, Expires: now.Add(g.glass)}
	ev.Grant = gr.ID
	err := g.appendWith(ctx, func(tx storage.Tx) error {
		if _, err := grants.Put(ctx, tx, &gr, 0); err != nil {
			return err
		}
		return tx.Emit(ctx, storage.Event{Topic: TopicBreakGlass, Key: gr.ID, Compartment: patient, Payload: jsonValue(gr)})
	}, ev)
	if err != nil {
		return Grant{}, err
	}
	return gr, nil
}

// activeGrant returns the id of an unexpired grant of p to the patient, or "".
func (g *Store) activeGrant(ctx context.Context, r storage.Reader, p Principal, patient string) (string, error) {
	now := g.now()
	q := storage.Query{Type: GrantType, Filters: []storage.Filter{
		{Term: "principal", Op: storage.Eq, Value: p.ID},
		{Term: "patient", Op: storage.Eq, Value: patient},
		{Term: "expires", Op: storage.Gt, Value: storage.UpdatedKey(now)},
	}, Limit: 1}
	list, _, err := grants.Query(ctx, r, q)
	if err != nil || len(list) == 0 {
		return "", err
	}
	if !list[0].Expires.After(now) {
		return "", nil
	}
	return list[0].ID, nil
}
