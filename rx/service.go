package rx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/shopspring/decimal"
)

// Option configures a Service or a Dispatcher.
type Option func(*config)

type config struct {
	clock    ehrkit.Clock
	ids      ehrkit.IDGenerator
	log      *slog.Logger
	attempts int
	// maxBackoff bounds the Dispatcher's wait after failures in a row.
	maxBackoff time.Duration
}

// WithClock sets the clock (default ehrkit.RealClock). A nil clock keeps the system clock.
func WithClock(c ehrkit.Clock) Option { return func(cf *config) { cf.clock = ehrkit.OrRealClock(c) } }

// WithIDs sets the id generator of new orders (default ehrkit.NewIDs).
func WithIDs(g ehrkit.IDGenerator) Option { return func(cf *config) { cf.ids = g } }

// WithLogger sets the logger (default: discard). Only opaque ids are logged.
func WithLogger(l *slog.Logger) Option { return func(cf *config) { cf.log = l } }

// WithMaxAttempts sets how many times a Dispatcher tries to deliver one
// prescription that fails transiently before it dead-letters it (default 5).
func WithMaxAttempts(n int) Option { return func(cf *config) { cf.attempts = n } }

// WithMaxBackoff sets the longest a Dispatcher's Run waits after failed
// deliveries in a row (default 5 minutes).
func WithMaxBackoff(d time.Duration) Option { return func(cf *config) { cf.maxBackoff = d } }

func newConfig(opts []Option) config {
	c := config{clock: ehrkit.RealClock{}, log: slog.New(slog.DiscardHandler), attempts: 5, maxBackoff: 5 * time.Minute}
	for _, o := range opts {
		o(&c)
	}
	if c.ids == nil {
		c.ids = ehrkit.NewIDs(c.clock)
	}
	return c
}

func (c config) now() time.Time { return c.clock.Now().UTC().Truncate(time.Microsecond) }

// Index terms of orders.
const (
	TermStatus    = "status"
	TermKind      = "kind"
	TermRequester = "requester"
	TermAuthored  = "authored"
	TermAccession = "accession" // an imaging order's accession number
)

func orderMeta(o *Order) storage.Meta {
	terms := []storage.Term{
		{Name: TermStatus, Value: string(o.Status)}, {Name: TermKind, Value: string(o.Kind)},
		{Name: TermRequester, Value: o.Requester}, {Name: TermAuthored, Value: o.Authored.UTC().Format(storage.TimeLayout)},
	}
	if o.Imaging != nil && o.Imaging.Accession != "" {
		terms = append(terms, storage.Term{Name: TermAccession, Value: o.Imaging.Accession})
	}
	return storage.Meta{ID: o.ID, Compartment: string(o.Patient), Terms: terms}
}

var (
	medicationRequests = storage.Kind[Order]{Type: MedicationRequestType, Version: 1, Meta: orderMeta}
	serviceRequests    = storage.Kind[Order]{Type: ServiceRequestType, Version: 1, Meta: orderMeta}
	orderSets          = storage.Kind[OrderSet]{Type: OrderSetType, Version: 1, Meta: func(s *OrderSet) storage.Meta {
		return storage.Meta{ID: s.ID}
	}}
)

// OrderSetType is the storage record type of order sets (FHIR PlanDefinition
// is the resource for order sets).
const OrderSetType = "PlanDefinition"

func kindOf(k OrderKind) storage.Kind[Order] {
	if k == KindMedication {
		return medicationRequests
	}
	return serviceRequests
}

// Service is order entry: it validates and stores orders, checks medication
// orders with the knowledge base at draft and at signing, enforces signing and
// override permissions, and queues signed prescriptions for transmission.
type Service struct {
	store storage.Store
	kb    KnowledgeBase
	cfg   config
}

// NewService returns order entry over store, checking with kb. The patient's
// birth date comes from the patient registry, the body weight and allergies
// from the clinical record of the same store.
func NewService(store storage.Store, kb KnowledgeBase, opts ...Option) (*Service, error) {
	if kb == nil {
		var v ehrkit.Issues
		v.Required("kb", false)
		return nil, v.Err()
	}
	return &Service{store: store, kb: kb, cfg: newConfig(opts)}, nil
}

