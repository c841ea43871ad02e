// Package invariant checks a store for the properties ehrkit promises after any
// interruption — a crash, a failed call, a race — and reports every violation
// with the rule it broke, the way testing/fstest reports a file system:
//
//	if err := invariant.Check(ctx, store); err != nil { t.Fatal(err) }
//
// The rules (see Rule) are those of the write paths: every committed version
// is in the record's history without a gap and in the change feed exactly once,
// a record carries the index terms its owning package derives from its value
// and is found by them, the audit chain verifies, the schedule's day ledgers
// and the medication lists agree with the records they guard, no resource is
// double-booked, no two interacting orders are active without an override,
// identifiers are unique among current patients and a merged patient's
// compartment is empty. Check reads an unguarded store. Only tests and
// harnesses use this package.
package invariant

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// Rule names one invariant.
type Rule string

// The invariants Check verifies.
const (
	RuleHistory      Rule = "history-continuous"   // versions 1..n, the current one last
	RuleFeed         Rule = "feed-complete"        // each committed version in the feed once, in order
	RuleTerms        Rule = "terms-derived"        // stored terms and compartment are those the value yields
	RuleIndex        Rule = "terms-indexed"        // a query by a record's term finds it
	RuleAudit        Rule = "audit-chain"          // access.Verify passes
	RuleLedger       Rule = "schedule-ledger"      // schedule.VerifyLedgers passes
	RuleDoubleBook   Rule = "no-double-booking"    // no two single-capacity bookings of a resource overlap
	RuleMedList      Rule = "medication-list"      // rx.VerifyList passes for every patient
	RuleSigned       Rule = "active-order-signed"  // an active order was signed and its alerts acknowledged
	RuleInteraction  Rule = "interaction-override" // two interacting active orders: one carries an override
	RuleIdentifier   Rule = "identifier-unique"    // no identifier on two current patients
	RuleMergeMoved   Rule = "merge-repointed"      // nothing left in a merged patient's compartment
	RuleCheckAborted Rule = "check-aborted"        // a read failed, later rules were not checked
)

// Violation is one broken invariant: the rule and what broke it (ids only).
type Violation struct {
	Rule   Rule
	Detail string
}

// Error lists every violation Check found.
type Error struct{ Violations []Violation }

// Error names the number of violations and the first few.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invariant: %d violation(s)", len(e.Violations))
	for i, v := range e.Violations {
		if i == 10 {
			b.WriteString("\n  ...")
			break
		}
		fmt.Fprintf(&b, "\n  %s: %s", v.Rule, v.Detail)
	}
	return b.String()
}

// Has reports whether a violation of rule was found.
func (e *Error) Has(rule Rule) bool {
	return slices.ContainsFunc(e.Violations, func(v Violation) bool { return v.Rule == rule })
}

// Option configures Check.
type Option func(*config)

type config struct {
	kb      rx.KnowledgeBase
	samples int
	rnd     *rand.Rand
}

// WithKnowledgeBase sets the drug knowledge base the interaction rule uses
// (rx.Shipped by default).
func WithKnowledgeBase(kb rx.KnowledgeBase) Option { return func(c *config) { c.kb = kb } }

// WithIndexSamples sets how many (record, term) pairs RuleIndex queries (200
// by default; every pair is compared with its value by RuleTerms regardless).
func WithIndexSamples(n int) Option { return func(c *config) { c.samples = n } }

// WithSeed makes the choice of the RuleIndex samples deterministic.
func WithSeed(seed uint64) Option {
	return func(c *config) { c.rnd = rand.New(rand.NewPCG(seed, 18)) }
}

// Check verifies every invariant on store, an unguarded store (a backend, or
// access.Trusted of one), and returns nil or an *Error listing every
// violation. A read that fails stops the check with a RuleCheckAborted
// violation and the error.
func Check(ctx context.Context, store storage.Store, opts ...Option) error {
	c := config{samples: 200}
	for _, o := range opts {
		o(&c)
	}
	if c.kb == nil {
		c.kb = rx.Shipped()
	}
	if c.rnd == nil {
		c.rnd = rand.New(rand.NewPCG(rand.Uint64(), 18))
	}
	ctx = access.WithPrincipal(ctx, access.Principal{Kind: access.System, ID: "invariant-check"})
	ch := checker{c: c, store: access.Trusted(store)}
	err := ch.run(ctx)
	if err != nil {
		ch.add(RuleCheckAborted, "%v", err)
	}
	if len(ch.found) == 0 {
		return nil
	}
	return &Error{Violations: ch.found}
}

type checker struct {
	c     config
	store storage.Store
	found []Violation
	// overrides are the order pairs merges overrode (mergeOverrides).
	overrides map[[2]string]bool
}

