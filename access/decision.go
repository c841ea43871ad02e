package access

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Reason says why an access was denied.
type Reason string

// Denial reasons.
const (
	ReasonUnauthenticated Reason = "unauthenticated" // no principal in the context
	ReasonRole            Reason = "role"            // no role of the principal allows the action or permission
	ReasonScope           Reason = "compartment"     // the patient is outside the compartments the roles reach
	ReasonSensitive       Reason = "sensitive"       // the record carries a label the principal may not see
	ReasonConsent         Reason = "consent"         // the patient's consent denies this principal or role
	ReasonAppendOnly      Reason = "append-only"     // audit events and grants are written by the guard only
	ReasonUntrusted       Reason = "untrusted-store" // an operation check on a store neither guarded nor trusted (Require)
)

// DeniedError reports a refused access. It wraps ehrkit.ErrPermission, or
// ehrkit.ErrUnauthenticated when the context carried no principal. It holds
// opaque ids only.
type DeniedError struct {
	Principal   string // principal id, "" when unauthenticated
	Action      string // record action or operation permission
	Type, ID    string // the record concerned, if any
	Compartment string // the patient concerned, if any
	Reason      Reason
}

// Error describes the denial with ids only.
func (e *DeniedError) Error() string {
	s := "access: " + e.Action
	if e.Type != "" {
		s += " " + e.Type
		if e.ID != "" {
			s += "/" + e.ID
		}
	}
	if e.Compartment != "" {
		s += " of patient " + e.Compartment
	}
	if e.Principal != "" {
		s += " by " + e.Principal
	}
	return s + " denied: " + string(e.Reason)
}

// Unwrap returns ehrkit.ErrUnauthenticated or ehrkit.ErrPermission.
func (e *DeniedError) Unwrap() error {
	if e.Reason == ReasonUnauthenticated {
		return ehrkit.ErrUnauthenticated
	}
	return ehrkit.ErrPermission
}

// target is what a decision is about: a record (or its metadata from the
// change feed) or a bare compartment.
type target struct {
	typ, id     string
	compartment string
	labels      []string
	facility    string
	// facilityKnown is false when the facility must be looked up (a feed
	// entry, or a compartment as a whole).
	facilityKnown bool
}

func recordTarget(r storage.Record) target {
	return target{typ: r.Type, id: r.ID, compartment: r.Compartment, labels: r.Labels, facility: facilityOf(r), facilityKnown: true}
}

func facilityOf(r storage.Record) string {
	for _, t := range r.Terms {
		if t.Name == FacilityTerm {
			return t.Value
		}
	}
	return ""
}

// decision is the outcome of a check: allowed, or denied with a reason; grant
// names the break-the-glass grant that allowed it, if one did.
type decision struct {
	reason Reason // "" when allowed
	grant  string
}

// checker decides accesses of one principal, reading consents, grants and
// facilities through r (the store, or the transaction).
type checker struct {
	g *Store
	p Principal
	r storage.Reader
	// consent caches the consent of each compartment seen in one call,
	// made when a second compartment is met; first holds the first one's.
	consent map[string]*Consent
	first   compartmentConsent
	// cached: r is the store, not a transaction, and consents may come
	// from the guard's cache (WithConsentCache).
	cached bool
}

// checker decides through r, a transaction of the wrapped store.
func (g *Store) checker(p Principal, r storage.Reader) *checker {
	return &checker{g: g, p: p, r: r}
}

// compartmentConsent is the consent of one compartment (nil: none), once
// known.
type compartmentConsent struct {
	compartment string
	consent     *Consent
	known       bool
}

// seenConsent returns the consent of compartment read earlier in this call.
func (c *checker) seenConsent(compartment string) (*Consent, bool) {
	if c.first.known && c.first.compartment == compartment {
		return c.first.consent, true
	}
	cons, ok := c.consent[compartment]
	return cons, ok
}

// sawConsent keeps the consent of compartment for the rest of this call.
func (c *checker) sawConsent(compartment string, cons *Consent) {
	switch {
	case !c.first.known:
		c.first = compartmentConsent{compartment: compartment, consent: cons, known: true}
	case c.consent == nil:
		c.consent = map[string]*Consent{compartment: cons}
	default:
		c.consent[compartment] = cons
	}
}

// storeChecker decides outside a transaction, through the wrapped store.
func (g *Store) storeChecker(p Principal) *checker {
	c := g.checker(p, g.inner)
	c.cached = true
	return c
}

