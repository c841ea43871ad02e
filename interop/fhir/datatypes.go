package fhir

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/shopspring/decimal"
)

// The structs below are the FHIR R4 JSON shapes of the data types ehrkit
// models, with the conversions to and from the root package's types.

type fCoding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

type fConcept struct {
	Coding []fCoding `json:"coding,omitempty"`
	Text   string    `json:"text,omitempty"`
}

type fPeriod struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type fReference struct {
	Reference string `json:"reference,omitempty"`
	Display   string `json:"display,omitempty"`
}

type fQuantity struct {
	Value      json.Number `json:"value,omitempty"`
	Comparator string      `json:"comparator,omitempty"`
	Unit       string      `json:"unit,omitempty"`
	System     string      `json:"system,omitempty"`
	Code       string      `json:"code,omitempty"`
}

func toCoding(c fCoding) ehrkit.Coding { return ehrkit.Coding(c) }

func fromCoding(c ehrkit.Coding) fCoding { return fCoding(c) }

func toConcept(c *fConcept) ehrkit.CodeableConcept {
	if c == nil {
		return ehrkit.CodeableConcept{}
	}
	out := ehrkit.CodeableConcept{Text: c.Text}
	for _, x := range c.Coding {
		out.Coding = append(out.Coding, toCoding(x))
	}
	return out
}

func fromConcept(c ehrkit.CodeableConcept) *fConcept {
	if c.IsZero() {
		return nil
	}
	out := &fConcept{Text: c.Text}
	for _, x := range c.Coding {
		out.Coding = append(out.Coding, fromCoding(x))
	}
	return out
}

func toConcepts(cs []fConcept) []ehrkit.CodeableConcept {
	var out []ehrkit.CodeableConcept
	for i := range cs {
		out = append(out, toConcept(&cs[i]))
	}
	return out
}

func fromConcepts(cs []ehrkit.CodeableConcept) []fConcept {
	var out []fConcept
	for _, c := range cs {
		out = append(out, *fromConcept(c))
	}
	return out
}

// instantLayout renders times as FHIR dateTime / instant values in UTC with
// microseconds, the precision ehrkit keeps.
const instantLayout = "2006-01-02T15:04:05.999999Z07:00"

// parseDateTime reads a FHIR dateTime of any precision ("2019", "2019-03",
// "2019-03-04", or with a time and zone) as the instant it starts at, in UTC.
func parseDateTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) <= 10 {
		d, err := ehrkit.ParseDate(s)
		if err != nil {
			return time.Time{}, err
		}
		return d.Start(time.UTC), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: malformed dateTime", ehrkit.ErrInvalid)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

func formatDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(instantLayout)
}

func toPeriod(p *fPeriod) (ehrkit.Period, error) {
	if p == nil {
		return ehrkit.Period{}, nil
	}
	start, err := parseDateTime(p.Start)
	if err != nil {
		return ehrkit.Period{}, err
	}
	end, err := parseDateTime(p.End)
	return ehrkit.Period{Start: start, End: end}, err
}

func fromPeriod(p ehrkit.Period) *fPeriod {
	if p.IsZero() {
		return nil
	}
	return &fPeriod{Start: formatDateTime(p.Start), End: formatDateTime(p.End)}
}

func toQuantity(q *fQuantity) (ehrkit.Quantity, error) {
	if q == nil || q.Value == "" {
		return ehrkit.Quantity{}, nil
	}
	v, err := decimal.NewFromString(string(q.Value))
	if err != nil {
		return ehrkit.Quantity{}, fmt.Errorf("%w: malformed decimal", ehrkit.ErrInvalid)
	}
	unit := q.Code
	if unit == "" {
		unit = q.Unit
	}
	return ehrkit.Quantity{Value: v, Unit: unit, Comparator: q.Comparator}, nil
}

func fromQuantity(q ehrkit.Quantity) *fQuantity {
	out := &fQuantity{Value: decimalNumber(q.Value), Comparator: q.Comparator, Unit: q.Unit}
	if q.Unit != "" {
		out.System, out.Code = ehrkit.SystemUCUM, q.Unit
	}
	return out
}

// decimalNumber renders d with the decimals it was given: in FHIR "0.10"
// and "0.1" differ in precision.
func decimalNumber(d decimal.Decimal) json.Number {
	if d.Exponent() < 0 {
		return json.Number(d.StringFixed(-d.Exponent()))
	}
	return json.Number(d.String())
}

// toRef resolves a FHIR reference; an unresolvable one keeps its display only.
func toRef(r *fReference, refs *Refs) ehrkit.Reference {
	if r == nil {
		return ehrkit.Reference{}
	}
	out, _ := refs.Resolve(r.Reference)
	out.Display = r.Display
	return out
}

func fromRef(r ehrkit.Reference) *fReference {
	if r.IsZero() && r.Display == "" {
		return nil
	}
	return &fReference{Reference: r.String(), Display: r.Display}
}

// idRef is the reference to the record of type typ with id, nil for no id.
func idRef(typ, id string) *fReference {
	if id == "" {
		return nil
	}
	return fromRef(ehrkit.Ref(typ, id))
}

// each converts each element of in with fn.
func each[A, B any](in []A, fn func(A) B) []B {
	var out []B
	for _, a := range in {
		out = append(out, fn(a))
	}
	return out
}
