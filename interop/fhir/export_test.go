package fhir

import "io"

// ExportValue renders a domain value of the resource type as FHIR JSON, as
// Export renders a stored one, so tests round-trip values without writing
// them.
func ExportValue(resourceType string, v any) ([]byte, error) {
	return registry[resourceType].(interface{ exportAny(v any) ([]byte, error) }).exportAny(v)
}

func (m protoTyped[T, P]) exportAny(v any) ([]byte, error) {
	t := v.(T)
	return m.exportValue(&t)
}

// SplitBundle splits a Bundle held whole, as ImportFile does, returning
// Bundle.type.
func SplitBundle(b []byte, source string, fn func(Entry) error) (string, error) {
	return splitBundle(b, source, fn)
}

// StreamBundle splits a Bundle read from r, as ImportBundle does, returning
// Bundle.type.
func StreamBundle(r io.Reader, source string, fn func(Entry) error) (string, error) {
	return readBundle(r, source, fn)
}
