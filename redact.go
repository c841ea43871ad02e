package ehrkit

import (
	"fmt"
	"io"
	"log/slog"
)

// The values below hold PHI. Each redacts itself wherever it is printed or
// logged: String, GoString, every fmt verb (%v, %+v, %#v, %s, %q, %d, %x ...,
// also as an exported field of a struct or an element of a slice or map
// printed with fmt) and slog (LogValue) show what kind of value it is and
// none of its content. Encoding is untouched: encoding/json writes every
// field, as storage and the wire formats need. A struct or slice holding
// these values logged whole through slog's JSON handler is encoded with
// encoding/json, not redacted: log the value itself, or an id.

// FormatRedacted implements fmt.Formatter for a value holding PHI whose
// String and GoString show none: %#v writes v.GoString(), %q quotes
// v.String(), and every other verb writes v.String() with the width and flags
// given, so that no verb falls through to printing the fields.
func FormatRedacted(f fmt.State, verb rune, v interface {
	fmt.Stringer
	fmt.GoStringer
}) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, v.GoString())
	case verb == 'q':
		_, _ = fmt.Fprintf(f, fmt.FormatString(f, 'q'), v.String())
	default:
		_, _ = fmt.Fprintf(f, fmt.FormatString(f, 's'), v.String())
	}
}

// String shows the identifier's system, never its value.
func (id Identifier) String() string { return "Identifier(" + id.System + "|redacted)" }

// GoString shows the identifier's system, never its value.
func (id Identifier) GoString() string {
	return fmt.Sprintf("ehrkit.Identifier{System:%q /* value redacted */}", id.System)
}

// Format redacts the value for every verb; see FormatRedacted.
func (id Identifier) Format(f fmt.State, verb rune) { FormatRedacted(f, verb, id) }

// LogValue logs the identifier's system only.
func (id Identifier) LogValue() slog.Value {
	return slog.GroupValue(slog.String("system", id.System), slog.String("value", "redacted"))
}

// String hides the name.
func (n HumanName) String() string { return "HumanName(redacted)" }

// GoString hides the name.
func (n HumanName) GoString() string { return "ehrkit.HumanName{/* redacted */}" }

// Format redacts the name for every verb; see FormatRedacted.
func (n HumanName) Format(f fmt.State, verb rune) { FormatRedacted(f, verb, n) }

// LogValue logs that a name was redacted.
func (n HumanName) LogValue() slog.Value { return slog.StringValue(n.String()) }

// String hides the address.
func (a Address) String() string { return "Address(redacted)" }

// GoString hides the address.
func (a Address) GoString() string { return "ehrkit.Address{/* redacted */}" }

// Format redacts the address for every verb; see FormatRedacted.
func (a Address) Format(f fmt.State, verb rune) { FormatRedacted(f, verb, a) }

// LogValue logs that an address was redacted.
func (a Address) LogValue() slog.Value { return slog.StringValue(a.String()) }

// String shows the contact point's system (phone, email ...), never its value.
func (c ContactPoint) String() string { return "ContactPoint(" + c.System + ", redacted)" }

// GoString shows the contact point's system, never its value.
func (c ContactPoint) GoString() string {
	return fmt.Sprintf("ehrkit.ContactPoint{System:%q /* value redacted */}", c.System)
}

// Format redacts the contact point for every verb; see FormatRedacted.
func (c ContactPoint) Format(f fmt.State, verb rune) { FormatRedacted(f, verb, c) }

// LogValue logs the contact point's system only.
func (c ContactPoint) LogValue() slog.Value {
	return slog.GroupValue(slog.String("system", c.System), slog.String("value", "redacted"))
}
