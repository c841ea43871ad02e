package fhir

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/google/fhir/go/jsonformat/fhirvalidate"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
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
	// ImportResource converts a resource the Codec parsed and validated (the
	// message ResourceOf returns, such as a *patient_go_proto.Patient) into a
	// validated domain value with the given id (the resource's logical id, or
	// the one its Bundle full URL gives it), ready to be saved by its owning
	// service. A value whose only problems are terminology problems is
	// returned with its *ehrkit.ValidationError (ehrkit.Waivable), so that a
	// lenient import can store it as sent.
	ImportResource(res proto.Message, id string, refs *Refs) (Value, error)
	// Import is ImportResource for a resource held as FHIR JSON, which it
	// parses and validates with a Codec first.
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

// validated wraps v as a Value once it passes its own Validate; a value
// failing only waivably is returned with its error.
func validated[T any](v T, view storage.View[T], save saver[T]) (Value, error) {
	out := &value[T]{v: v, meta: view.Meta(&v), saver: save}
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

// protoTyped is the Mapping of a domain type T, read through view and saved
// by save, whose FHIR form is the resource message P (a
// *patient_go_proto.Patient): it reads the message the Codec parsed and
// renders the one it builds.
type protoTyped[T any, P proto.Message] struct {
	view     storage.View[T]
	elements []string
	from     func(p P, id string, refs *Refs) (T, error)
	to       func(v *T) (P, error)
	save     saver[T]
	del      deleter // nil: the owning package offers no deletion of the type
}

func (m protoTyped[T, P]) deleter() deleter { return m.del }

func (m protoTyped[T, P]) ResourceType() string { return m.view.Type() }

func (m protoTyped[T, P]) Elements() []string { return m.elements }

func (m protoTyped[T, P]) ImportResource(res proto.Message, id string, refs *Refs) (Value, error) {
	p, ok := res.(P)
	if !ok {
		return nil, fmt.Errorf("%w: %s mapping given a %T", ehrkit.ErrInvalid, m.view.Type(), res)
	}
	v, err := m.from(p, id, refs)
	if err != nil {
		return nil, err
	}
	return validated(v, m.view, m.save)
}

func (m protoTyped[T, P]) Import(raw []byte, id string, refs *Refs) (Value, error) {
	return importJSON(m, raw, id, refs)
}

// importJSON is Import for a mapping m: it parses and validates raw with a
// Codec and maps the message.
func importJSON(m Mapping, raw []byte, id string, refs *Refs) (Value, error) {
	c := codecs.Get().(*Codec)
	cr, err := c.Parse(raw)
	codecs.Put(c)
	if err != nil {
		return nil, err
	}
	_, res := ResourceOf(cr)
	return m.ImportResource(res, id, refs)
}

func (m protoTyped[T, P]) Export(rec storage.Record) ([]byte, error) { return exportRecord(m, rec) }

// message is the resource message of a stored record.
func (m protoTyped[T, P]) message(rec storage.Record) (proto.Message, error) {
	v, err := m.view.Decode(rec)
	if err != nil {
		return nil, err
	}
	return m.to(&v)
}

// messageExporter is a mapping that builds the resource message of a stored
// record, so that a caller can add to it (meta) before it is rendered.
type messageExporter interface {
	message(rec storage.Record) (proto.Message, error)
}

// exportRecord renders the message m builds for rec as validated FHIR JSON.
func exportRecord(m messageExporter, rec storage.Record) ([]byte, error) {
	p, err := m.message(rec)
	if err != nil {
		return nil, err
	}
	return renderResource(p)
}

// setMeta sets the meta of a resource message to the version and last
// update of the record it was built from.
func setMeta(res proto.Message, rec storage.Record) {
	r := res.ProtoReflect()
	fd := r.Descriptor().Fields().ByName("meta")
	if fd == nil {
		return
	}
	meta := &dtpb.Meta{VersionId: &dtpb.Id{Value: strconv.FormatInt(rec.Version, 10)}, LastUpdated: pbInstant(rec.Updated)}
	r.Set(fd, protoreflect.ValueOfMessage(meta.ProtoReflect()))
}

func (m protoTyped[T, P]) exportValue(v *T) ([]byte, error) {
	p, err := m.to(v)
	if err != nil {
		return nil, err
	}
	return renderResource(p)
}

// codecs serves the mappings' parsing and rendering; a Codec serves one
// goroutine at a time.
var codecs = sync.Pool{New: func() any {
	c, err := NewCodec()
	if err != nil {
		panic(err) // R4 and UTC are always known
	}
	return c
}}

// renderResource validates one resource message against R4 (required
// elements, primitive formats, reference types) and renders it as compact
// FHIR JSON.
func renderResource(res proto.Message) ([]byte, error) {
	if err := fhirvalidate.Validate(res); err != nil {
		return nil, err
	}
	c := codecs.Get().(*Codec)
	defer codecs.Put(c)
	return c.m.MarshalResource(res)
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
