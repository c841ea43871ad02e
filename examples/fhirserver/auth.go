package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/interop/fhir"
)

// client is a registered backend-services client.
type client struct {
	JWKS   jose.JSONWebKeySet `json:"jwks"`
	Roles  []string           `json:"roles"`
	Scopes string             `json:"scopes"`
}

// loadClients reads the clients file ("" for none).
func loadClients(path string) (map[string]client, error) {
	if path == "" {
		return map[string]client{}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out map[string]client
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// tokenLifetime is how long an issued access token lasts.
const tokenLifetime = 5 * time.Minute

// assertionAlgs are the client assertion algorithms accepted (SMART
// Backend Services requires RS384 and ES384 support).
var assertionAlgs = []string{"RS384", "ES384", "RS256", "ES256"}

// authServer is the SMART Backend Services token endpoint and the verifier
// of the tokens it issues.
type authServer struct {
	endpoint string
	clients  map[string]client
	key      *ecdsa.PrivateKey
	mu       sync.Mutex
	seen     map[string]time.Time // client assertion jti -> expiry, against replay
}

func newAuthServer(endpoint string, clients map[string]client) (*authServer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &authServer{endpoint: endpoint, clients: clients, key: key, seen: map[string]time.Time{}}, nil
}

func (a *authServer) configuration() fhir.SMARTConfiguration {
	return fhir.SMARTConfiguration{
		TokenEndpoint:                     a.endpoint,
		GrantTypesSupported:               []string{"client_credentials"},
		TokenEndpointAuthMethodsSupported: []string{"private_key_jwt"},
		TokenEndpointAuthSigningAlgs:      assertionAlgs,
		ScopesSupported:                   []string{"system/*.rs", "system/*.cruds"},
		Capabilities:                      []string{"client-confidential-asymmetric", "permission-v2"},
	}
}

// accessClaims are the claims of an issued access token.
type accessClaims struct {
	Scope string `json:"scope"`
	jwt.RegisteredClaims
}

// ServeHTTP serves POST /auth/token.
func (a *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", "malformed form")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(w, "unsupported_grant_type", "client_credentials only")
		return
	}
	if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		oauthError(w, "invalid_client", "private_key_jwt client assertion required")
		return
	}
	id, c, err := a.authenticate(r.PostForm.Get("client_assertion"))
	if err != nil {
		oauthError(w, "invalid_client", err.Error())
		return
	}
	granted := grant(r.PostForm.Get("scope"), c.Scopes)
	if granted == "" {
		oauthError(w, "invalid_scope", "no requested scope is granted to the client")
		return
	}
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, accessClaims{Scope: granted, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: a.endpoint, Subject: id, Audience: jwt.ClaimStrings{a.endpoint},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(tokenLifetime)),
	}}).SignedString(a.key)
	if err != nil {
		http.Error(w, "cannot sign", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": tok, "token_type": "bearer", "expires_in": int(tokenLifetime.Seconds()), "scope": granted,
	})
}

// authenticate checks a client assertion: signed by a key of the client's
// JWKS, iss and sub the client id, aud this endpoint, expiring within five
// minutes, its jti not seen before.
func (a *authServer) authenticate(assertion string) (string, client, error) {
	var id string
	var c client
	claims := jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(assertion, &claims, func(t *jwt.Token) (any, error) {
		iss, _ := t.Claims.GetIssuer()
		sub, _ := t.Claims.GetSubject()
		var ok bool
		if c, ok = a.clients[iss]; !ok || sub != iss {
			return nil, errors.New("unknown client")
		}
		id = iss
		kid, _ := t.Header["kid"].(string)
		keys := c.JWKS.Keys
		if kid != "" {
			keys = c.JWKS.Key(kid)
		}
		for _, k := range keys {
			if k.Algorithm == "" || k.Algorithm == t.Method.Alg() {
				return k.Key, nil
			}
		}
		return nil, errors.New("no key of the client for the assertion")
	}, jwt.WithValidMethods(assertionAlgs), jwt.WithAudience(a.endpoint), jwt.WithExpirationRequired())
	if err != nil {
		return "", client{}, fmt.Errorf("client assertion refused: %w", err)
	}
	if claims.ExpiresAt.After(time.Now().Add(5*time.Minute + time.Minute)) {
		return "", client{}, errors.New("client assertion lives longer than five minutes")
	}
	if claims.ID == "" {
		return "", client{}, errors.New("client assertion without jti")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	for k, exp := range a.seen {
		if exp.Before(now) {
			delete(a.seen, k)
		}
	}
	key := id + "\x00" + claims.ID
	if _, replay := a.seen[key]; replay {
		return "", client{}, errors.New("client assertion replayed")
	}
	a.seen[key] = claims.ExpiresAt.Time
	return id, c, nil
}

// grant returns the requested scopes the client is registered for: a
// requested scope is granted when a registered one names its type (or *)
// and every permission it asks.
func grant(requested, registered string) string {
	var out []string
	for _, want := range strings.Fields(requested) {
		if slices.ContainsFunc(strings.Fields(registered), func(have string) bool { return covers(have, want) }) {
			out = append(out, want)
		}
	}
	return strings.Join(out, " ")
}

func covers(have, want string) bool {
	if have == want {
		return true
	}
	hctx, hrest, ok1 := strings.Cut(have, "/")
	wctx, wrest, ok2 := strings.Cut(want, "/")
	if !ok1 || !ok2 || hctx != wctx || strings.Contains(hrest, "?") {
		return false
	}
	htyp, hperm, _ := strings.Cut(hrest, ".")
	wtyp, wperm, _ := strings.Cut(strings.SplitN(wrest, "?", 2)[0], ".")
	if htyp != "*" && htyp != wtyp {
		return false
	}
	return wperm != "" && strings.Trim(wperm, hperm) == ""
}

func oauthError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// Verify checks an access token this server issued and returns its client
// as a system principal with the client's roles and the token's scopes.
func (a *authServer) Verify(_ context.Context, token string) (fhir.Authorization, error) {
	claims := accessClaims{}
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return &a.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(a.endpoint), jwt.WithIssuer(a.endpoint), jwt.WithExpirationRequired())
	if err != nil {
		return fhir.Authorization{}, err
	}
	c, ok := a.clients[claims.Subject]
	if !ok {
		return fhir.Authorization{}, errors.New("client no longer registered")
	}
	return fhir.Authorization{
		Principal: access.Principal{Kind: access.System, ID: claims.Subject, Roles: c.Roles},
		Scopes:    claims.Scope,
	}, nil
}
