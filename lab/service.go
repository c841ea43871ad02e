package lab

import (
	"context"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Order is what lab needs of an order ehrkit placed: whose it is, who
// ordered it and what it asks for.
type Order struct {
	ID        string
	Patient   patient.ID
	Requester string // the ordering clinician's Practitioner id
	Test      ehrkit.Coding
}

// OrderSource finds the lab order a placer number names, read in r (the
// transaction of the caller's write). It returns an error wrapping
// ehrkit.ErrNotFound when there is none. lab does not import the package that
// keeps orders; the program that wires services gives one (interop/fhir's
// Services adapt rx's ServiceRequests).
type OrderSource interface {
	LabOrder(ctx context.Context, r storage.Reader, placer string) (Order, error)
}

// Service stores laboratory reports, puts their results in the chart through
// clinical's entry point, flags them, matches them to their orders and to
// patients, and tells the ordering clinician. Safe for concurrent use.
type Service struct {
	store    storage.Store
	clinical *clinical.Service
	orders   OrderSource
	ranges   Ranges
	deltas   []DeltaRule
	clock    ehrkit.Clock
	ids      ehrkit.IDGenerator
	escalate time.Duration
	backup   string
}

// Option configures a Service.
type Option func(*Service)

// WithOrders sets where reports find their orders; without it every report is
// unsolicited.
func WithOrders(o OrderSource) Option { return func(s *Service) { s.orders = o } }

// WithRanges replaces the reference ranges results are flagged against
// (StarterRanges by default).
func WithRanges(r Ranges) Option { return func(s *Service) { s.ranges = r } }

// WithDeltaRules replaces the delta rules (StarterDeltaRules by default).
func WithDeltaRules(r []DeltaRule) Option { return func(s *Service) { s.deltas = r } }

// WithClock sets the clock of alert and acknowledgement times. A nil clock keeps the system clock.
func WithClock(c ehrkit.Clock) Option { return func(s *Service) { s.clock = ehrkit.OrRealClock(c) } }

// WithIDs sets the generator of record ids.
func WithIDs(g ehrkit.IDGenerator) Option { return func(s *Service) { s.ids = g } }

// WithEscalation sets how long a critical result may stay unacknowledged
// before Escalate tells the backup (a Practitioner id: the on-call
// clinician or the laboratory director). The default is 30 minutes; with no
// backup Escalate only marks the alert overdue.
func WithEscalation(after time.Duration, backup string) Option {
	return func(s *Service) { s.escalate, s.backup = after, backup }
}

// NewService returns a service storing in store, writing chart observations
// through chart.
func NewService(store storage.Store, chart *clinical.Service, opts ...Option) *Service {
	s := &Service{store: store, clinical: chart, ranges: StarterRanges(), deltas: StarterDeltaRules(),
		clock: ehrkit.RealClock{}, ids: ehrkit.NewIDs(nil), escalate: 30 * time.Minute}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }
