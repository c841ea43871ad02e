package main

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/interop/fhir"
)

// fhirTokenPrefix begins the clinic's development bearer tokens: the token
// of a demo login is the prefix followed by the login's key
// ("demo-physician", "demo-portal", ...).
const fhirTokenPrefix = "demo-"

// Scopes of the development tokens (SMART App Launch 2.0 §3): staff act as
// users, the portal reads its own compartment only.
const (
	staffScopes  = "user/*.cruds"
	portalScopes = "launch/patient patient/*.rs"
)

// fhirAPI returns the FHIR R4 REST handler over the clinic's own store and
// services, to be mounted at /fhir. A request names a demo login by its
// development token; the access policy then decides, as for the pages.
func (a *app) fhirAPI() (http.Handler, error) {
	services := &fhir.Services{Patients: a.patients, Directory: directory.NewService(a.store), Clinical: a.clin, Schedule: a.sched, Orders: a.orders, Lab: a.labs, Billing: a.bill}
	h, err := fhir.NewHandler(a.store, services, fhir.WithTokenVerifier(fhir.TokenVerifierFunc(a.verifyToken)))
	if err != nil {
		return nil, err
	}
	return http.StripPrefix("/fhir", h), nil
}

// errUnknownToken refuses a bearer token that names no demo login.
var errUnknownToken = errors.New("unknown token")

// verifyToken maps a development token to its demo login.
func (a *app) verifyToken(_ context.Context, token string) (fhir.Authorization, error) {
	key, ok := strings.CutPrefix(token, fhirTokenPrefix)
	if !ok {
		return fhir.Authorization{}, errUnknownToken
	}
	for _, u := range a.users() {
		if u.Key != key {
			continue
		}
		if u.Principal.Patient != "" {
			return fhir.Authorization{Principal: u.Principal, Scopes: portalScopes, Patient: u.Principal.Patient}, nil
		}
		return fhir.Authorization{Principal: u.Principal, Scopes: staffScopes}, nil
	}
	return fhir.Authorization{}, errUnknownToken
}
