package rx

import (
	"fmt"
	"log/slog"

	"github.com/ehrkit/ehrkit"
)

// Orders, check inputs and prescriptions hold PHI: printed with fmt (any
// verb, %#v included) or logged with slog they show ids, kinds, statuses and
// counts only. encoding/json still writes every field.

// String shows the order's id, kind and status only: an order is PHI.
func (o Order) String() string { return fmt.Sprintf("Order/%s (%s, %s)", o.ID, o.Kind, o.Status) }

// GoString shows the order's id, kind and status only.
func (o Order) GoString() string {
	return fmt.Sprintf("rx.Order{ID:%q, Kind:%q, Status:%q /* PHI redacted */}", o.ID, o.Kind, o.Status)
}

// Format shows the order's id, kind and status for every verb; see
// ehrkit.FormatRedacted.
func (o Order) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, o) }

// LogValue logs the order's id, kind and status only.
func (o Order) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", o.ID), slog.String("kind", string(o.Kind)), slog.String("status", string(o.Status)))
}

// String shows counts only: a check input is PHI.
func (in Input) String() string {
	return fmt.Sprintf("rx.Input{%d active, %d allergies, %d orders}", len(in.Active), len(in.Patient.Allergies), len(in.Orders))
}

// GoString shows counts only.
func (in Input) GoString() string {
	return fmt.Sprintf("rx.Input{/* %d active, %d allergies, %d orders; PHI redacted */}", len(in.Active), len(in.Patient.Allergies), len(in.Orders))
}

// Format shows counts for every verb; see ehrkit.FormatRedacted.
func (in Input) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, in) }

// LogValue logs counts only.
func (in Input) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("active", len(in.Active)), slog.Int("allergies", len(in.Patient.Allergies)), slog.Int("orders", len(in.Orders)))
}

// String hides the patient's birth date, weight and allergies.
func (p Patient) String() string { return fmt.Sprintf("rx.Patient{%d allergies}", len(p.Allergies)) }

// GoString hides the patient's birth date, weight and allergies.
func (p Patient) GoString() string {
	return fmt.Sprintf("rx.Patient{/* %d allergies; PHI redacted */}", len(p.Allergies))
}

// Format hides the patient's data for every verb; see ehrkit.FormatRedacted.
func (p Patient) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, p) }

// LogValue logs the number of allergies only.
func (p Patient) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("allergies", len(p.Allergies)))
}

// String hides the proposed medication and dose: they are the patient's.
func (p Proposed) String() string { return "rx.Proposed(redacted)" }

// GoString hides the proposed medication and dose.
func (p Proposed) GoString() string { return "rx.Proposed{/* PHI redacted */}" }

// Format hides the proposed order for every verb; see ehrkit.FormatRedacted.
func (p Proposed) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, p) }

// LogValue hides the proposed order.
func (p Proposed) LogValue() slog.Value { return slog.StringValue(p.String()) }

// String shows the prescription's order id only: the order and its message
// are PHI.
func (p Prescription) String() string { return "Prescription(" + p.Order.String() + ")" }

// GoString shows the prescription's order id, kind and status only.
func (p Prescription) GoString() string {
	return fmt.Sprintf("rx.Prescription{Order:%#v, ContentType:%q /* message redacted */}", p.Order, p.ContentType)
}

// Format shows the order id for every verb; see ehrkit.FormatRedacted.
func (p Prescription) Format(f fmt.State, verb rune) { ehrkit.FormatRedacted(f, verb, p) }

// LogValue logs the order's id, kind and status only.
func (p Prescription) LogValue() slog.Value { return p.Order.LogValue() }
