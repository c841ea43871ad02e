// Package workload drives a clinic through the domain services for the
// reliability tests: registrations, bookings, signed orders, merges and
// unmerges through a guarded store, HL7 v2 ADT registrations and FHIR imports
// through the interop packages. Every operation that succeeds returns an Ack,
// the claim a caller was given that the write is durable; Confirm checks an
// Ack against a store, after a crash, a fault or a race.
//
//	c, err := workload.New(store)
//	ack, err := c.Step(ctx, rng) // one random operation
//	err = c.Confirm(ctx, ack)    // later, on the reopened store
//
// Only tests use this package.
package workload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// Operations, the Op of an Ack.
const (
	OpRegister = "register" // ID: patient id, Detail: MRN
	OpBook     = "book"     // ID: appointment id, Detail: start (RFC 3339)
	OpSign     = "sign"     // ID: order id, Detail: patient id
	OpADT      = "adt"      // ID: patient id, Detail: the message control id
	OpMerge    = "merge"    // ID: merge record id, Detail: "source>target"
	OpUnmerge  = "unmerge"  // ID: merge record id, Detail: "source>target"
	OpDeliver  = "deliver"  // ID: prescription key (the outbox consumer)
)

// Ack is a successful operation, as a line: "op id detail".
type Ack struct{ Op, ID, Detail string }

// String is the line form of the Ack.
func (a Ack) String() string { return a.Op + " " + a.ID + " " + a.Detail }

// ParseAck reads the line form of an Ack.
func ParseAck(line string) (Ack, error) {
	f := strings.SplitN(strings.TrimSpace(line), " ", 3)
	if len(f) != 3 || f[0] == "" || f[1] == "" {
		return Ack{}, fmt.Errorf("workload: malformed ack %q: %w", line, ehrkit.ErrInvalid)
	}
	return Ack{Op: f[0], ID: f[1], Detail: f[2]}, nil
}

// Practitioners are the bookable resources Setup gives a schedule.
var Practitioners = []ehrkit.Reference{
	ehrkit.Ref(schedule.Practitioner, "dr-a"), ehrkit.Ref(schedule.Practitioner, "dr-b"), ehrkit.Ref(schedule.Practitioner, "dr-c"),
}

// VisitType is the appointment type booked: 15 minutes with a practitioner.
const VisitType = "visit"

// Drugs are the medications ordered. Simvastatin and clarithromycin are a
// contraindicated pair (simvastatin label, section 4 Contraindications), so
// concurrent signers race on the medication list.
var Drugs = []ehrkit.Coding{
	{System: ehrkit.SystemRxNorm, Code: "312961", Display: "Simvastatin 20 MG Oral Tablet"},
	{System: ehrkit.SystemRxNorm, Code: "197517", Display: "Clarithromycin 500 MG Oral Tablet"},
	{System: ehrkit.SystemRxNorm, Code: "197361", Display: "Amlodipine 5 MG Oral Tablet"},
	{System: ehrkit.SystemRxNorm, Code: "314076", Display: "Lisinopril 10 MG Oral Tablet"},
}

// Facility is where the clinic's principals work and its patients are registered.
const Facility = "clinic-1"

// Principals of the clinic.
var (
	Desk   = access.Principal{Kind: access.User, ID: "desk-1", Roles: []string{access.RoleFrontDesk}, Facility: Facility}
	Doctor = access.Principal{Kind: access.User, ID: "dr-a", Roles: []string{access.RolePhysician}, Facility: Facility, Practitioner: "dr-a"}
	Feed   = access.Principal{Kind: access.System, ID: "adt-feed"}
)

// Clinic is a clinic over one store. Safe for concurrent use.
type Clinic struct {
	Raw      storage.Store // the store underneath
	Guarded  *access.Store // Raw guarded by the default policy
	Registry *patient.Service
	Schedule *schedule.Service
	Orders   *rx.Service
	ADT      *hl7v2.ADTHandler

	mu       sync.Mutex
	patients []patient.ID // registered by this Clinic and not merged away
	merges   []patient.MergeRecord
}

