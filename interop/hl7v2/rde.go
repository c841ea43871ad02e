package hl7v2

import (
	"fmt"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit/rx"
	"github.com/shopspring/decimal"
)

// MediaTypeER7 is the media type of HL7 v2 messages in the traditional
// encoding, as HL7 over HTTP names it.
const MediaTypeER7 = "x-application/hl7-v2+er7"

// RDEEncoder is the rx.Encoder of HL7 v2.5.1 pharmacy/treatment encoded
// orders (RDE^O11: MSH, PID, ORC, RXE and, when the order has a route, RXR).
// The message control id (MSH-10) and the placer order number (ORC-2) are the
// order id, and the message time (MSH-7) is the signing time, so a replay
// sends the same bytes. The zero value is ready to use.
type RDEEncoder struct {
	// Sender and Receiver fill MSH-3 (sending application) and MSH-5
	// (receiving application); empty means EHRKIT and PHARMACY.
	Sender, Receiver string
}

// Encode renders a signed, active medication order as RDE^O11. An order that
// is not one fails with the *ehrkit.ValidationError of rx.CheckPrescription.
func (e RDEEncoder) Encode(o rx.Order) ([]byte, string, error) {
	if err := rx.CheckPrescription(o); err != nil {
		return nil, "", err
	}
	sender, receiver := or(e.Sender, "EHRKIT"), or(e.Receiver, "PHARMACY")
	m := o.Medication
	subst := "N" // RXE-9, HL7 table 0167: N no substitution, G generic allowed
	if m.SubstitutionAllowed {
		subst = "G"
	}
	timing := ""
	if m.FrequencyPerDay.IsPositive() {
		timing = "^" + m.FrequencyPerDay.String() + "/d"
	}
	var b strings.Builder
	seg := func(fields ...string) {
		b.WriteString(strings.Join(fields, "|"))
		b.WriteByte('\r')
	}
	seg("MSH", `^~\&`, escape(sender), "", escape(receiver), "", ts(o.Signed), "", "RDE^O11^RDE_O11", escape(o.ID), "P", "2.5.1")
	seg("PID", "1", "", escape(string(o.Patient))+"^^^"+escape(sender)+"^PI")
	seg("ORC", "NW", escape(o.ID)+"^"+escape(sender), "", "", "", "", "", "", ts(o.Signed), "", "", escape(o.Requester))
	seg("RXE",
		timing, // RXE-1 quantity/timing
		escape(m.Medication.Code)+"^"+escape(m.Medication.Display)+"^RXNORM", // RXE-2 give code
		amount(m.Dose.Value), "", escape(m.Dose.Unit)+"^^UCUM", // RXE-3..5 give amount (minimum, maximum) and units
		"", escape(m.Instructions), "", subst, // RXE-6..9 dosage form, instructions, deliver-to, substitution
		amount(m.Quantity.Value), escape(m.Quantity.Unit), fmt.Sprint(m.Refills), // RXE-10..12 dispense amount, units, refills
	)
	if m.Route != "" {
		seg("RXR", escape(m.Route))
	}
	return []byte(b.String()), MediaTypeER7, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// escape escapes the delimiters (| ^ ~ \ &) and line breaks in a text value
// with the HL7 v2 escape sequences (v2.5.1 chapter 2, 2.7).
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '|':
			b.WriteString(`\F\`)
		case '^':
			b.WriteString(`\S\`)
		case '~':
			b.WriteString(`\R\`)
		case '\\':
			b.WriteString(`\E\`)
		case '&':
			b.WriteString(`\T\`)
		case '\r', '\n':
			b.WriteString(`\.br\`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ts renders a time as an HL7 DTM in UTC.
func ts(t time.Time) string { return t.UTC().Format("20060102150405") + "+0000" }

// amount renders a quantity's value, or nothing for zero.
func amount(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}
