package ehrkit

// InUseError refuses the deletion of a record other records still need: a
// patient whose compartment holds records, an encounter other records name.
// It wraps ErrFailedPrecondition and names the record (Type/ID, opaque ids,
// no PHI) and one record that needs it (By, "Type/ID").
type InUseError struct {
	Type, ID string
	By       string
}

func (e *InUseError) Error() string {
	return "ehrkit: " + e.Type + "/" + e.ID + " is still referenced by " + e.By
}

// Unwrap returns ErrFailedPrecondition.
func (e *InUseError) Unwrap() error { return ErrFailedPrecondition }