// New returns a clinic over raw: the services run on raw guarded by the
// default policy, the ADT feed on raw trusted, as an interface engine's.
func New(raw storage.Store) (*Clinic, error) {
	policy, err := access.DefaultPolicy(patient.Groups(), directory.Groups(), clinical.Groups(), schedule.Groups(), rx.Groups(), lab.Groups(), billing.Groups())
	if err != nil {
		return nil, err
	}
	guarded := access.Guard(raw, policy)
	registry, err := patient.NewService(guarded)
	if err != nil {
		return nil, err
	}
	orders, err := rx.NewService(guarded, rx.Shipped())
	if err != nil {
		return nil, err
	}
	feed, err := patient.NewService(access.Trusted(raw))
	if err != nil {
		return nil, err
	}
	return &Clinic{Raw: raw, Guarded: guarded, Registry: registry, Schedule: schedule.NewService(guarded), Orders: orders,
		ADT: &hl7v2.ADTHandler{Patients: feed, Store: access.Trusted(raw)}}, nil
}

// As returns ctx acting as p.
func As(ctx context.Context, p access.Principal) context.Context { return access.WithPrincipal(ctx, p) }

// Setup stores the visit type and a schedule for every practitioner (every
// day, 08:00 to 18:00 UTC). Running it again changes nothing.
func (c *Clinic) Setup(ctx context.Context) error {
	ctx = As(ctx, Desk)
	if err := c.Schedule.PutType(ctx, schedule.AppointmentType{ID: VisitType, Name: "Visit", Duration: 15 * time.Minute,
		Requires: []string{schedule.Practitioner}}); err != nil {
		return err
	}
	for _, dr := range Practitioners {
		err := c.Schedule.PutSchedule(ctx, schedule.Schedule{Actor: dr, TimeZone: "UTC", Availability: []schedule.Availability{
			{Rule: "FREQ=DAILY", From: ehrkit.NewDate(2026, 1, 1), Open: "08:00", Close: "18:00"}}})
		if err != nil {
			return err
		}
	}
	return nil
}

// Resume adopts, for a clinic started over a store an earlier one wrote, up
// to 500 patients registered at the desk (they carry an MRN) and not merged
// away, as those later operations act on.
func (c *Clinic) Resume(ctx context.Context) error {
	ctx = As(ctx, access.Principal{Kind: access.System, ID: "resume"})
	page, err := access.Trusted(c.Raw).Query(ctx, storage.Query{Type: patient.RecordType, Limit: 500, SortBy: storage.SortUpdated, Desc: true})
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rec := range page.Records {
		p, err := patient.Records.Decode(rec)
		if err != nil {
			return err
		}
		if p.Identifier(patient.SystemMRN) != "" && p.ReplacedBy() == "" {
			c.patients = append(c.patients, p.ID)
		}
	}
	return nil
}

// Expected reports whether err is a refusal the workload provokes by design
// (a slot taken, a patient merged meanwhile, a lost race, an interaction) and
// not a failure.
func Expected(err error) bool {
	var alerts *rx.AlertsError
	return errors.Is(err, ehrkit.ErrFailedPrecondition) || errors.Is(err, ehrkit.ErrConflict) || errors.As(err, &alerts)
}

// errNothing is returned by an operation that found nothing to act on.
var errNothing = fmt.Errorf("workload: nothing to act on: %w", ehrkit.ErrFailedPrecondition)

// Step runs one operation chosen by rng: register 30%, book 25%, sign 25%,
// ADT 10%, merge 5%, unmerge 5%.
func (c *Clinic) Step(ctx context.Context, rng *rand.Rand) (Ack, error) {
	switch n := rng.IntN(100); {
	case n < 30:
		return c.Register(ctx, rng)
	case n < 55:
		return c.Book(ctx, rng)
	case n < 80:
		return c.Sign(ctx, rng, rng.IntN(2) == 0)
	case n < 90:
		return c.Admit(ctx, rng)
	case n < 95:
		return c.Merge(ctx, rng)
	default:
		return c.Unmerge(ctx, rng)
	}
}

func (c *Clinic) pick(rng *rand.Rand) (patient.ID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.patients) == 0 {
		return "", false
	}
	return c.patients[rng.IntN(len(c.patients))], true
}

var families = []string{"Okafor", "Weber", "Silva", "Nguyen", "Kowalski", "Haddad", "Moreau", "Tanaka"}

// Register registers a new patient at the front desk.
func (c *Clinic) Register(ctx context.Context, rng *rand.Rand) (Ack, error) {
	p, err := c.Registry.Register(As(ctx, Desk), patient.Patient{
		Names:     []ehrkit.HumanName{{Family: families[rng.IntN(len(families))], Given: []string{fmt.Sprintf("G%08x", rng.Uint32())}}},
		Gender:    patient.GenderFemale,
		BirthDate: ehrkit.NewDate(1930+rng.IntN(90), time.Month(1+rng.IntN(12)), 1+rng.IntN(28)),
	}, patient.AllowDuplicate())
	if err != nil {
		return Ack{}, err
	}
	c.mu.Lock()
	c.patients = append(c.patients, p.ID)
	c.mu.Unlock()
	return Ack{OpRegister, string(p.ID), p.Identifier(patient.SystemMRN)}, nil
}

