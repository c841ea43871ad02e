package rx

import (
	"fmt"
	"log/slog"
)

// String shows the order's id, kind and status only: an order is PHI.
func (o Order) String() string { return fmt.Sprintf("Order/%s (%s, %s)", o.ID, o.Kind, o.Status) }

// LogValue logs the order's id, kind and status only.
func (o Order) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", o.ID), slog.String("kind", string(o.Kind)), slog.String("status", string(o.Status)))
}

// String shows counts only: a check input is PHI.
func (in Input) String() string {
	return fmt.Sprintf("rx.Input{%d active, %d allergies, %d orders}", len(in.Active), len(in.Patient.Allergies), len(in.Orders))
}

// LogValue logs counts only.
func (in Input) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("active", len(in.Active)), slog.Int("allergies", len(in.Patient.Allergies)), slog.Int("orders", len(in.Orders)))
}

// String hides the patient's birth date, weight and allergies.
func (p Patient) String() string { return fmt.Sprintf("rx.Patient{%d allergies}", len(p.Allergies)) }

// LogValue logs the number of allergies only.
func (p Patient) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("allergies", len(p.Allergies)))
}
