package patient

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/ehrkit/ehrkit"
)

// Patients, their contacts, matches, search criteria and results hold PHI:
// printed with fmt (any verb) or logged with slog they show ids, counts and
// which criteria are set, never names, dates, identifiers, phones or
// addresses. encoding/json still writes every field.

// String shows the id only: patients carry PHI.
func (p Patient) String() string { return fmt.Sprintf("Patient/%s", p.ID) }

// GoString shows the id and version only.
func (p Patient) GoString() string {
	return fmt.Sprintf("patient.Patient{ID:%q, Version:%d /* PHI redacted */}", p.ID, p.Version)
}

// Format shows the id only, for every verb; see ehrkit.FormatRedacted.
func (p Patient) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, p) }

// LogValue logs the id and version only.
func (p Patient) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", string(p.ID)), slog.Int64("version", p.Version))
}

// String hides the contact: a name, phones and an address are PHI.
func (c Contact) String() string { return "Contact(redacted)" }

// GoString hides the contact.
func (c Contact) GoString() string { return "patient.Contact{/* redacted */}" }

// Format redacts the contact for every verb; see ehrkit.FormatRedacted.
func (c Contact) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, c) }

// LogValue logs that a contact was redacted.
func (c Contact) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String summarises a match by id, level and score: no PHI.
func (m Match) String() string {
	return fmt.Sprintf("Patient/%s %s %.1f", m.Patient.ID, m.Level, m.Score)
}

// LogValue logs the matched patient's id, the level and the score.
func (m Match) LogValue() slog.Value {
	return slog.GroupValue(slog.String("patient", string(m.Patient.ID)), slog.String("level", m.Level.String()), slog.Float64("score", m.Score))
}

// criteria names the criteria q sets, never their values.
func (q Query) criteria() []string {
	var set []string
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"name", q.Name != ""}, {"phonetic", q.Phonetic != ""}, {"birthDate", !q.BirthDate.IsZero()},
		{"bornFrom", !q.BornFrom.IsZero()}, {"bornTo", !q.BornTo.IsZero()}, {"gender", q.Gender != ""},
		{"identifier", q.Identifier.System != "" || q.Identifier.Value != ""}, {"phone", q.Phone != ""}, {"email", q.Email != ""},
		{"postalCode", q.PostalCode != ""}, {"includeMerged", q.IncludeMerged},
	} {
		if c.ok {
			set = append(set, c.name)
		}
	}
	return set
}

// String names the criteria set, never their values.
func (q Query) String() string { return "Query(" + strings.Join(q.criteria(), ", ") + ")" }

// GoString names the criteria set, never their values.
func (q Query) GoString() string {
	return "patient.Query{/* criteria: " + strings.Join(q.criteria(), ", ") + " */}"
}

// Format names the criteria set, for every verb; see ehrkit.FormatRedacted.
func (q Query) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, q) }

// LogValue logs the criteria set and the page size, never their values.
func (q Query) LogValue() slog.Value {
	return slog.GroupValue(slog.String("criteria", strings.Join(q.criteria(), ",")), slog.Int("limit", q.Limit))
}

// ids returns the ids of the page's patients.
func (r Results) ids() []string {
	ids := make([]string, len(r.Patients))
	for i, p := range r.Patients {
		ids[i] = string(p.ID)
	}
	return ids
}

// String shows the ids of the page's patients and whether more follow; the
// cursor is not shown.
func (r Results) String() string {
	return fmt.Sprintf("Results(%s; more: %t)", strings.Join(r.ids(), ", "), r.Next != "")
}

// GoString shows the ids of the page's patients and whether more follow.
func (r Results) GoString() string {
	return fmt.Sprintf("patient.Results{/* patients: %s; more: %t */}", strings.Join(r.ids(), ", "), r.Next != "")
}

// Format shows the ids and whether more follow, for every verb; see
// ehrkit.FormatRedacted.
func (r Results) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, r) }

// LogValue logs the ids of the page's patients and whether more follow.
func (r Results) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("patients", r.ids()), slog.Bool("more", r.Next != ""))
}