// Book books a free slot of a random practitioner on a random day of the
// next two years for a patient this clinic registered.
func (c *Clinic) Book(ctx context.Context, rng *rand.Rand) (Ack, error) {
	p, ok := c.pick(rng)
	if !ok {
		return Ack{}, errNothing
	}
	ctx = As(ctx, Desk)
	dr := Practitioners[rng.IntN(len(Practitioners))]
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1+rng.IntN(730))
	slots, err := c.Schedule.FreeSlots(ctx, schedule.SlotQuery{Type: VisitType, Resources: []ehrkit.Reference{dr}, Start: day, End: day.Add(24 * time.Hour)})
	if err != nil {
		return Ack{}, err
	}
	if len(slots) == 0 {
		return Ack{}, errNothing
	}
	start := slots[rng.IntN(len(slots))].Start
	a, err := c.Schedule.Book(ctx, schedule.BookRequest{Type: VisitType, Patient: p, Resources: []ehrkit.Reference{dr}, Start: start})
	if err != nil {
		return Ack{}, err
	}
	return Ack{OpBook, a.ID, a.Start.Format(time.RFC3339Nano)}, nil
}

// Sign drafts a medication order for a patient this clinic registered and
// signs it; an interruptive alert is overridden when override is set, else
// the order stays a draft and Sign returns the *rx.AlertsError.
func (c *Clinic) Sign(ctx context.Context, rng *rand.Rand, override bool) (Ack, error) {
	p, ok := c.pick(rng)
	if !ok {
		return Ack{}, errNothing
	}
	return c.SignFor(ctx, p, Drugs[rng.IntN(len(Drugs))], override)
}

// SignFor drafts and signs an order of drug for p (see Sign).
func (c *Clinic) SignFor(ctx context.Context, p patient.ID, drug ehrkit.Coding, override bool) (Ack, error) {
	ctx = As(ctx, Doctor)
	o, err := c.Orders.Draft(ctx, rx.Order{Patient: p, Kind: rx.KindMedication, Requester: Doctor.Practitioner,
		Medication: &rx.MedicationDetail{Medication: drug, Dose: ehrkit.Qty("1", "{tbl}"), Route: "oral",
			FrequencyPerDay: decimal.NewFromInt(1), DurationDays: 30, Quantity: ehrkit.Qty("30", "{tbl}")}})
	if err != nil {
		return Ack{}, err
	}
	reason := ""
	if override {
		reason = "benefit outweighs the risk, monitored"
	}
	o, err = c.Orders.Sign(ctx, o.ID, reason)
	if err != nil {
		return Ack{}, err
	}
	return Ack{OpSign, o.ID, string(p)}, nil
}

// Admit sends an ADT^A04 registration of a new identifier to the ADT handler.
func (c *Clinic) Admit(ctx context.Context, rng *rand.Rand) (Ack, error) {
	value := fmt.Sprintf("H%012x", rng.Uint64()>>16)
	control := fmt.Sprintf("C%016x", rng.Uint64())
	msg := strings.Join([]string{
		"MSH|^~\\&|REG|HOSP|EHR|" + Facility + "|20260301090000||ADT^A04^ADT_A01|" + control + "|P|2.5.1",
		"EVN|A04|20260301090000",
		"PID|1||" + value + "^^^HOSP^MR||" + families[rng.IntN(len(families))] + "^Ada||19700101|F",
		"PV1|1|O",
	}, "\r") + "\r"
	ack, err := hl7v2.Parse(c.ADT.Handle(As(ctx, Feed), []byte(msg)))
	if err != nil {
		return Ack{}, err
	}
	if code := ack.Get("MSA-1"); code != string(hl7v2.AA) {
		return Ack{}, fmt.Errorf("workload: ADT answered %s (%s)", code, ack.Get("ERR-8"))
	}
	id := hl7v2.RecordID(ehrkit.Identifier{System: "HOSP", Value: value})
	return Ack{OpADT, string(id), control}, nil
}

