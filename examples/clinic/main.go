// Command clinic is a small web EHR built from every ehrkit package, on the
// embedded SQLite store guarded by the default access policy:
//
//	go run ./examples/clinic [-addr 127.0.0.1:8080] [-db FILE] [-seed=false] [-hl7 127.0.0.1:2575]
//
// It opens (or creates) the SQLite file (default clinic.db), seeds a clinic on
// first start — the Synthea patients of the corpus named by EHRKIT_CORPUS when
// it is there, always the clinic's staff, schedules and a small cast of
// patients whose charts show every module — with a progress bar on the
// console, and serves the clinic at http://127.0.0.1:8080 until interrupted
// (SIGINT or SIGTERM shut it down cleanly). The login page offers one demo
// account per role (physician, nurse, front desk, pharmacist, biller, privacy
// officer, patient portal); what each sees and may do is decided by the
// access policy, not by the pages. Pages are rendered on the server with
// html/template; the one script on them refreshes the order-entry alerts as
// the prescriber types, and every form works without it. With -hl7 the
// clinic also takes an HL7 v2 feed over MLLP, acknowledging each message:
// ADT registrations, updates and merges, and ORU^R01 results filed through
// lab's Receive into the lab inbox (critical values raise alerts), as a
// system account with the front desk's and the lab technician's roles.
//
// The clinic's store is also served as FHIR R4 REST under /fhir (read,
// search, writes, history, $everything; see interop/fhir), through the
// same services and access policy as the pages. For development, the
// bearer token of each demo login is "demo-" and its key: demo-physician,
// demo-nurse, demo-front-desk, demo-pharmacist, demo-biller, demo-privacy
// carry the SMART scopes user/*.cruds; demo-portal carries patient/*.rs
// for the portal's own patient. A request without a known token is
// refused with 401 and an OperationOutcome:
//
//	curl -H 'Authorization: Bearer demo-physician' http://127.0.0.1:8080/fhir/Patient
//
// With -script the program instead plays one scripted day at the clinic on
// the console:
//
//	go run ./examples/clinic -script [-db FILE]
//
// The front desk registers patients and books a visit, a physician documents
// it and prescribes, the drug-safety checks interrupt where they should, a
// nurse is refused what only a physician may do, the prescription reaches an
// in-memory pharmacy through the change feed, the patient's record is exported
// as FHIR, and the privacy officer verifies the audit trail. The clock is fixed
// so that every run prints the same story. Without -db the store is a new file
// in a temporary folder that is removed when the day ends; with -script, -db
// names a file that must not exist yet, and is kept. Exit status: 0 when the
// day ran (or the server shut down cleanly), 1 when it failed (the message
// names the -db file when it cannot be created or opened), 2 on bad usage.
//
// The audit summary at the end of the day counts three things separately for
// each person: record accesses (read, search, create, update), permission
// decisions (an operation such as note.sign or rx.sign asked of the policy,
// allowed or denied) and recorded acts (the operation done, audited in the
// transaction that did it). An act allowed and done therefore appears once as
// a decision and once as an act; one refused appears as a denied decision
// only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/examples/internal/storeflag"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

// facility is where the day takes place.
const facility = "clinic-1"

// The people of the day.
var (
	frontDesk = access.Principal{Kind: access.User, ID: "desk-ana", Roles: []string{access.RoleFrontDesk}, Facility: facility}
	physician = access.Principal{Kind: access.User, ID: "dr-weber", Roles: []string{access.RolePhysician}, Facility: facility, Practitioner: "prac-weber"}
	nurse     = access.Principal{Kind: access.User, ID: "nurse-kim", Roles: []string{access.RoleNurse}, Facility: facility, Practitioner: "prac-kim"}
	records   = access.Principal{Kind: access.User, ID: "records-ito", Roles: []string{access.RoleAdministrator}, Facility: facility}
	privacy   = access.Principal{Kind: access.User, ID: "privacy-lee", Roles: []string{access.RolePrivacy}}
	// dispatcher is the program that transmits prescriptions.
	dispatcher = access.Principal{Kind: access.System, ID: "rx-dispatcher", Roles: []string{access.RoleIntegration}, Facility: facility}
)

// start is the fixed time the day begins: Monday 2 March 2026, 08:00 UTC.
var start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

func main() { storeflag.Main(run) }

