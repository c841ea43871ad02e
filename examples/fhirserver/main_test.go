package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is an io.Writer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the server with args on a free loopback port and returns its
// /fhir URL; the server is stopped, and must exit 0, when the test ends.
func start(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "ehr.db")}, args...), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		assert.Equal(t, 0, <-code, stderr.String())
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if line, ok := strings.CutPrefix(stdout.String(), "serving "); ok {
			return strings.TrimSpace(line)
		}
		select {
		case c := <-code:
			t.Fatalf("exited %d: %s", c, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("server did not start")
	return ""
}

func call(t *testing.T, method, u, token, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/fhir+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestDevTokens: with -dev-tokens the server accepts the file's tokens, as
// their principals and within their scopes, and refuses others.
func TestDevTokens(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	require.NoError(t, os.WriteFile(tokens, []byte(`{
	  "admin-token": {"principal": {"kind": "user", "id": "admin-1", "roles": ["administrator"]}, "scopes": "user/*.cruds"},
	  "reader-token": {"principal": {"kind": "user", "id": "admin-2", "roles": ["administrator"]}, "scopes": "user/*.rs"}
	}`), 0o600))
	base := start(t, "-dev-tokens", tokens)
	status, created := call(t, "POST", base+"/Patient", "admin-token", `{"resourceType":"Patient","name":[{"family":"Served"}],"gender":"male","birthDate":"1975-03-04"}`)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	id := created["id"].(string)
	status, got := call(t, "GET", base+"/Patient/"+id, "reader-token", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, id, got["id"])
	status, _ = call(t, "POST", base+"/Patient", "reader-token", `{"resourceType":"Patient","name":[{"family":"Refused"}]}`)
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = call(t, "GET", base+"/Patient/"+id, "wrong", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, meta := call(t, "GET", base+"/metadata", "", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "CapabilityStatement", meta["resourceType"])
}

// TestBackendServices: without -dev-tokens a registered client obtains a
// token with a private_key_jwt assertion (SMART App Launch 2.0 Backend
// Services) and reads with it; a replayed assertion, a token of another
// key and no token are refused.
func TestBackendServices(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES384", Use: "sig"}}})
	require.NoError(t, err)
	clients := filepath.Join(t.TempDir(), "clients.json")
	require.NoError(t, os.WriteFile(clients, []byte(`{"bulk-app": {"jwks": `+string(jwks)+`, "roles": ["administrator"], "scopes": "system/*.rs"}}`), 0o600))
	t.Setenv(ClientsEnv, clients)
	base := start(t)
	status, conf := call(t, "GET", base+"/.well-known/smart-configuration", "", "")
	require.Equal(t, http.StatusOK, status)
	endpoint := conf["token_endpoint"].(string)

	assertion := func(signer *ecdsa.PrivateKey, jti string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES384, jwt.RegisteredClaims{Issuer: "bulk-app", Subject: "bulk-app", Audience: jwt.ClaimStrings{endpoint},
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(4 * time.Minute)), ID: jti})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(signer)
		require.NoError(t, err)
		return s
	}
	askToken := func(a string) (int, map[string]any) {
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"system/*.rs system/Patient.cud"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
		res, err := http.PostForm(endpoint, form)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return res.StatusCode, out
	}
	a := assertion(key, "jti-1")
	status, tok := askToken(a)
	require.Equal(t, http.StatusOK, status, "%v", tok)
	assert.Equal(t, "system/*.rs", tok["scope"], "only the registered scopes are granted")
	access := tok["access_token"].(string)
	status, bundle := call(t, "GET", base+"/Patient", access, "")
	assert.Equal(t, http.StatusOK, status, "%v", bundle)
	status, _ = call(t, "POST", base+"/Patient", access, `{"resourceType":"Patient","name":[{"family":"NoWrite"}]}`)
	assert.Equal(t, http.StatusForbidden, status)

	status, _ = askToken(a)
	assert.Equal(t, http.StatusBadRequest, status, "a replayed assertion")
	other, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	status, _ = askToken(assertion(other, "jti-2"))
	assert.Equal(t, http.StatusBadRequest, status, "an assertion of a key the client did not register")
	status, _ = call(t, "GET", base+"/Patient", "", "")
	assert.Equal(t, http.StatusUnauthorized, status)
}
