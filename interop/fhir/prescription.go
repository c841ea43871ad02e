package fhir

import (
	"fmt"
	"sync"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/google/fhir/go/jsonformat/fhirvalidate"
)

// MediaTypeJSON is the media type of FHIR resources in JSON.
const MediaTypeJSON = "application/fhir+json"

// PrescriptionEncoder is the rx.Encoder of FHIR R4: it renders a prescription
// as a MedicationRequest resource in JSON with the mapping the Exporter uses,
// and validates the result against the R4 specification. The ehrkit
// order-state extension (alerts, override, order set), which lets orders
// round-trip between ehrkit stores, is left out: a pharmacy receives the
// standard elements. A PrescriptionEncoder is safe for concurrent use.
type PrescriptionEncoder struct {
	mu    sync.Mutex
	codec *Codec
}

// NewPrescriptionEncoder returns a FHIR R4 encoder of prescriptions.
func NewPrescriptionEncoder() (*PrescriptionEncoder, error) {
	codec, err := NewCodec()
	if err != nil {
		return nil, err
	}
	return &PrescriptionEncoder{codec: codec}, nil
}

// Encode renders a signed, active medication order as a MedicationRequest. An
// order that is not one fails with the *ehrkit.ValidationError of
// rx.CheckPrescription. A resource the R4 validator refuses fails with an
// error wrapping ehrkit.ErrInvalid that names the order only: the validator's
// message may quote values, and Exporter.Each shows it for the stored order.
func (e *PrescriptionEncoder) Encode(o rx.Order) ([]byte, string, error) {
	if err := rx.CheckPrescription(o); err != nil {
		return nil, "", err
	}
	f, err := medicationRequestTo(&o)
	if err != nil {
		return nil, "", err
	}
	f.Extension = nil
	if err := fhirvalidate.Validate(f); err != nil {
		return nil, "", fmt.Errorf("fhir: prescription %s is not a valid R4 MedicationRequest: %w", o.ID, ehrkit.ErrInvalid)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out, err := e.codec.m.MarshalResource(f)
	if err != nil {
		return nil, "", fmt.Errorf("fhir: render prescription %s: %w", o.ID, err)
	}
	return out, MediaTypeJSON, nil
}
