package ehrkit

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Identifier is a business identifier such as an MRN, an NPI or an insurance
// member id (FHIR Identifier). System is a URI naming the namespace of Value.
type Identifier struct {
	Use    string          `json:"use,omitempty"` // usual | official | temp | secondary | old
	Type   CodeableConcept `json:"type,omitzero"`
	System string          `json:"system,omitempty"`
	Value  string          `json:"value,omitempty"`
	Period Period          `json:"period,omitzero"`
}

// Token renders the identifier as the search token "system|value".
func (id Identifier) Token() string { return id.System + "|" + id.Value }

// Validate checks that system and value are present.
func (id Identifier) Validate() error {
	var v Issues
	v.Required("system", strings.TrimSpace(id.System) != "")
	v.Required("value", strings.TrimSpace(id.Value) != "")
	return v.Err()
}

// Reference points at another record by type and id (FHIR Reference, literal
// form "Type/id"), with an optional display.
type Reference struct {
	Type    string `json:"type,omitempty"`
	ID      string `json:"id,omitempty"`
	Display string `json:"display,omitempty"`
}

// Ref builds a Reference.
func Ref(typ, id string) Reference { return Reference{Type: typ, ID: id} }

// IsZero reports whether r points nowhere.
func (r Reference) IsZero() bool { return r.Type == "" && r.ID == "" }

// String renders the literal reference "Type/id".
func (r Reference) String() string {
	if r.IsZero() {
		return ""
	}
	return r.Type + "/" + r.ID
}

// Period is a time range; a zero Start or End is open (FHIR Period).
type Period struct {
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
}

// IsZero reports whether both ends are open.
func (p Period) IsZero() bool { return p.Start.IsZero() && p.End.IsZero() }

// Contains reports whether t lies in [Start, End).
func (p Period) Contains(t time.Time) bool {
	return (p.Start.IsZero() || !t.Before(p.Start)) && (p.End.IsZero() || t.Before(p.End))
}

// Validate checks that End is not before Start.
func (p Period) Validate() error {
	var v Issues
	v.Check(p.Start.IsZero() || p.End.IsZero() || !p.End.Before(p.Start), "end", IssueInvariant, "is before start")
	return v.Err()
}

// Quantity is a measured amount with a UCUM unit (FHIR Quantity). Value is a
// decimal so that 0.1 stays 0.1.
type Quantity struct {
	Value      decimal.Decimal `json:"value"`
	Unit       string          `json:"unit,omitempty"` // UCUM code, e.g. "mg", "kg", "mm[Hg]"
	Comparator string          `json:"comparator,omitempty"`
}

// Qty builds a Quantity from a decimal string and a UCUM unit. It panics on a
// malformed number, so use it with literals only.
func Qty(value, unit string) Quantity {
	return Quantity{Value: decimal.RequireFromString(value), Unit: unit}
}

// String renders "comparator value unit" ("<5 mmol/L", "0.10 mg"), keeping the
// value's trailing zeros.
func (q Quantity) String() string {
	s := q.Comparator + decimalText(q.Value)
	if q.Unit == "" {
		return s
	}
	return s + " " + q.Unit
}

// quantityJSON is the JSON shape of a Quantity.
type quantityJSON struct {
	Value      json.Number `json:"value"`
	Unit       string      `json:"unit,omitempty"`
	Comparator string      `json:"comparator,omitempty"`
}

// MarshalJSON encodes the value as a JSON number with its precision kept
// ("0.10" stays 0.10: in FHIR the number of decimals is significant).
func (q Quantity) MarshalJSON() ([]byte, error) {
	return json.Marshal(quantityJSON{Value: json.Number(decimalText(q.Value)), Unit: q.Unit, Comparator: q.Comparator})
}

// UnmarshalJSON decodes a value given as a JSON number or a decimal string.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	var raw struct {
		Value      decimal.Decimal `json:"value"`
		Unit       string          `json:"unit"`
		Comparator string          `json:"comparator"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("%w: quantity: %w", ErrInvalid, err)
	}
	*q = Quantity{Value: raw.Value, Unit: raw.Unit, Comparator: raw.Comparator}
	return nil
}

// decimalText renders d with as many decimals as it was given ("0.10", "120").
func decimalText(d decimal.Decimal) string {
	if d.Exponent() < 0 {
		return d.StringFixed(-d.Exponent())
	}
	return d.String()
}

// HumanName is a person's name (FHIR HumanName).
type HumanName struct {
	Use    string   `json:"use,omitempty"` // usual | official | temp | nickname | anonymous | old | maiden
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
	Suffix []string `json:"suffix,omitempty"`
	Period Period   `json:"period,omitzero"`
}

// Full renders the name as "given... family", or Text when set.
func (n HumanName) Full() string {
	if n.Text != "" {
		return n.Text
	}
	parts := append(append([]string(nil), n.Given...), n.Family)
	return strings.TrimSpace(strings.Join(parts, " "))
}

// Validate checks that the name has a family name, a given name or a text
// that is not blank and that no given name is blank. Records holding names
// check their text with CheckStrings.
func (n HumanName) Validate() error {
	var v Issues
	blank := func(s string) bool { return strings.TrimSpace(s) == "" }
	v.Check(!blank(n.Family) || slices.ContainsFunc(n.Given, func(g string) bool { return !blank(g) }) || !blank(n.Text),
		"family", IssueRequired, "needs a family name, a given name or text")
	for i, g := range n.Given {
		v.Check(!blank(g), Index("given", i), IssueValue, "is blank")
	}
	v.Check(n.Use == "" || oneOf(n.Use, "usual", "official", "temp", "nickname", "anonymous", "old", "maiden"), "use", IssueCodeInvalid, "unknown name use")
	v.Merge("period", n.Period.Validate())
	return v.Err()
}

// Address is a postal address (FHIR Address).
type Address struct {
	Use        string   `json:"use,omitempty"` // home | work | temp | old | billing
	Line       []string `json:"line,omitempty"`
	City       string   `json:"city,omitempty"`
	District   string   `json:"district,omitempty"`
	State      string   `json:"state,omitempty"`
	PostalCode string   `json:"postalCode,omitempty"`
	Country    string   `json:"country,omitempty"`
	Period     Period   `json:"period,omitzero"`
}

// ContactPoint is a phone number, email address or similar (FHIR ContactPoint).
type ContactPoint struct {
	System string `json:"system,omitempty"` // phone | fax | email | pager | url | sms | other
	Value  string `json:"value,omitempty"`
	Use    string `json:"use,omitempty"` // home | work | temp | old | mobile
	Rank   int    `json:"rank,omitempty"`
}

// Validate checks the system code and that a value is present.
func (c ContactPoint) Validate() error {
	var v Issues
	v.Required("value", strings.TrimSpace(c.Value) != "")
	v.Check(c.System == "" || oneOf(c.System, "phone", "fax", "email", "pager", "url", "sms", "other"), "system", IssueCodeInvalid, "unknown contact system")
	v.Check(c.Use == "" || oneOf(c.Use, "home", "work", "temp", "old", "mobile"), "use", IssueCodeInvalid, "unknown contact use")
	return v.Err()
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}