func (ch *checker) add(rule Rule, format string, args ...any) {
	ch.found = append(ch.found, Violation{Rule: rule, Detail: fmt.Sprintf(format, args...)})
}

func (ch *checker) run(ctx context.Context) error {
	current, err := ch.historyAndFeed(ctx)
	if err != nil {
		return err
	}
	if err := ch.terms(ctx, current); err != nil {
		return err
	}
	if err := access.Verify(ctx, ch.store); err != nil {
		var ce *access.ChainError
		if !errors.As(err, &ce) {
			return err
		}
		ch.add(RuleAudit, "%v", err)
	}
	if err := ch.schedule(ctx); err != nil {
		return err
	}
	return ch.patients(ctx)
}

type key struct{ typ, id string }

// historyAndFeed reads the whole change feed and every record's history, and
// returns the current records.
func (ch *checker) historyAndFeed(ctx context.Context) ([]storage.Record, error) {
	fed := map[key][]int64{}
	var order []key
	last := int64(0)
	for {
		changes, err := ch.store.Changes(ctx, last, storage.MaxChangeRead)
		if err != nil {
			return nil, err
		}
		if len(changes) == 0 {
			break
		}
		for _, c := range changes {
			if c.Seq <= last {
				ch.add(RuleFeed, "seq %d after %d", c.Seq, last)
			}
			last = c.Seq
			if c.Kind == storage.ChangeEvent {
				continue
			}
			k := key{c.Type, c.ID}
			if _, ok := fed[k]; !ok {
				order = append(order, k)
			}
			fed[k] = append(fed[k], c.Version)
		}
	}
	var current []storage.Record
	for _, k := range order {
		if k.typ == access.AuditEventType {
			// Written once, never changed: the audit chain check reads them.
			if !slices.Equal(fed[k], []int64{1}) {
				ch.add(RuleFeed, "%s/%s: feed has versions %v", k.typ, k.id, fed[k])
			}
			continue
		}
		hist, err := ch.store.History(ctx, k.typ, k.id)
		if err != nil {
			return nil, fmt.Errorf("history of %s/%s: %w", k.typ, k.id, err)
		}
		for i, r := range hist {
			if r.Version != int64(i+1) {
				ch.add(RuleHistory, "%s/%s: version %d at position %d", k.typ, k.id, r.Version, i+1)
				break
			}
		}
		want := make([]int64, len(hist))
		for i, r := range hist {
			want[i] = r.Version
		}
		if !slices.Equal(fed[k], want) {
			ch.add(RuleFeed, "%s/%s: feed has versions %v, history %v", k.typ, k.id, fed[k], want)
		}
		cur, err := ch.store.Get(ctx, k.typ, k.id)
		lastRec := hist[len(hist)-1]
		switch {
		case errors.Is(err, ehrkit.ErrNotFound):
			if !lastRec.Deleted {
				ch.add(RuleHistory, "%s/%s: not found, last version %d is no tombstone", k.typ, k.id, lastRec.Version)
			}
		case err != nil:
			return nil, err
		case cur.Version != lastRec.Version || lastRec.Deleted:
			ch.add(RuleHistory, "%s/%s: current version %d, history ends at %d", k.typ, k.id, cur.Version, lastRec.Version)
		default:
			current = append(current, cur)
		}
	}
	return current, nil
}

// metaFuncs derives, per record type, the metadata the owning package
// computes from a record's value.
var metaFuncs = map[string]func(storage.Record) (storage.Meta, error){}

func register[T any](v storage.View[T]) {
	metaFuncs[v.Type()] = func(r storage.Record) (storage.Meta, error) {
		x, err := v.Decode(r)
		if err != nil {
			return storage.Meta{}, err
		}
		return v.Meta(&x), nil
	}
}

func init() {
	register(patient.Records)
	register(schedule.AppointmentRecords)
	register(schedule.ScheduleRecords)
	register(rx.MedicationRequestRecords)
	register(rx.ServiceRequestRecords)
	register(clinical.EncounterRecords)
	register(clinical.ConditionRecords)
	register(clinical.AllergyRecords)
	register(clinical.ObservationRecords)
	register(clinical.ProcedureRecords)
	register(clinical.ImmunizationRecords)
	register(clinical.CarePlanRecords)
	register(clinical.GoalRecords)
	register(clinical.FormResponseRecords)
	register(clinical.NoteRecords)
	register(clinical.ImagingStudyRecords)
	register(lab.ReportRecords)
	register(lab.AlertRecords)
	register(billing.CoverageRecords)
	register(billing.ClaimRecords)
	register(directory.PractitionerRecords)
	register(directory.OrganizationRecords)
	register(directory.LocationRecords)
	register(directory.PractitionerRoleRecords)
}

func termKey(t storage.Term) string { return t.Name + "\x00" + t.Value }

