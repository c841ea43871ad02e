package access

import (
	"context"
	"log/slog"
	"slices"
)

// PrincipalKind says whether a principal is a person or a program.
type PrincipalKind string

// Principal kinds.
const (
	// User is a person: a clinician, a clerk, a patient using a portal.
	User PrincipalKind = "user"
	// System is a program acting on its own behalf: an interface engine, a
	// feed worker, a scheduled job. Consents naming people do not apply to it.
	System PrincipalKind = "system"
)

// Principal is who acts. It travels in the context (WithPrincipal); a guarded
// store refuses every call whose context carries none.
type Principal struct {
	Kind    PrincipalKind // User or System
	ID      string        // stable id of the account, recorded in the audit trail
	Display string        // a name for audit reports; never logged by this package
	Roles   []string      // role names of the Policy, e.g. "physician"
	// Facility is the facility the principal works at; roles scoped to the
	// facility see the records whose FacilityTerm equals it.
	Facility string
	// Practitioner is the practitioner id the principal acts as, if any.
	Practitioner string
	// Patient is the patient id of a portal user: roles scoped to the own
	// compartment see only that patient's records.
	Patient string
	// CareTeam lists the patients (compartments) assigned to the principal.
	CareTeam []string
}

// HasRole reports whether the principal holds the role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// LogValue identifies the principal in logs by kind and id only.
func (p Principal) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", string(p.Kind)), slog.String("id", p.ID))
}

// String identifies the principal by kind and id only.
func (p Principal) String() string { return string(p.Kind) + "/" + p.ID }

type principalKey struct{}

type purposeKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal carried by ctx. ok is false when there is
// none, or when it has no id (an anonymous principal counts as none).
func PrincipalFrom(ctx context.Context) (p Principal, ok bool) {
	p, ok = ctx.Value(principalKey{}).(Principal)
	return p, ok && p.ID != ""
}

// Purposes of use recorded in audit events (HL7 v3 PurposeOfUse codes).
const (
	PurposeTreatment  = "TREAT"   // treatment (the default)
	PurposePayment    = "HPAYMT"  // healthcare payment
	PurposeOperations = "HOPERAT" // healthcare operations
	PurposeEmergency  = "ETREAT"  // emergency treatment (break-the-glass)
	PurposeResearch   = "HRESCH"  // research
	PurposePatient    = "PATRQT"  // the patient's own request
)

// WithPurpose returns a context carrying the purpose of use recorded in the
// audit events of the calls made with it.
func WithPurpose(ctx context.Context, purpose string) context.Context {
	return context.WithValue(ctx, purposeKey{}, purpose)
}

// purposeFrom returns the purpose of use in ctx, PurposeTreatment when unset.
func purposeFrom(ctx context.Context) string {
	if s, ok := ctx.Value(purposeKey{}).(string); ok && s != "" {
		return s
	}
	return PurposeTreatment
}
