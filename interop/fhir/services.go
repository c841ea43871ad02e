package fhir

import (
	"context"

	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// Services are the domain services an Importer writes through. Every
// resource is stored by its owning package's transaction-scoped entry point
// (patient.Service.Save, clinical.Service.SaveObservation, ...) inside the
// importer's transaction, so every domain rule runs on imported data as on
// data entered by hand: identifier claims, vital-sign flags, the schedule's
// day ledger, the medication ledger, referential checks, events.
type Services struct {
	Patients  *patient.Service
	Directory *directory.Service
	Clinical  *clinical.Service
	Schedule  *schedule.Service
	Orders    *rx.Service
	Lab       *lab.Service
	Billing   *billing.Service
}

// NewServices returns the services over store with their default options
// (the shipped drug knowledge base for orders; lab reports matched to rx's
// laboratory orders by placer number). Build Services yourself to
// give them a clock, id generator, vital ranges or knowledge base of your own.
func NewServices(store storage.Store) (*Services, error) {
	patients, err := patient.NewService(store)
	if err != nil {
		return nil, err
	}
	orders, err := rx.NewService(store, rx.Shipped())
	if err != nil {
		return nil, err
	}
	chart := clinical.NewService(store)
	return &Services{Patients: patients, Directory: directory.NewService(store), Clinical: chart, Schedule: schedule.NewService(store), Orders: orders,
		Lab: lab.NewService(store, chart, lab.WithOrders(labOrders{})), Billing: billing.NewService(store)}, nil
}

// via adapts a service's entry point (a method expression such as
// (*clinical.Service).SaveEncounter) to the saver of a mapping.
func via[S, T any](svc func(*Services) S, save func(S, context.Context, storage.Tx, T) (storage.Outcome, error)) saver[T] {
	return func(ctx context.Context, tx storage.Tx, s *Services, v T) (storage.Outcome, error) {
		return save(svc(s), ctx, tx, v)
	}
}

func patients(s *Services) *patient.Service     { return s.Patients }
func clinicalSvc(s *Services) *clinical.Service { return s.Clinical }
func orders(s *Services) *rx.Service            { return s.Orders }
func billingSvc(s *Services) *billing.Service   { return s.Billing }
func scheduleSvc(s *Services) *schedule.Service { return s.Schedule }

// clinicalDelete is the delete entry point of the clinical record type typ.
func clinicalDelete(typ string) deleter {
	return func(ctx context.Context, tx storage.Tx, s *Services, id string) (bool, error) {
		return s.Clinical.Delete(ctx, tx, typ, id)
	}
}

func patientDelete(ctx context.Context, tx storage.Tx, s *Services, id string) (bool, error) {
	return s.Patients.Delete(ctx, tx, patient.ID(id))
}