// terms compares each current record's terms with those its value yields and
// queries a sample of them.
func (ch *checker) terms(ctx context.Context, current []storage.Record) error {
	type pair struct {
		rec  storage.Record
		term storage.Term
	}
	var pairs []pair
	for _, r := range current {
		for _, t := range r.Terms {
			pairs = append(pairs, pair{r, t})
		}
		meta, ok := metaFuncs[r.Type]
		if !ok {
			continue
		}
		m, err := meta(r)
		if err != nil {
			ch.add(RuleTerms, "%s/%s: value does not decode: %v", r.Type, r.ID, err)
			continue
		}
		got := sortedTerms(r.Terms)
		want := sortedTerms(m.Terms)
		// The guard adds its own terms (the facility); compare the owner's.
		got = slices.DeleteFunc(got, func(k string) bool { return strings.HasPrefix(k, access.FacilityTerm+"\x00") })
		want = slices.DeleteFunc(want, func(k string) bool { return strings.HasPrefix(k, access.FacilityTerm+"\x00") })
		if !slices.Equal(got, want) {
			ch.add(RuleTerms, "%s/%s v%d: %d stored terms, %d derived", r.Type, r.ID, r.Version, len(got), len(want))
		}
		if m.Compartment != r.Compartment {
			ch.add(RuleTerms, "%s/%s v%d: compartment %q, value says %q", r.Type, r.ID, r.Version, r.Compartment, m.Compartment)
		}
	}
	ch.c.rnd.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
	for _, p := range pairs[:min(len(pairs), ch.c.samples)] {
		found, err := ch.finds(ctx, p.rec, p.term)
		if err != nil {
			return err
		}
		if !found {
			ch.add(RuleIndex, "%s/%s: not found by its term %s", p.rec.Type, p.rec.ID, p.term.Name)
		}
	}
	return nil
}

func sortedTerms(ts []storage.Term) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = termKey(t)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// finds reports whether a query by the term, within the record's type and
// compartment, returns the record.
func (ch *checker) finds(ctx context.Context, rec storage.Record, t storage.Term) (bool, error) {
	found := false
	errFound := errors.New("found")
	err := ch.each(ctx, storage.Query{Type: rec.Type, Compartment: rec.Compartment,
		Filters: []storage.Filter{{Term: t.Name, Op: storage.Eq, Value: t.Value}}}, func(r storage.Record) error {
		if r.ID == rec.ID {
			found = true
			return errFound
		}
		return nil
	})
	if errors.Is(err, errFound) {
		err = nil
	}
	return found, err
}