// AlertsError refuses to sign an order whose interruptive alerts were not
// overridden. It wraps ehrkit.ErrFailedPrecondition and lists the alerts.
type AlertsError struct {
	Order  string
	Alerts []Alert
}

// Error names the order and the rules of its alerts: ids only, no PHI.
func (e *AlertsError) Error() string {
	rules := make([]string, len(e.Alerts))
	for i, a := range e.Alerts {
		rules[i] = a.Rule
	}
	return fmt.Sprintf("rx: order %s has %d interruptive alert(s) (%s); signing needs an override with a reason", e.Order, len(e.Alerts), strings.Join(rules, ", "))
}

// Unwrap makes errors.Is(err, ehrkit.ErrFailedPrecondition) true.
func (e *AlertsError) Unwrap() error { return ehrkit.ErrFailedPrecondition }

// Draft validates and stores a new order as a draft. A medication order is
// checked and its alerts are stored with it (and returned on it). The id is
// generated when empty.
func (s *Service) Draft(ctx context.Context, o Order) (Order, error) {
	out, err := s.draft(ctx, []Order{o}, "")
	if err != nil {
		return Order{}, err
	}
	return out[0], nil
}

// draft stores orders of one patient as drafts in one transaction, checking
// the medication orders together.
func (s *Service) draft(ctx context.Context, orders []Order, set string) ([]Order, error) {
	var v ehrkit.Issues
	now := s.cfg.now()
	for i := range orders {
		o := &orders[i]
		if o.ID == "" {
			o.ID = s.cfg.ids.NewID()
		}
		v.Check(storage.ValidID(o.ID), ehrkit.JoinPath(prefix(len(orders), i), "id"), ehrkit.IssueValue, "malformed id")
		v.Check(o.Status == "" || o.Status == Draft, ehrkit.JoinPath(prefix(len(orders), i), "status"), ehrkit.IssueBusinessRule, "a new order is a draft")
		o.Status, o.Authored, o.OrderSet = Draft, now, set
		o.Signed, o.SignedBy, o.Override, o.Alerts = time.Time{}, "", nil, nil
		v.Merge(prefix(len(orders), i), o.Validate())
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		var is ehrkit.Issues
		for i := range orders {
			if err := checkRefs(ctx, tx, &orders[i], prefix(len(orders), i), &is); err != nil {
				return err
			}
		}
		if err := is.Err(); err != nil {
			return err
		}
		listed, err := ordersIn(ctx, tx, orders[0].Patient, Active, OnHold)
		if err != nil {
			return err
		}
		var active []ehrkit.Coding
		var doses []Proposed
		for _, o := range listed {
			if onList(&o) {
				active = append(active, o.Medication.Medication)
				doses = append(doses, o.Medication.proposed())
			}
		}
		if err := s.checkAll(ctx, tx, orders, active, doses); err != nil {
			return err
		}
		for i := range orders {
			if _, err := kindOf(orders[i].Kind).Put(ctx, tx, &orders[i], 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return orders, nil
}

// checkRefs adds to is, at path, a problem with the order's patient (it
// exists and was not merged away) or encounter (it exists and is the
// patient's), as read in r.
func checkRefs(ctx context.Context, r storage.Reader, o *Order, path string, is *ehrkit.Issues) error {
	if err := patient.CheckRef(ctx, r, o.Patient, ehrkit.JoinPath(path, "patient"), is); err != nil {
		return err
	}
	return clinical.CheckEncounterRef(ctx, r, o.Patient, o.Encounter, ehrkit.JoinPath(path, "encounter"), is)
}

func prefix(n, i int) string {
	if n == 1 {
		return ""
	}
	return ehrkit.Index("orders", i)
}

// checkAll runs the engine on the medication orders among orders (all of one
// patient), against the active medications (codes, and the doses of those
// whose orders could be read: Input.ActiveOrders, for the daily dose summed
// across orders) and the patient's record as read in r, and stores each
// one's alerts on it.
func (s *Service) checkAll(ctx context.Context, r storage.Reader, orders []Order, active []ehrkit.Coding, activeOrders []Proposed) error {
	var idx []int
	var proposed []Proposed
	for i, o := range orders {
		if o.Kind == KindMedication {
			idx = append(idx, i)
			proposed = append(proposed, o.Medication.proposed())
		}
	}
	if len(idx) == 0 {
		return nil
	}
	in, err := s.context(ctx, r, orders[0].Patient)
	if err != nil {
		return err
	}
	in.Active, in.ActiveOrders, in.Orders = active, activeOrders, proposed
	res := Check(s.kb, in)
	for _, k := range idx {
		orders[k].Alerts = []Alert{}
	}
	for _, a := range res.Alerts {
		k := idx[a.Order]
		a.Order = 0
		orders[k].Alerts = append(orders[k].Alerts, a)
	}
	return nil
}

// context reads in r what the engine needs about a patient, but for the
// active medications: birth date, latest body weight and active allergies.
func (s *Service) context(ctx context.Context, r storage.Reader, p patient.ID) (Input, error) {
	in := Input{On: ehrkit.DateOf(s.cfg.now())}
	rec, err := r.Get(ctx, patient.RecordType, string(p))
	switch {
	case err == nil:
		pt, err := patient.Records.Decode(rec)
		if err != nil {
			return in, err
		}
		in.Patient.BirthDate = pt.BirthDate
	case !errors.Is(err, ehrkit.ErrNotFound):
		return in, err
	}
	if in.Patient.WeightKg, err = weightKg(ctx, r, p); err != nil {
		return in, err
	}
	allergies, err := clinical.ListAllergies(ctx, r, p)
	if err != nil {
		return in, err
	}
	for _, a := range allergies {
		if a.IsActive() {
			in.Patient.Allergies = append(in.Patient.Allergies, allergen(a.Code))
		}
	}
	return in, nil
}

// weightKg returns the latest final, amended or corrected body weight in kg
// as read in r, or zero when none is recorded.
func weightKg(ctx context.Context, r storage.Reader, p patient.ID) (decimal.Decimal, error) {
	obs, err := clinical.ListObservations(ctx, r, p, ehrkit.Coding{System: ehrkit.SystemLOINC, Code: clinical.LOINCBodyWeight})
	if err != nil {
		return decimal.Zero, err
	}
	var latest *clinical.Observation
	for i, o := range obs {
		usable := o.Value.Kind == clinical.KindQuantity &&
			(o.Status == clinical.ObservationFinal || o.Status == clinical.ObservationAmended || o.Status == clinical.ObservationCorrected)
		if usable && (latest == nil || !o.Effective.Before(latest.Effective)) {
			latest = &obs[i]
		}
	}
	if latest == nil {
		return decimal.Zero, nil
	}
	kg, err := clinical.Convert(latest.Value.Quantity, "kg")
	if err != nil {
		return decimal.Zero, nil // a weight in a unit that is not a mass is ignored
	}
	return kg.Value, nil
}

// allergen picks the coding of an allergy to check: the RxNorm one if any,
// else the first coding, else the text as a display.
func allergen(c ehrkit.CodeableConcept) ehrkit.Coding {
	for _, cd := range c.Coding {
		if cd.System == ehrkit.SystemRxNorm {
			return cd
		}
	}
	if len(c.Coding) > 0 {
		cd := c.Coding[0]
		if cd.Display == "" {
			cd.Display = c.Text
		}
		return cd
	}
	return ehrkit.Coding{Display: c.Text}
}

// Get returns an order by id, whatever its kind.
func (s *Service) Get(ctx context.Context, id string) (Order, error) {
	o, _, err := s.get(ctx, s.store, id)
	return o, err
}

func (s *Service) get(ctx context.Context, r storage.Reader, id string) (Order, int64, error) {
	o, version, err := medicationRequests.Get(ctx, r, id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		return serviceRequests.Get(ctx, r, id)
	}
	return o, version, err
}

// Orders returns the patient's orders, of the given statuses (all when none
// is given), medication orders first, each kind in id order.
func (s *Service) Orders(ctx context.Context, p patient.ID, statuses ...Status) ([]Order, error) {
	return ordersIn(ctx, s.store, p, statuses...)
}

// ordersIn is Orders reading from r.
func ordersIn(ctx context.Context, r storage.Reader, p patient.ID, statuses ...Status) ([]Order, error) {
	if !storage.ValidID(string(p)) {
		var v ehrkit.Issues
		v.Add("patient", ehrkit.IssueValue, "malformed patient id")
		return nil, v.Err()
	}
	var out []Order
	for _, k := range []storage.Kind[Order]{medicationRequests, serviceRequests} {
		for o, err := range k.All(ctx, r, storage.Query{Compartment: string(p), Limit: storage.MaxLimit}) {
			if err != nil {
				return nil, err
			}
			if len(statuses) == 0 || containsStatus(statuses, o.Status) {
				out = append(out, o)
			}
		}
	}
	return out, nil
}

func containsStatus(list []Status, s Status) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Sign signs a draft order, making it active. The principal in ctx needs the
// rx.sign permission. The order is checked again inside the transaction that
// activates it, against the patient's medication list as that transaction
// reads it (see the medication ledger): two orders signed at the same time
// for one patient conflict, and the one that retries is checked against the
// other. If any alert is interruptive, overrideReason must give the reason
// and the principal must hold rx.override, else Sign fails with an
// *AlertsError (or the permission error). The override is stored with the
// order and audited. A patient who no longer exists or was merged away, or
// an encounter that does not exist, refuses the order with an
// *ehrkit.ValidationError naming the field, and so does an override reason
// that is not text (ehrkit.CheckText), before anything is read. A signed
// medication order is queued for the pharmacy in the same transaction.
func (s *Service) Sign(ctx context.Context, id, overrideReason string) (Order, error) {
	var is ehrkit.Issues
	ehrkit.CheckText(&is, "override.reason", overrideReason)
	if err := is.Err(); err != nil {
		return Order{}, err
	}
	var out Order
	err := ehrkit.Retry(ctx, retries, func() error {
		return s.store.Update(ctx, func(tx storage.Tx) error {
			var err error
			out, err = s.sign(ctx, tx, id, overrideReason)
			return err
		})
	})
	if err != nil {
		return Order{}, err
	}
	s.cfg.log.InfoContext(ctx, "rx order signed", "order", id, "overridden", out.Override != nil)
	return out, nil
}

// retries is how many times an act on a patient's medication list is tried
// when concurrent acts on the same list conflict.
const retries = 20

// sign is one attempt of Sign in tx.
func (s *Service) sign(ctx context.Context, tx storage.Tx, id, overrideReason string) (Order, error) {
	o, version, err := s.get(ctx, tx, id)
	if err != nil {
		return Order{}, err
	}
	compartment := string(o.Patient)
	act, err := access.Act(ctx, tx, access.PermRxSign, compartment)
	if err != nil {
		return Order{}, err
	}
	if o.Status != Draft {
		return Order{}, fmt.Errorf("rx: sign order %s in status %s: %w", id, o.Status, ehrkit.ErrFailedPrecondition)
	}
	var is ehrkit.Issues
	if err := checkRefs(ctx, tx, &o, "", &is); err != nil {
		return Order{}, err
	}
	if err := is.Err(); err != nil {
		return Order{}, err
	}
	var list *openLedger
	if o.Kind == KindMedication {
		if list, err = readLedger(ctx, act, o.Patient); err != nil {
			return Order{}, err
		}
		checked := []Order{o}
		doses, err := list.doses(ctx)
		if err != nil {
			return Order{}, err
		}
		if err := s.checkAll(ctx, tx, checked, list.medications(), doses); err != nil {
			return Order{}, err
		}
		o.Alerts = checked[0].Alerts
	}
	var interrupting []Alert
	for _, a := range o.Alerts {
		if a.Interruptive {
			interrupting = append(interrupting, a)
		}
	}
	principal, _ := access.PrincipalFrom(ctx)
	now := s.cfg.now()
	o.Override = nil
	if len(interrupting) > 0 {
		if strings.TrimSpace(overrideReason) == "" {
			return Order{}, &AlertsError{Order: id, Alerts: interrupting}
		}
		if _, err := access.Act(ctx, tx, access.PermRxOverride, compartment); err != nil {
			return Order{}, err
		}
		o.Override = &Override{Reason: overrideReason, By: principal.ID, At: now}
		for _, a := range interrupting {
			o.Override.Rules = append(o.Override.Rules, a.Rule)
		}
	}
	o.Status, o.Signed, o.SignedBy, o.StatusChanged = Active, now, principal.ID, now
	if _, err := kindOf(o.Kind).Put(ctx, tx, &o, version); err != nil {
		return Order{}, err
	}
	if o.Override != nil {
		if err := access.Note(ctx, tx, string(access.PermRxOverride), compartment, "order "+id+" rules "+strings.Join(o.Override.Rules, ",")); err != nil {
			return Order{}, err
		}
	}
	if err := access.Note(ctx, tx, string(access.PermRxSign), compartment, "order "+id); err != nil {
		return Order{}, err
	}
	if list != nil {
		list.set(&o)
		if err := list.write(ctx); err != nil {
			return Order{}, err
		}
		if err := queue(ctx, tx, o); err != nil {
			return Order{}, err
		}
	}
	return o, nil
}

// Transition moves an order to another status (hold, resume, complete,
// cancel, stop, mark entered in error), recording the reason. Only the moves
// CanMove allows are made; a draft becomes active only through Sign. A
// refused move fails with ehrkit.ErrFailedPrecondition. A move that takes a
// medication order off the patient's medication list (complete, cancel,
// stop or mark entered in error an active or on-hold order) changes what the
// drug checks at signing see, so it needs the rx.sign permission and is
// serialised with signing through the medication ledger.
func (s *Service) Transition(ctx context.Context, id string, to Status, reason string) (Order, error) {
	var out Order
	err := ehrkit.Retry(ctx, retries, func() error {
		return s.store.Update(ctx, func(tx storage.Tx) error {
			o, version, err := s.get(ctx, tx, id)
			if err != nil {
				return err
			}
			if !CanMove(o.Kind, o.Status, to) || (o.Status == Draft && to == Active) {
				return fmt.Errorf("rx: order %s cannot move from %s to %s: %w", id, o.Status, to, ehrkit.ErrFailedPrecondition)
			}
			previous := o
			o.Status, o.StatusReason, o.StatusChanged = to, reason, s.cfg.now()
			if _, err := kindOf(o.Kind).Put(ctx, tx, &o, version); err != nil {
				return err
			}
			out = o
			return enter(ctx, tx, &o, &previous)
		})
	})
	return out, err
}

// SaveOrderSet validates and stores an order set, replacing the one with the
// same id.
func (s *Service) SaveOrderSet(ctx context.Context, set OrderSet) error {
	if err := set.Validate(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		_, err := orderSets.Put(ctx, tx, &set, storage.Any)
		return err
	})
}

// OrderSet returns a stored order set.
func (s *Service) OrderSet(ctx context.Context, id string) (OrderSet, error) {
	set, _, err := orderSets.Get(ctx, s.store, id)
	return set, err
}

// ApplyOrderSet creates, in one transaction, a draft order for the patient
// from every order of the stored set, with the requester given; the medication
// orders are checked together. Nothing is stored if any order is invalid.
func (s *Service) ApplyOrderSet(ctx context.Context, setID string, p patient.ID, requester string) ([]Order, error) {
	set, err := s.OrderSet(ctx, setID)
	if err != nil {
		return nil, err
	}
	orders := make([]Order, len(set.Orders))
	for i, t := range set.Orders {
		raw, err := json.Marshal(t) // a deep copy: the template stays untouched
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &orders[i]); err != nil {
			return nil, err
		}
		orders[i].ID, orders[i].Patient, orders[i].Requester = "", p, requester
	}
	return s.draft(ctx, orders, set.ID)
}
