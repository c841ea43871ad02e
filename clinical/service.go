package clinical

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Service records and reads clinical data on a store: it validates every
// value, checks that the patient and encounter it refers to exist, stores each
// type in the patient's compartment, flags vital signs, guards note signing
// and keeps every version in the store's history. Safe for concurrent use.
type Service struct {
	store  storage.Store
	clock  ehrkit.Clock
	ids    ehrkit.IDGenerator
	log    *slog.Logger
	ranges VitalRanges
	// fixed is true when WithVitalRanges chose the ranges: they then apply
	// whatever the patient's age.
	fixed bool
	meds  MedicationSource
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock used for recorded, signed and transition times. A nil clock keeps the system clock.
func WithClock(c ehrkit.Clock) Option { return func(s *Service) { s.clock = ehrkit.OrRealClock(c) } }

// WithIDs sets the generator of record ids.
func WithIDs(g ehrkit.IDGenerator) Option { return func(s *Service) { s.ids = g } }

// WithLogger sets the logger (opaque ids only are logged).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithVitalRanges sets the ranges vital signs are flagged against, for every
// patient. Without it, each patient's ranges follow their age
// (VitalRangesForAge), the adult ones when the age cannot be told.
func WithVitalRanges(r VitalRanges) Option { return func(s *Service) { s.ranges, s.fixed = r, true } }

// WithMedications sets where Summary finds the patient's active medications
// (the rx package provides one).
func WithMedications(m MedicationSource) Option { return func(s *Service) { s.meds = m } }

// NewService returns a service storing in store.
func NewService(store storage.Store, opts ...Option) *Service {
	s := &Service{store: store, clock: ehrkit.RealClock{}, ids: ehrkit.NewIDs(nil), log: slog.New(slog.DiscardHandler), ranges: AdultVitalRanges()}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) id(id string) string {
	if id != "" {
		return id
	}
	return s.ids.NewID()
}

// checkRefs checks, in tx, that the patient exists (and was not merged away)
// and that the encounter, when given, exists and belongs to that patient.
func checkRefs(ctx context.Context, tx storage.Reader, p patient.ID, encounter string) error {
	var is ehrkit.Issues
	if err := patient.CheckRef(ctx, tx, p, "patient", &is); err != nil {
		return err
	}
	if err := CheckEncounterRef(ctx, tx, p, encounter, "encounter", &is); err != nil {
		return err
	}
	return is.Err()
}

// CheckEncounterRef checks, in r (the transaction of the caller's write), that
// the encounter, when not "", exists and belongs to patient p. A problem is
// added to is at path; only a storage failure is returned. Packages above
// clinical (rx, lab, billing) call it before writing a record that names an
// encounter.
func CheckEncounterRef(ctx context.Context, r storage.Reader, p patient.ID, encounter, path string, is *ehrkit.Issues) error {
	if encounter == "" {
		return nil
	}
	// The record's compartment is the encounter's patient: no need to decode it.
	rec, err := r.Get(ctx, EncounterType, encounter)
	if err != nil && !errors.Is(err, ehrkit.ErrNotFound) {
		return err
	}
	is.Check(err == nil && rec.Compartment == string(p), path, ehrkit.IssueValue, "no such encounter for this patient")
	return nil
}

// validator is a pointer to a record value that validates itself.
type validator[T any] interface {
	*T
	Validate() error
}

// validate runs v's Validate and checks that every string it holds is text
// (ehrkit.CheckStrings): the rules of every write of the service.
func validate[T any, P validator[T]](v P) error {
	var is ehrkit.Issues
	is.Merge("", P.Validate(v))
	ehrkit.CheckStrings(&is, "", v)
	return is.Err()
}

// create validates v and writes it as a new record in tx.
func create[T any, P validator[T]](ctx context.Context, tx storage.Tx, k storage.Kind[T], v P, p patient.ID, encounter string) error {
	if err := validate(v); err != nil {
		return err
	}
	if err := checkRefs(ctx, tx, p, encounter); err != nil {
		return err
	}
	_, err := k.Put(ctx, tx, v, 0)
	return err
}

// insert runs create in its own transaction.
func insert[T any, P validator[T]](ctx context.Context, s *Service, k storage.Kind[T], v P, p patient.ID, encounter string) error {
	return s.store.Update(ctx, func(tx storage.Tx) error { return create(ctx, tx, k, v, p, encounter) })
}

// keyOf returns the fields of a record that an update may not change.
type keyOf[T any] func(v *T) (id string, p patient.ID, encounter string)

// modify reads the record id, applies fn, re-validates and writes it back
// expecting the version read, all in one transaction. fn may not change the
// id, patient or encounter. It returns the value written and the version it
// replaced.
func modify[T any, P validator[T]](ctx context.Context, s *Service, k storage.Kind[T], key keyOf[T], id string, fn func(P) error) (T, int64, error) {
	var out T
	var prev int64
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		v, version, err := k.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		id0, p0, e0 := key(&v)
		if err := fn(P(&v)); err != nil {
			return err
		}
		id1, p1, e1 := key(&v)
		var is ehrkit.Issues
		is.Check(id1 == id0, "id", ehrkit.IssueInvariant, "cannot change")
		is.Check(p1 == p0, "patient", ehrkit.IssueInvariant, "cannot change")
		is.Check(e1 == e0, "encounter", ehrkit.IssueInvariant, "cannot change")
		is.Merge("", validate(P(&v)))
		if err := is.Err(); err != nil {
			return err
		}
		if _, err := k.Put(ctx, tx, &v, version); err != nil {
			return err
		}
		out, prev = v, version
		return nil
	})
	return out, prev, err
}

// list returns every record of kind k in the patient's compartment matching
// filters, in timeline order.
func list[T any](ctx context.Context, s *Service, k storage.Kind[T], p patient.ID, filters ...storage.Filter) ([]T, error) {
	return listIn(ctx, s.store, k, p, filters...)
}

// listIn is list reading from r.
func listIn[T any](ctx context.Context, r storage.Reader, k storage.Kind[T], p patient.ID, filters ...storage.Filter) ([]T, error) {
	if !storage.ValidID(string(p)) {
		var is ehrkit.Issues
		is.Add("patient", ehrkit.IssueValue, "malformed patient id")
		return nil, is.Err()
	}
	var out []T
	for v, err := range k.All(ctx, r, storage.Query{Compartment: string(p), Filters: filters, SortBy: termDate, Limit: storage.MaxLimit}) {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// get reads one record by id.
func get[T any](ctx context.Context, s *Service, k storage.Kind[T], id string) (T, error) {
	v, _, err := k.Get(ctx, s.store, id)
	return v, err
}