// orderPair is the key of two medication orders, in either order.
func orderPair(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

// mergeOverrides returns the pairs of orders the merges in force overrode
// (patient.MergeOverride findings), read once per check.
func (ch *checker) mergeOverrides(ctx context.Context) (map[[2]string]bool, error) {
	if ch.overrides != nil {
		return ch.overrides, nil
	}
	out := map[[2]string]bool{}
	err := ch.each(ctx, storage.Query{Type: patient.MergeRecordType}, func(rec storage.Record) error {
		m, err := patient.MergeRecords.Decode(rec)
		if err != nil || m.Status != patient.MergeActive || m.Override == nil {
			return err
		}
		for _, f := range m.Override.Findings {
			out[orderPair(strings.TrimPrefix(f.Source, rx.MedicationRequestType+"/"), strings.TrimPrefix(f.Target, rx.MedicationRequestType+"/"))] = true
		}
		return nil
	})
	ch.overrides = out
	return out, err
}

// each calls fn for every record q selects, page by page.
func (ch *checker) each(ctx context.Context, q storage.Query, fn func(storage.Record) error) error {
	q.Limit = storage.MaxLimit
	for {
		page, err := ch.store.Query(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			if err := fn(r); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
}

// schedule checks the day ledgers and that no resource is double-booked.
func (ch *checker) schedule(ctx context.Context) error {
	if err := schedule.VerifyLedgers(ctx, ch.store); err != nil {
		var le *schedule.LedgerError
		if !errors.As(err, &le) {
			return err
		}
		for _, m := range le.Missing {
			ch.add(RuleLedger, "missing %s", m)
		}
		for _, s := range le.Stale {
			ch.add(RuleLedger, "stale %s", s)
		}
	}
	svc := schedule.NewService(ch.store)
	capacity := map[string]int{}
	byResource := map[string][]schedule.Appointment{}
	err := ch.each(ctx, storage.Query{Type: schedule.RecordAppointment}, func(rec storage.Record) error {
		a, err := schedule.AppointmentRecords.Decode(rec)
		if err != nil {
			return err
		}
		if a.Status == schedule.Cancelled || a.Status == schedule.Proposed || a.Overbooked {
			return nil
		}
		if _, ok := capacity[a.Type]; !ok {
			typ, err := svc.Type(ctx, a.Type)
			if err != nil {
				return err
			}
			capacity[a.Type] = typ.Capacity
		}
		if capacity[a.Type] > 1 {
			return nil
		}
		for _, r := range a.Resources {
			byResource[r.String()] = append(byResource[r.String()], a)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for res, as := range byResource {
		slices.SortFunc(as, func(a, b schedule.Appointment) int {
			return a.Start.Add(-a.BufferBefore).Compare(b.Start.Add(-b.BufferBefore))
		})
		for i := 1; i < len(as); i++ {
			prev, next := as[i-1], as[i]
			if next.Start.Add(-next.BufferBefore).Before(prev.End.Add(prev.BufferAfter)) {
				ch.add(RuleDoubleBook, "%s: %s and %s overlap", res, prev.ID, next.ID)
			}
		}
	}
	return nil
}

// patients checks identifiers, merges and, per current patient, the
// medication list and the active orders.
func (ch *checker) patients(ctx context.Context) error {
	owner := map[string]patient.ID{}
	return ch.each(ctx, storage.Query{Type: patient.RecordType}, func(rec storage.Record) error {
		p, err := patient.Records.Decode(rec)
		if err != nil {
			return err
		}
		if p.ReplacedBy() != "" {
			return ch.merged(ctx, p)
		}
		for _, id := range p.Identifiers {
			k := id.System + "|" + id.Value
			if other, ok := owner[k]; ok && other != p.ID {
				ch.add(RuleIdentifier, "an identifier of system %s on %s and %s", id.System, other, p.ID)
			}
			owner[k] = p.ID
		}
		return ch.orders(ctx, p.ID)
	})
}

// merged checks that only the source's own record and its audit events stay
// in a merged patient's compartment.
func (ch *checker) merged(ctx context.Context, p patient.Patient) error {
	return ch.each(ctx, storage.Query{Compartment: string(p.ID)}, func(r storage.Record) error {
		if (r.Type != patient.RecordType || r.ID != string(p.ID)) && r.Type != access.AuditEventType {
			ch.add(RuleMergeMoved, "%s/%s left in the compartment of %s, merged into %s", r.Type, r.ID, p.ID, p.ReplacedBy())
		}
		return nil
	})
}

// orders checks a patient's medication list and active medication orders.
func (ch *checker) orders(ctx context.Context, p patient.ID) error {
	if err := rx.VerifyList(ctx, ch.store, p); err != nil {
		var le *rx.ListError
		if !errors.As(err, &le) {
			return err
		}
		for _, id := range le.Unlisted {
			ch.add(RuleMedList, "%s: active order %s not on the list", p, id)
		}
		for _, id := range le.Extra {
			ch.add(RuleMedList, "%s: order %s on the list, not active", p, id)
		}
	}
	var active []rx.Order
	err := ch.each(ctx, storage.Query{Type: rx.MedicationRequestType, Compartment: string(p)}, func(rec storage.Record) error {
		o, err := rx.MedicationRequestRecords.Decode(rec)
		if err != nil || o.Status != rx.Active || o.Medication == nil {
			return err
		}
		// An order drafted here becomes active only by signing; one imported
		// active was signed elsewhere.
		if first, err := ch.store.GetVersion(ctx, rec.Type, rec.ID, 1); err != nil {
			return err
		} else if v1, err := rx.MedicationRequestRecords.Decode(first); err != nil {
			return err
		} else if v1.Status == rx.Draft && (o.SignedBy == "" || o.Signed.IsZero()) {
			ch.add(RuleSigned, "%s: order %s drafted here, active, never signed", p, o.ID)
		}
		if o.Override == nil && slices.ContainsFunc(o.Alerts, func(a rx.Alert) bool { return a.Interruptive }) {
			ch.add(RuleSigned, "%s: order %s active with interruptive alerts and no override", p, o.ID)
		}
		active = append(active, o)
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(active, func(a, b rx.Order) int { return cmp.Compare(a.ID, b.ID) })
	overridden, err := ch.mergeOverrides(ctx)
	if err != nil {
		return err
	}
	for i, a := range active {
		for _, b := range active[i+1:] {
			if a.Override != nil || b.Override != nil {
				continue
			}
			// A merge that brought the two onto one chart carries the
			// override of the pair, or the merge checked and found none.
			if overridden[orderPair(a.ID, b.ID)] {
				continue
			}
			res := rx.Check(ch.c.kb, rx.Input{Orders: []rx.Proposed{{Medication: a.Medication.Medication}}, Active: []ehrkit.Coding{b.Medication.Medication}})
			if slices.ContainsFunc(res.Alerts, func(al rx.Alert) bool { return al.Kind == rx.DrugDrug && al.Interruptive }) {
				ch.add(RuleInteraction, "%s: orders %s and %s interact, neither overridden", p, a.ID, b.ID)
			}
		}
	}
	return nil
}