// record decides whether the principal may perform a on the target record.
func (c *checker) record(ctx context.Context, a Action, t target) (decision, error) {
	if guardOwned(t.typ) {
		if a != Read && a != Search {
			return decision{reason: ReasonAppendOnly}, nil
		}
		if len(c.g.policy.holds(c.p, PermAuditRead)) == 0 {
			return decision{reason: ReasonRole}, nil
		}
		return decision{}, nil
	}
	roles := c.g.policy.rolesFor(c.p, t.typ, a)
	if len(roles) == 0 {
		return decision{reason: ReasonRole}, nil
	}
	return c.compartment(ctx, roles, t)
}

// compartment applies scope, sensitivity and consent for the roles that
// allow the access, then falls back on a break-the-glass grant.
func (c *checker) compartment(ctx context.Context, roles []*role, t target) (decision, error) {
	if t.compartment == "" {
		return decision{reason: c.sensitive(t.labels)}, nil
	}
	reason, err := c.scope(ctx, roles, &t)
	if err != nil {
		return decision{}, err
	}
	if reason == "" {
		reason = c.sensitive(t.labels)
	}
	if reason == "" {
		if reason, err = c.consented(ctx, roles, t.compartment); err != nil {
			return decision{}, err
		}
	}
	if reason == "" {
		return decision{}, nil
	}
	grant, err := c.g.activeGrant(ctx, c.r, c.p, t.compartment)
	if err != nil || grant == "" {
		return decision{reason: reason}, err
	}
	return decision{grant: grant}, nil
}

// scope returns ReasonScope unless a role reaches the target's compartment.
func (c *checker) scope(ctx context.Context, roles []*role, t *target) (Reason, error) {
	var s Scope
	for _, r := range roles {
		s |= r.Scope
	}
	switch {
	case s&ScopeAll != 0,
		s&ScopeOwn != 0 && c.p.Patient != "" && t.compartment == c.p.Patient,
		s&ScopeCareTeam != 0 && slices.Contains(c.p.CareTeam, t.compartment):
		return "", nil
	case s&ScopeFacility == 0 || c.p.Facility == "":
		return ReasonScope, nil
	}
	if !t.facilityKnown {
		f, err := c.facility(ctx, *t)
		if err != nil {
			return "", err
		}
		t.facility, t.facilityKnown = f, true
	}
	if t.facility != c.p.Facility {
		return ReasonScope, nil
	}
	return "", nil
}

// facility looks up the facility of a target known only by its metadata: the
// record's version when the target is a record, else the compartment's root
// record.
func (c *checker) facility(ctx context.Context, t target) (string, error) {
	f, _, err := c.lookup(ctx, t)
	return f, err
}

// lookup is facility, also reporting whether the record looked up exists.
func (c *checker) lookup(ctx context.Context, t target) (string, bool, error) {
	typ, id := RootType, t.compartment
	if t.typ != "" && t.id != "" {
		typ, id = t.typ, t.id
	}
	rec, err := c.r.Get(ctx, typ, id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return facilityOf(rec), true, nil
}

// sensitive returns ReasonSensitive if a label needs a permission the
// principal does not hold.
func (c *checker) sensitive(labels []string) Reason {
	for _, l := range labels {
		if perm, ok := c.g.policy.sensitive[l]; ok && len(c.g.policy.holds(c.p, perm)) == 0 {
			return ReasonSensitive
		}
	}
	return ""
}

// consented returns ReasonConsent when the patient's consent denies the
// principal or one of the roles used. Consents bind people, not systems.
func (c *checker) consented(ctx context.Context, roles []*role, compartment string) (Reason, error) {
	if c.p.Kind == System {
		return "", nil
	}
	cons, ok := c.seenConsent(compartment)
	if !ok {
		var err error
		if c.cached && c.g.consents.bound > 0 {
			cons, err = c.g.consents.get(ctx, c.r, c.g.clock.Now(), compartment)
		} else {
			cons, err = loadConsent(ctx, c.r, compartment)
		}
		if err != nil {
			return "", err
		}
		c.sawConsent(compartment, cons)
	}
	if cons == nil || cons.Patient == c.p.Patient && c.p.Patient != "" {
		return "", nil
	}
	if slices.Contains(cons.DenyPrincipals, c.p.ID) {
		return ReasonConsent, nil
	}
	for _, r := range roles {
		if slices.Contains(cons.DenyRoles, r.Name) {
			return ReasonConsent, nil
		}
	}
	return "", nil
}

// permission decides an operation permission for a compartment ("" = none).
func (c *checker) permission(ctx context.Context, perm Permission, compartment string) (decision, error) {
	roles := c.g.policy.holds(c.p, perm)
	if len(roles) == 0 {
		return decision{reason: ReasonRole}, nil
	}
	return c.compartment(ctx, roles, target{compartment: compartment})
}

// jsonValue encodes v for an event payload.
func jsonValue(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
