package clinical

import (
	"fmt"
	"strings"

	"github.com/ehrkit/ehrkit"
)

// ValueKind says which field of a Value is set.
type ValueKind string

// Value kinds (the FHIR Observation value[x] and QuestionnaireResponse answer
// value[x] choices ehrkit supports).
const (
	KindQuantity ValueKind = "quantity"
	KindCoded    ValueKind = "coded"
	KindText     ValueKind = "text"
	KindBoolean  ValueKind = "boolean"
	KindRange    ValueKind = "range"
	KindDate     ValueKind = "date"
)

// Value is an observed value or a form answer: exactly one of a quantity, a
// coded concept, text, a boolean, a range or a date, chosen by Kind.
type Value struct {
	Kind     ValueKind              `json:"kind"`
	Quantity ehrkit.Quantity        `json:"quantity,omitzero"`
	Concept  ehrkit.CodeableConcept `json:"concept,omitzero"`
	Text     string                 `json:"text,omitempty"`
	Boolean  bool                   `json:"boolean,omitempty"`
	Range    Range                  `json:"range,omitzero"`
	Date     ehrkit.Date            `json:"date,omitzero"`
}

// Range is a low and a high quantity, both inclusive (FHIR Range).
type Range struct {
	Low  ehrkit.Quantity `json:"low"`
	High ehrkit.Quantity `json:"high"`
}

// QuantityValue returns a quantity value.
func QuantityValue(q ehrkit.Quantity) Value { return Value{Kind: KindQuantity, Quantity: q} }

// CodedValue returns a coded value.
func CodedValue(c ehrkit.CodeableConcept) Value { return Value{Kind: KindCoded, Concept: c} }

// TextValue returns a text value.
func TextValue(s string) Value { return Value{Kind: KindText, Text: s} }

// BooleanValue returns a boolean value.
func BooleanValue(b bool) Value { return Value{Kind: KindBoolean, Boolean: b} }

// RangeValue returns a range value.
func RangeValue(low, high ehrkit.Quantity) Value {
	return Value{Kind: KindRange, Range: Range{Low: low, High: high}}
}

// DateValue returns a date value.
func DateValue(dt ehrkit.Date) Value { return Value{Kind: KindDate, Date: dt} }

// IsZero reports whether no value is set.
func (v Value) IsZero() bool { return v.Kind == "" }

// Validate checks the value of its kind: a quantity has a UCUM unit, a concept
// valid codes, text is not blank, a range has low <= high in one dimension.
func (v Value) Validate() error {
	var is ehrkit.Issues
	switch v.Kind {
	case KindQuantity:
		is.Merge("quantity", checkQuantity(v.Quantity))
	case KindCoded:
		is.Merge("concept", v.Concept.Validate())
	case KindText:
		is.Required("text", strings.TrimSpace(v.Text) != "")
	case KindBoolean:
	case KindRange:
		is.Merge("range.low", checkQuantity(v.Range.Low))
		is.Merge("range.high", checkQuantity(v.Range.High))
		if is.Len() == 0 {
			high, err := Convert(v.Range.High, v.Range.Low.Unit)
			switch {
			case err != nil && v.Range.High.Unit != v.Range.Low.Unit:
				is.Add("range.high.unit", ehrkit.IssueInvariant, "does not match the unit of low")
			case err == nil && high.Value.LessThan(v.Range.Low.Value):
				is.Add("range.high", ehrkit.IssueInvariant, "is below low")
			}
		}
	case KindDate:
		is.Required("date", !v.Date.IsZero())
		is.Merge("date", v.Date.Validate())
	case "":
		is.Add("kind", ehrkit.IssueRequired, "is required")
	default:
		is.Add("kind", ehrkit.IssueCodeInvalid, "unknown value kind")
	}
	return is.Err()
}

// checkQuantity requires a UCUM unit and a known comparator.
func checkQuantity(q ehrkit.Quantity) error {
	var is ehrkit.Issues
	if q.Unit == "" {
		is.Add("unit", ehrkit.IssueRequired, "is required")
	} else {
		is.Merge("", CheckUnit(q.Unit))
	}
	is.Check(q.Comparator == "" || oneOf(q.Comparator, "<", "<=", ">=", ">"), "comparator", ehrkit.IssueCodeInvalid, "unknown comparator")
	return is.Err()
}

// oneOf reports whether s is one of options.
func oneOf[S ~string](s S, options ...S) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

// checkCode records a code-invalid issue at path unless code is one of allowed;
// an empty code is recorded as required when required is set.
func checkCode[S ~string](is *ehrkit.Issues, path string, code S, required bool, allowed ...S) {
	switch {
	case code == "":
		is.Check(!required, path, ehrkit.IssueRequired, "is required")
	case !oneOf(code, allowed...):
		is.Add(path, ehrkit.IssueCodeInvalid, "unknown code")
	}
}

// errorf wraps a sentinel with a message naming no PHI.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