// run is the program, with its arguments and outputs; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("clinic", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "SQLite database `file` (server default "+defaultDB+"; with -script a new file to create and keep, default a temporary one)")
	addr := fs.String("addr", defaultAddr, "`address` the web EHR listens on")
	seed := fs.Bool("seed", true, "seed an empty store with the demo clinic")
	hl7 := fs.String("hl7", "", "also listen for an HL7 v2 feed (ADT, ORU^R01) over MLLP at `address` (e.g. 127.0.0.1:2575)")
	script := fs.Bool("script", false, "play the scripted console day instead of serving the web EHR")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "clinic: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if !*script {
		path := *db
		if path == "" {
			path = defaultDB
		}
		cfg := config{Addr: *addr, DB: path, Seed: *seed, Corpus: os.Getenv("EHRKIT_CORPUS"), HL7: *hl7}
		if err := serve(ctx, cfg, stdout, nil); err != nil {
			fmt.Fprintln(stderr, "clinic:", err)
			return 1
		}
		return 0
	}
	path := *db
	if path == "" {
		dir, err := os.MkdirTemp("", "ehrkit-clinic-")
		if err != nil {
			fmt.Fprintln(stderr, "clinic:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "clinic.db")
	}
	if err := play(ctx, path, stdout); err != nil {
		fmt.Fprintln(stderr, "clinic:", err)
		return 1
	}
	if *db == "" {
		fmt.Fprintln(stdout, "\nThe store was a temporary file and has been removed; give -db FILE to keep it.")
	}
	return 0
}

// day holds the services and what the steps of the day share.
type day struct {
	out      io.Writer
	clock    *ehrkit.FakeClock
	store    *access.Store
	patients *patient.Service
	sched    *schedule.Service
	clin     *clinical.Service
	orders   *rx.Service
	jose     patient.ID
	visit    string
}

// errExists refuses to play the day into a store that already exists: the
// story's ids and times start from scratch.
var errExists = errors.New("already exists: the demo writes a new store")

// play opens a new store at path and plays the day, writing the story to out.
func play(ctx context.Context, path string, out io.Writer) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s: %w", path, errExists)
	}
	clock := ehrkit.NewFakeClock(start)
	raw, err := sqlitestore.Open(ctx, path, sqlitestore.WithClock(clock))
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	policy, err := access.DefaultPolicy(patient.Groups(), directory.Groups(), clinical.Groups(), schedule.Groups(), rx.Groups(), lab.Groups(), billing.Groups())
	if err != nil {
		return errors.Join(err, raw.Close())
	}
	store := access.Guard(raw, policy, access.WithClock(clock))
	defer store.Close()
	fmt.Fprintf(out, "store: SQLite %s, guarded by the default access policy\n", path)

	d := &day{out: out, clock: clock, store: store,
		sched: schedule.NewService(store, schedule.WithClock(clock), schedule.WithIDs(&ehrkit.SeqIDs{Prefix: "appt-"})),
		clin:  clinical.NewService(store, clinical.WithClock(clock), clinical.WithIDs(&ehrkit.SeqIDs{Prefix: "cl-"})),
	}
	if d.patients, err = patient.NewService(store, patient.WithClock(clock), patient.WithIDs(&ehrkit.SeqIDs{Prefix: "pat-"})); err != nil {
		return err
	}
	if d.orders, err = rx.NewService(store, rx.Shipped(), rx.WithClock(clock), rx.WithIDs(&ehrkit.SeqIDs{Prefix: "rx-"})); err != nil {
		return err
	}
	steps := []struct {
		title string
		fn    func(context.Context) error
	}{
		{"08:00 front desk: registration", d.register},
		{"08:15 front desk: scheduling", d.book},
		{"09:00 physician: the visit", d.document},
		{"09:20 physician: prescribing", d.prescribe},
		{"09:30 nurse: what a nurse may not do", d.nurseRefused},
		{"09:40 pharmacy: transmission", d.transmit},
		{"12:00 health records: FHIR export", d.export},
		{"17:00 privacy officer: audit", d.audit},
	}
	for i, s := range steps {
		fmt.Fprintf(out, "\n%d. %s\n", i+1, s.title)
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
	}
	return nil
}

// say prints one line of the story, indented under its step.
func (d *day) say(format string, args ...any) {
	fmt.Fprintf(d.out, "   "+format+"\n", args...)
}

// as returns ctx carrying p.
func as(ctx context.Context, p access.Principal) context.Context { return access.WithPrincipal(ctx, p) }

// at moves the clock to the given time of the day.
func (d *day) at(hour, minute int) {
	d.clock.Set(time.Date(start.Year(), start.Month(), start.Day(), hour, minute, 0, 0, time.UTC))
}

// verdict names how a refused call failed, by error class.
func verdict(err error) string {
	var alerts *rx.AlertsError
	switch {
	case err == nil:
		return "allowed"
	case errors.Is(err, ehrkit.ErrPermission):
		return "refused: permission denied"
	case errors.As(err, &alerts):
		return fmt.Sprintf("refused: %d interruptive alert(s)", len(alerts.Alerts))
	case errors.Is(err, ehrkit.ErrConflict):
		return "refused: conflict"
	default:
		return "failed: " + err.Error()
	}
}
