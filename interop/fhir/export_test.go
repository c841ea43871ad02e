package fhir

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
