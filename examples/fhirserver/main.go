// Command fhirserver serves an ehrkit store as a FHIR R4 REST API under
// /fhir.
//
//	fhirserver [-addr 127.0.0.1:8080] [-db FILE | -postgres DSN] [-dev-tokens FILE]
//
// The store (SQLite file ehrkit.db by default) is guarded by access.Guard
// with the default policy: every request runs as the principal of its bearer
// token, is checked against the policy and the token's SMART scopes, and is
// audited.
//
// With -dev-tokens, FILE is a JSON object of fixed tokens for local
// development and tests:
//
//	{"TOKEN": {"principal": {"kind": "user", "id": "dr-1", "roles": ["physician"]},
//	           "scopes": "patient/*.rs launch/patient", "patient": "p1"}}
//
// Without it the server requires tokens from its own SMART Backend Services
// endpoint, POST /auth/token (client_credentials with a private_key_jwt
// client assertion signed by a key of the client's JWKS, SMART App Launch 2.0
// Backend Services). Its clients are read from the JSON file the environment
// variable EHRKIT_FHIR_CLIENTS names:
//
//	{"CLIENT-ID": {"jwks": {"keys": [...]}, "roles": ["integration"], "scopes": "system/*.rs"}}
//
// A token it issues lasts five minutes and grants the requested scopes that
// the client is registered for. /fhir/.well-known/smart-configuration names
// the endpoint.
//
// The server prints "serving http://ADDR/fhir" once it listens, and stops
// on an interrupt. Exit status: 0 after a clean stop, 1 when the store or the
// token files cannot be used, 2 on bad usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/examples/internal/storeflag"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
)

func main() { storeflag.Main(run) }

// ClientsEnv names the environment variable holding the path of the
// backend-services clients file.
const ClientsEnv = "EHRKIT_FHIR_CLIENTS"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fhirserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen `address`")
	devTokens := fs.String("dev-tokens", "", "JSON `file` of fixed development tokens")
	stores := storeflag.Register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := stores.Check(); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: fhirserver [-addr 127.0.0.1:8080] [-db FILE | -postgres DSN] [-dev-tokens FILE]")
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "fhirserver:", err)
		return 1
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	store, err := stores.Open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "fhirserver:", err)
		return 1
	}
	defer store.Close()
	policy, err := access.DefaultPolicy(patient.Groups(), directory.Groups(), clinical.Groups(), schedule.Groups(), rx.Groups(), lab.Groups(), billing.Groups(), fhir.Groups())
	if err != nil {
		fmt.Fprintln(stderr, "fhirserver:", err)
		return 1
	}
	guarded := access.Guard(store, policy)
	services, err := fhir.NewServices(guarded)
	if err != nil {
		fmt.Fprintln(stderr, "fhirserver:", err)
		return 1
	}
	mux := http.NewServeMux()
	var verifier fhir.TokenVerifier
	opts := []fhir.HandlerOption{}
	if *devTokens != "" {
		if verifier, err = loadDevTokens(*devTokens); err != nil {
			fmt.Fprintln(stderr, "fhirserver:", err)
			return 1
		}
	} else {
		clients, err := loadClients(os.Getenv(ClientsEnv))
		if err != nil {
			fmt.Fprintln(stderr, "fhirserver:", err)
			return 1
		}
		auth, err := newAuthServer(base+"/auth/token", clients)
		if err != nil {
			fmt.Fprintln(stderr, "fhirserver:", err)
			return 1
		}
		mux.Handle("POST /auth/token", auth)
		verifier = auth
		opts = append(opts, fhir.WithSMARTConfiguration(auth.configuration()))
	}
	h, err := fhir.NewHandler(guarded, services, append(opts, fhir.WithTokenVerifier(verifier))...)
	if err != nil {
		fmt.Fprintln(stderr, "fhirserver:", err)
		return 1
	}
	mux.Handle("/fhir/", http.StripPrefix("/fhir", h))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "serving %s/fhir\n", base)
	select {
	case err = <-done:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "fhirserver:", err)
		return 1
	}
	return 0
}

// devToken is one entry of the -dev-tokens file.
type devToken struct {
	Principal access.Principal `json:"principal"`
	Scopes    string           `json:"scopes"`
	Patient   string           `json:"patient"`
}

// loadDevTokens reads the -dev-tokens file as a verifier of its tokens.
func loadDevTokens(path string) (fhir.TokenVerifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tokens map[string]devToken
	if err := json.Unmarshal(b, &tokens); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for tok, t := range tokens {
		if tok == "" || t.Principal.ID == "" {
			return nil, fmt.Errorf("%s: every token needs a principal with an id", path)
		}
		if _, err := fhir.ParseScopes(t.Scopes); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return fhir.TokenVerifierFunc(func(_ context.Context, token string) (fhir.Authorization, error) {
		t, ok := tokens[token]
		if !ok {
			return fhir.Authorization{}, errors.New("unknown token")
		}
		return fhir.Authorization{Principal: t.Principal, Scopes: t.Scopes, Patient: t.Patient}, nil
	}), nil
}
