package fhir

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// TokenVerifier turns a bearer token into who presents it and what it
// grants. The vendor implements it over its authorization server (token
// introspection, JWT validation); an error refuses the request with 401.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (Authorization, error)
}

// TokenVerifierFunc adapts a function to TokenVerifier.
type TokenVerifierFunc func(ctx context.Context, token string) (Authorization, error)

// Verify calls f.
func (f TokenVerifierFunc) Verify(ctx context.Context, token string) (Authorization, error) {
	return f(ctx, token)
}

// Authorization is what a verified token grants: the principal the request
// runs as (checked and audited by the access guard), the SMART App Launch
// scopes (space separated, e.g. "patient/*.rs launch/patient") that narrow
// the principal's access further, and the patient in context of a
// patient-level launch (the patient/ scopes reach only that compartment).
type Authorization struct {
	Principal access.Principal
	Scopes    string
	Patient   string
}

// SMARTConfiguration is the document served at
// .well-known/smart-configuration (SMART App Launch 2.0 §2.1).
type SMARTConfiguration struct {
	Issuer                            string   `json:"issuer,omitempty"`
	JWKSURI                           string   `json:"jwks_uri,omitempty"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint                     string   `json:"token_endpoint,omitempty"`
	GrantTypesSupported               []string `json:"grant_types_supported,omitempty"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	TokenEndpointAuthSigningAlgs      []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`
	Capabilities                      []string `json:"capabilities"`
}

// securityComponent is CapabilityStatement.rest.security.
func (h *Handler) securityComponent() map[string]any {
	sec := map[string]any{"cors": false}
	if h.verifier == nil {
		return sec
	}
	sec["service"] = []map[string]any{{"coding": []map[string]string{{
		"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}}}}
	if h.smart.TokenEndpoint != "" {
		sec["extension"] = []map[string]any{{
			"url":       "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
			"extension": []map[string]string{{"url": "token", "valueUri": h.smart.TokenEndpoint}},
		}}
	}
	return sec
}

// Scopes are the SMART App Launch v2 resource scopes of a token
// (SMART App Launch 2.0 §3: context/type.permissions[?query]), the v1 forms
// read, write and * included. Scopes that name no resource (launch/patient,
// openid, fhirUser, offline_access) grant nothing here.
type Scopes struct {
	rules []scopeRule
	// Patient is the patient in context: patient/ scopes reach only its
	// compartment.
	Patient string
}

type scopeRule struct {
	level string // patient, user or system
	typ   string // a resource type or "*"
	perms string // of c, r, u, d, s
	query url.Values
}

// ParseScopes reads a space-separated scope string.
func ParseScopes(s string) (*Scopes, error) {
	out := &Scopes{}
	var bad []string
	for _, sc := range strings.Fields(s) {
		level, rest, ok := strings.Cut(sc, "/")
		if !ok || level != "patient" && level != "user" && level != "system" {
			continue // launch/patient, openid, fhirUser, ...
		}
		rest, q, _ := strings.Cut(rest, "?")
		typ, perms, ok := strings.Cut(rest, ".")
		if !ok || typ != "*" && !storage.ValidType(typ) {
			bad = append(bad, sc)
			continue
		}
		switch perms {
		case "read":
			perms = "rs"
		case "write":
			perms = "cud"
		case "*":
			perms = "cruds"
		}
		if perms == "" || strings.Trim(perms, "cruds") != "" || !ordered(perms) {
			bad = append(bad, sc)
			continue
		}
		query, err := url.ParseQuery(q)
		if err != nil {
			bad = append(bad, sc)
			continue
		}
		out.rules = append(out.rules, scopeRule{level: level, typ: typ, perms: perms, query: query})
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("fhir: malformed scopes %q: %w", bad, ehrkit.ErrInvalid)
	}
	return out, nil
}

// ordered reports whether permissions come in the order c, r, u, d, s, each
// at most once, as SMART v2 requires.
func ordered(perms string) bool {
	last := -1
	for _, c := range perms {
		i := strings.IndexRune("cruds", c)
		if i <= last {
			return false
		}
		last = i
	}
	return true
}

type scopesKey struct{}

func withScopes(ctx context.Context, s *Scopes) context.Context {
	return context.WithValue(ctx, scopesKey{}, s)
}

// scopesFrom returns the scopes of the request in ctx; nil means no
// narrowing.
func scopesFrom(ctx context.Context) *Scopes {
	s, _ := ctx.Value(scopesKey{}).(*Scopes)
	return s
}

// rulesFor returns the rules granting perm on typ.
func (s *Scopes) rulesFor(typ string, perm byte) []scopeRule {
	var out []scopeRule
	for _, r := range s.rules {
		if (r.typ == "*" || r.typ == typ) && strings.IndexByte(r.perms, perm) >= 0 {
			out = append(out, r)
		}
	}
	return out
}

func scopeDenied(typ string, perm byte) error {
	return &httpError{status: http.StatusForbidden, code: "forbidden",
		msg: fmt.Sprintf("the token's scopes do not grant %c on %s", perm, typ), cause: ehrkit.ErrPermission}
}

// allow checks that some scope grants perm on typ.
func (s *Scopes) allow(typ string, perm byte) error {
	if s == nil || len(s.rulesFor(typ, perm)) > 0 {
		return nil
	}
	return scopeDenied(typ, perm)
}

// allowRecord checks that a scope granting perm reaches rec: its
// compartment for patient/ scopes, its query for granular scopes.
func (s *Scopes) allowRecord(rec storage.Record, perm byte) error {
	if s == nil {
		return nil
	}
	for _, r := range s.rulesFor(rec.Type, perm) {
		if s.reaches(r, rec) {
			return nil
		}
	}
	return scopeDenied(rec.Type, perm)
}

func (s *Scopes) reaches(r scopeRule, rec storage.Record) bool {
	if r.level == "patient" && rec.Compartment != "" && rec.Compartment != s.Patient {
		return false
	}
	if len(r.query) == 0 {
		return true
	}
	clauses, err := parseClauses(rec.Type, r.query)
	return err == nil && matchAll(clauses, rec)
}

// allowWrite checks a create (exists false) or update of a record of typ in
// compartment.
func (s *Scopes) allowWrite(typ, compartment string, exists bool) error {
	if s == nil {
		return nil
	}
	perm := byte('c')
	if exists {
		perm = 'u'
	}
	for _, r := range s.rulesFor(typ, perm) {
		if r.level != "patient" || compartment == "" || compartment == s.Patient {
			return nil
		}
	}
	return scopeDenied(typ, perm)
}

// narrow limits a search of typ to what the scopes granting search reach:
// the patient in context when every such scope is patient-level, and, for
// granular scopes, the records their queries match. Both apply before
// paging, so pages and counts hold only what the token may see.
func (s *Scopes) narrow(spec *searchSpec) error {
	if s == nil {
		return nil
	}
	rules := s.rulesFor(spec.typ, 's')
	if len(rules) == 0 {
		return scopeDenied(spec.typ, 's')
	}
	patientOnly := true
	for _, r := range rules {
		patientOnly = patientOnly && r.level == "patient"
	}
	if patientOnly && spec.typ != "Patient" && !registryShared(spec.typ) {
		if spec.compartment != "" && spec.compartment != s.Patient {
			return scopeDenied(spec.typ, 's')
		}
		spec.compartment = s.Patient
	}
	if patientOnly && spec.typ == "Patient" {
		spec.onlyID = s.Patient
	}
	spec.scope = func(rec storage.Record) bool {
		for _, r := range rules {
			if s.reaches(r, rec) {
				return true
			}
		}
		return false
	}
	return nil
}

// registryShared reports whether records of typ belong to no patient.
func registryShared(typ string) bool {
	switch typ {
	case "Practitioner", "PractitionerRole", "Organization", "Location", "Schedule":
		return true
	}
	return false
}
