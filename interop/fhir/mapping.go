package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Mapping converts one FHIR resource type to and from ehrkit's domain values.
// Resources reach Import only after the Codec has parsed and validated them
// against the R4 specification, and what Export produces is validated the
// same way before it is written out.
type Mapping interface {
	// ResourceType is the FHIR resource type name, which is also the record type.
	ResourceType() string
	// Elements lists the top-level elements of the resource the ehrkit model
	// holds; the import report counts the others as unmapped.
	Elements() []string
	// Import converts a validated resource (FHIR JSON) into a validated domain
	// value with the given id (the resource's logical id, or the one its
	// Bundle full URL gives it), ready to be saved by its owning service. A
	// value whose only problems are terminology problems is returned with its
	// *ehrkit.ValidationError (ehrkit.Waivable), so that a lenient import can
	// store it as sent.
	Import(raw []byte, id string, refs *Refs) (Value, error)
	// Export converts a stored record back into FHIR JSON.
	Export(rec storage.Record) ([]byte, error)
}

// Value is one imported resource as the domain value its owning package
// stores (a patient.Patient, a clinical.Observation, an rx.Order ...).
type Value interface {
	// ID is the record id.
	ID() string
	// Compartment is the patient the value belongs to, "" for none.
	Compartment() string
	// Domain returns the domain value.
	Domain() any
	// save writes the value through its owning service's transaction-scoped
	// entry point.
	save(ctx context.Context, tx storage.Tx, s *Services) (storage.Outcome, error)
}

// saver is a domain package's transaction-scoped entry point for T.
type saver[T any] func(ctx context.Context, tx storage.Tx, s *Services, v T) (storage.Outcome, error)

// typed is the Mapping of a domain type T, read through view and saved by
// save, whose FHIR JSON form is decoded into the struct F.
type typed[T, F any] struct {
	view     storage.View[T]
	elements []string
	from     func(f *F, id string, refs *Refs) (T, error)
	to       func(v *T) (F, error)
	save     saver[T]
	del      deleter // nil: the owning package offers no deletion of the type
}

// deleter is a domain package's transaction-scoped delete entry point: it
// deletes record id of its type, or refuses under a domain rule, and
// reports whether there was a record to delete.
type deleter func(ctx context.Context, tx storage.Tx, s *Services, id string) (bool, error)

// deleterOf returns the delete entry point of a resource type, if its
// owning package offers one.
func deleterOf(typ string) (deleter, bool) {
	m, ok := registry[typ].(interface{ deleter() deleter })
	if !ok || m.deleter() == nil {
		return nil, false
	}
	return m.deleter(), true
}

func (m typed[T, F]) deleter() deleter { return m.del }

// value is a Value of domain type T.
type value[T any] struct {
	v     T
	meta  storage.Meta
	saver saver[T]
}

func (v *value[T]) ID() string          { return v.meta.ID }
func (v *value[T]) Compartment() string { return v.meta.Compartment }
func (v *value[T]) Domain() any         { return v.v }
func (v *value[T]) save(ctx context.Context, tx storage.Tx, s *Services) (storage.Outcome, error) {
	return v.saver(ctx, tx, s, v.v)
}

func (m typed[T, F]) ResourceType() string { return m.view.Type() }

func (m typed[T, F]) Elements() []string { return m.elements }

func (m typed[T, F]) Import(raw []byte, id string, refs *Refs) (Value, error) {
	var f F
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("decode %s: %w", m.view.Type(), err)
	}
	v, err := m.from(&f, id, refs)
	if err != nil {
		return nil, err
	}
	out := &value[T]{v: v, meta: m.view.Meta(&v), saver: m.save}
	if val, ok := any(&v).(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			if ehrkit.Waivable(err) {
				return out, err
			}
			return nil, err
		}
	}
	return out, nil
}

func (m typed[T, F]) Export(rec storage.Record) ([]byte, error) {
	v, err := m.view.Decode(rec)
	if err != nil {
		return nil, err
	}
	return m.exportValue(&v)
}

func (m typed[T, F]) exportValue(v *T) ([]byte, error) {
	f, err := m.to(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(f)
}

// registry holds the mappings of every resource type ehrkit models.
var registry = map[string]Mapping{}

func register(m Mapping) { registry[m.ResourceType()] = m }

// Supported returns the resource types ehrkit maps, sorted.
func Supported() []string {
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// MappingFor returns the mapping of a resource type.
func MappingFor(resourceType string) (Mapping, bool) {
	m, ok := registry[resourceType]
	return m, ok
}