// Merge merges one patient this clinic registered into another.
func (c *Clinic) Merge(ctx context.Context, rng *rand.Rand) (Ack, error) {
	src, ok1 := c.pick(rng)
	dst, ok2 := c.pick(rng)
	if !ok1 || !ok2 || src == dst {
		return Ack{}, errNothing
	}
	m, err := c.Registry.Merge(As(ctx, Desk), src, dst)
	if err != nil {
		return Ack{}, err
	}
	c.mu.Lock()
	c.patients = slices.DeleteFunc(c.patients, func(p patient.ID) bool { return p == src })
	c.merges = append(c.merges, m)
	c.mu.Unlock()
	return Ack{OpMerge, m.ID, string(src) + ">" + string(dst)}, nil
}

// Unmerge reverts a merge this clinic made.
func (c *Clinic) Unmerge(ctx context.Context, rng *rand.Rand) (Ack, error) {
	c.mu.Lock()
	if len(c.merges) == 0 {
		c.mu.Unlock()
		return Ack{}, errNothing
	}
	i := rng.IntN(len(c.merges))
	m := c.merges[i]
	c.merges = slices.Delete(c.merges, i, i+1)
	c.mu.Unlock()
	back, err := c.Registry.Unmerge(As(ctx, Desk), m.Source)
	if err != nil {
		return Ack{}, err
	}
	c.mu.Lock()
	c.patients = append(c.patients, m.Source)
	c.mu.Unlock()
	return Ack{OpUnmerge, back.ID, string(m.Source) + ">" + string(m.Target)}, nil
}

// Confirm checks that the write ack reports is in store (an unguarded store)
// and intact: the patient with its MRN, the appointment at its start, the
// order signed and active, the ADT patient with its identifier, the merge
// record in the state the ack reports or a later one. Acks of one record are
// confirmed in the order they were given, so a later unmerge is seen after
// its merge; OpDeliver acks are checked by the caller against the feed.
func Confirm(ctx context.Context, store storage.Store, ack Ack) error {
	ctx = As(ctx, access.Principal{Kind: access.System, ID: "confirm"})
	store = access.Trusted(store)
	get := func(typ string) (storage.Record, error) {
		rec, err := store.Get(ctx, typ, ack.ID)
		if err != nil {
			return rec, fmt.Errorf("acknowledged %s: %w", ack, err)
		}
		return rec, nil
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("acknowledged %s: %s", ack, fmt.Sprintf(format, args...))
	}
	switch ack.Op {
	case OpRegister, OpADT:
		rec, err := get(patient.RecordType)
		if err != nil {
			return err
		}
		p, err := patient.Records.Decode(rec)
		if err != nil {
			return bad("%v", err)
		}
		if ack.Op == OpRegister && p.Identifier(patient.SystemMRN) != ack.Detail {
			return bad("MRN differs")
		}
		if ack.Op == OpADT && p.Identifier("HOSP") == "" {
			return bad("no HOSP identifier")
		}
	case OpBook:
		rec, err := get(schedule.RecordAppointment)
		if err != nil {
			return err
		}
		a, err := schedule.AppointmentRecords.Decode(rec)
		if err != nil {
			return bad("%v", err)
		}
		if a.Start.Format(time.RFC3339Nano) != ack.Detail || a.Status != schedule.Booked {
			return bad("status %s at %s", a.Status, a.Start)
		}
	case OpSign:
		rec, err := get(rx.MedicationRequestType)
		if err != nil {
			return err
		}
		o, err := rx.MedicationRequestRecords.Decode(rec)
		if err != nil {
			return bad("%v", err)
		}
		if o.Status != rx.Active || o.SignedBy == "" {
			return bad("status %s, signed by %q", o.Status, o.SignedBy)
		}
	case OpMerge, OpUnmerge:
		rec, err := get(patient.MergeRecordType)
		if err != nil {
			return err
		}
		m, err := storageDecode(rec)
		if err != nil {
			return bad("%v", err)
		}
		if string(m.Source)+">"+string(m.Target) != ack.Detail {
			return bad("merge of %s into %s", m.Source, m.Target)
		}
		if ack.Op == OpUnmerge && m.Status == patient.MergeActive {
			return bad("still merged")
		}
	case OpDeliver:
	default:
		return bad("unknown operation")
	}
	return nil
}

// storageDecode reads a merge record: the registry exports no view of them,
// so the storage envelope ({"v": version, "d": value}) is opened here.
func storageDecode(rec storage.Record) (patient.MergeRecord, error) {
	var env struct {
		D patient.MergeRecord `json:"d"`
	}
	err := json.Unmarshal(rec.Value, &env)
	return env.D, err
}
