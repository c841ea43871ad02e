package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

// Defaults of the web EHR's flags.
const (
	defaultAddr = "127.0.0.1:8080"
	defaultDB   = "clinic.db"
)

// config is what the web EHR is started with.
type config struct {
	Addr   string // listen address; port 0 picks a free one
	DB     string // SQLite file, created when missing
	Seed   bool   // seed an empty store
	Corpus string // the corpus folder (EHRKIT_CORPUS); "" for the built-in set only
	HL7    string // MLLP listen address of the HL7 v2 feed; "" for none
}

// hl7Feed is the principal of the HL7 v2 feed: a system account of the
// clinic with the front desk's role for ADT (registration and merges) and
// the lab technician's for ORU (results filed and released).
var hl7Feed = access.Principal{Kind: access.System, ID: "hl7-feed", Display: "HL7 feed", Roles: []string{access.RoleFrontDesk, access.RoleLabTechnician}, Facility: facility}

//go:embed web
var webFiles embed.FS

// app is the web EHR: the services over one guarded store, the demo
// sessions and the page templates.
type app struct {
	store    *access.Store
	clock    ehrkit.Clock
	kb       *rx.Base
	patients *patient.Service
	clin     *clinical.Service
	sched    *schedule.Service
	orders   *rx.Service
	labs     *lab.Service
	bill     *billing.Service
	pages    *pages
	sessions *sessions
	cast     cast
	log      *slog.Logger
}

// newApp opens the store at cfg.DB, guards it with the default policy and
// builds the services; it seeds an empty store when cfg.Seed is set,
// drawing the progress bar on progress.
func newApp(ctx context.Context, cfg config, progress io.Writer) (*app, error) {
	raw, err := sqlitestore.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", cfg.DB, err)
	}
	policy, err := access.DefaultPolicy(patient.Groups(), directory.Groups(), clinical.Groups(), schedule.Groups(), rx.Groups(), lab.Groups(), billing.Groups(), fhir.Groups())
	if err != nil {
		return nil, errors.Join(err, raw.Close())
	}
	clock := ehrkit.RealClock{}
	store := access.Guard(raw, policy, access.WithClock(clock), access.WithBreakGlassDuration(breakGlassFor))
	a := &app{store: store, clock: clock, kb: rx.Shipped(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	a.clin = clinical.NewService(store, clinical.WithClock(clock))
	a.sched = schedule.NewService(store, schedule.WithClock(clock))
	a.bill = billing.NewService(store, billing.WithClock(clock))
	if a.patients, err = patient.NewService(store, patient.WithClock(clock)); err != nil {
		return nil, errors.Join(err, store.Close())
	}
	if a.orders, err = rx.NewService(store, a.kb, rx.WithClock(clock)); err != nil {
		return nil, errors.Join(err, store.Close())
	}
	a.labs = lab.NewService(store, a.clin, lab.WithClock(clock), lab.WithEscalation(escalateAfter, backupPhysician))
	if a.pages, err = parsePages(); err != nil {
		return nil, errors.Join(err, store.Close())
	}
	a.sessions = newSessions()
	if err := a.open(ctx, cfg, progress); err != nil {
		return nil, errors.Join(err, store.Close())
	}
	return a, nil
}

// Close closes the store.
func (a *app) Close() error { return a.store.Close() }

// listening is where a started clinic listens.
type listening struct {
	Web string // the web EHR's address
	HL7 string // the HL7 v2 feed's MLLP address; "" without -hl7
}

// serve runs the web EHR (and the HL7 v2 feed with cfg.HL7) until ctx is
// done, then shuts it down, letting requests in flight finish. When ready
// is not nil it receives the addresses once they accept connections.
func serve(ctx context.Context, cfg config, out io.Writer, ready chan<- listening) error {
	a, err := newApp(ctx, cfg, out)
	if err != nil {
		return err
	}
	defer a.Close()
	routes, err := a.routes()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	at := listening{Web: ln.Addr().String()}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	feed := make(chan error, 1)
	if cfg.HL7 != "" {
		mllp, err := net.Listen("tcp", cfg.HL7)
		if err != nil {
			return errors.Join(err, ln.Close())
		}
		at.HL7 = mllp.Addr().String()
		recv := &hl7v2.Receiver{
			ADT:   &hl7v2.ADTHandler{Patients: a.patients, Store: a.store, Clock: a.clock},
			ORU:   &hl7v2.ORUHandler{Lab: a.labs, Store: a.store, Clock: a.clock},
			Clock: a.clock,
		}
		go func() { feed <- hl7v2.Server{}.Serve(access.WithPrincipal(ctx, hl7Feed), mllp, recv.Handle) }()
		fmt.Fprintf(out, "clinic: HL7 v2 feed (ADT, ORU^R01) on mllp://%s\n", at.HL7)
	} else {
		feed <- nil
	}
	srv := &http.Server{Handler: routes, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "clinic: serving http://%s (store %s); Ctrl-C stops\n", at.Web, cfg.DB)
	if ready != nil {
		ready <- at
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		stop()
		return errors.Join(err, <-feed)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := errors.Join(srv.Shutdown(shut), <-feed); err != nil {
		return err
	}
	fmt.Fprintln(out, "clinic: stopped")
	return nil
}

// routes maps the clinic's URLs to their handlers, the FHIR API under /fhir.
func (a *app) routes() (http.Handler, error) {
	api, err := a.fhirAPI()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/fhir/", api)
	static, _ := fs.Sub(webFiles, "web/static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.loginPage)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	for pattern, h := range map[string]handler{
		"POST /breakglass":                   a.breakGlass,
		"GET /patients":                      a.search,
		"GET /patients/duplicates":           a.duplicates,
		"POST /patients/merge":               a.merge,
		"GET /patients/{id}":                 a.chart,
		"POST /patients/{id}/notes":          a.createNote,
		"POST /notes/{id}/sign":              a.signNote,
		"POST /notes/{id}/addendum":          a.addAddendum,
		"GET /patients/{id}/orders/new":      a.orderForm,
		"POST /patients/{id}/orders/preview": a.orderPreview,
		"POST /patients/{id}/orders":         a.placeOrder,
		"GET /schedule":                      a.schedule,
		"POST /schedule/book":                a.book,
		"POST /appointments/{id}/{act}":      a.appointmentAct,
		"POST /waitlist":                     a.joinWaitlist,
		"POST /waitlist/offers":              a.processWaitlist,
		"GET /labs":                          a.labInbox,
		"POST /labs/alerts/{id}/acknowledge": a.acknowledge,
		"POST /labs/escalate":                a.escalate,
		"GET /billing":                       a.billing,
		"POST /billing/claims/{id}/{act}":    a.claimAct,
		"GET /billing/837":                   a.download837,
		"POST /billing/remittance":           a.postRemittance,
		"GET /reports":                       a.reports,
		"GET /audit":                         a.audit,
	} {
		mux.Handle(pattern, a.authed(h))
	}
	return securityHeaders(mux), nil
}

// securityHeaders sets the headers every page carries: no framing, no
// sniffing, scripts and styles from the clinic only.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}
