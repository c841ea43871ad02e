package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ehrkit/ehrkit/storage"
)

// Mapping converts one FHIR resource type to and from ehrkit records. Resources
// reach Import only after the Codec has parsed and validated them against the
// R4 specification, and what Export produces is validated the same way before
// it is written out.
type Mapping interface {
	// ResourceType is the FHIR resource type name, which is also the record type.
	ResourceType() string
	// Elements lists the top-level elements of the resource the ehrkit model
	// holds; the import report counts the others as unmapped.
	Elements() []string
	// Import converts a validated resource (FHIR JSON) into a validated record
	// ready to store, with the given id (the resource's logical id, or the one
	// its Bundle full URL gives it).
	Import(raw []byte, id string, refs *Refs) (storage.Record, error)
	// Export converts a stored record back into FHIR JSON.
	Export(rec storage.Record) ([]byte, error)
}

// typed is the Mapping of a domain type T stored with kind, whose FHIR JSON
// form is decoded into the struct F.
type typed[T, F any] struct {
	kind     storage.Kind[T]
	elements []string
	from     func(f *F, id string, refs *Refs) (T, error)
	to       func(v *T) (F, error)
	// claim, when set, keeps the records that accompany a value in step in the
	// writing transaction (a patient's identifier keys); previous is the
	// version being replaced, nil for a new record. A *ehrkit.ValidationError
	// refuses the resource alone; any other error fails the transaction.
	claim func(ctx context.Context, tx storage.Tx, v, previous *T) error
}

// companion is implemented by mappings whose records keep other records in
// step within the transaction that writes them.
type companion interface {
	keep(ctx context.Context, tx storage.Tx, rec storage.Record, previous *storage.Record) error
}

func (m typed[T, F]) keep(ctx context.Context, tx storage.Tx, rec storage.Record, previous *storage.Record) error {
	if m.claim == nil {
		return nil
	}
	v, err := m.kind.Decode(rec)
	if err != nil {
		return err
	}
	var prev *T
	if previous != nil {
		p, err := m.kind.Decode(*previous)
		if err != nil {
			return err
		}
		prev = &p
	}
	return m.claim(ctx, tx, &v, prev)
}

func (m typed[T, F]) ResourceType() string { return m.kind.Type }

func (m typed[T, F]) Elements() []string { return m.elements }

func (m typed[T, F]) Import(raw []byte, id string, refs *Refs) (storage.Record, error) {
	var f F
	if err := json.Unmarshal(raw, &f); err != nil {
		return storage.Record{}, fmt.Errorf("decode %s: %w", m.kind.Type, err)
	}
	v, err := m.from(&f, id, refs)
	if err != nil {
		return storage.Record{}, err
	}
	if val, ok := any(&v).(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			return storage.Record{}, err
		}
	}
	return m.kind.Encode(&v)
}

func (m typed[T, F]) Export(rec storage.Record) ([]byte, error) {
	v, err := m.kind.Decode(rec)
	if err != nil {
		return nil, err
	}
	f, err := m.to(&v)
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
