package hl7v2

import (
	"strconv"
	"time"
)

// AckCode is MSA-1 (HL7 table 0008): AA/AE/AR in original mode, CA/CE/CR
// for the commit acknowledgements of enhanced mode.
type AckCode string

// Acknowledgement codes (HL7 table 0008).
const (
	AA AckCode = "AA" // application accept
	AE AckCode = "AE" // application error
	AR AckCode = "AR" // application reject
	CA AckCode = "CA" // commit accept
	CE AckCode = "CE" // commit error
	CR AckCode = "CR" // commit reject
)

// HL7 error codes (table 0357) for ERR-3.
const (
	CodeSegmentSequence    = 100
	CodeRequiredMissing    = 101
	CodeDataType           = 102
	CodeTableValue         = 103
	CodeUnsupportedMessage = 200
	CodeUnknownKey         = 204
	CodeApplicationError   = 207
)

var errorCodeText = map[int]string{
	CodeSegmentSequence: "Segment sequence error", CodeRequiredMissing: "Required field missing",
	CodeDataType: "Data type error", CodeTableValue: "Table value not found",
	CodeUnsupportedMessage: "Unsupported message type", CodeUnknownKey: "Unknown key identifier", CodeApplicationError: "Application internal error",
}

// AckError is one ERR segment: where (a position like an *Error's), the
// table 0357 code, and a diagnostic text without PHI (ERR-8).
type AckError struct {
	Position Error
	Code     int
	Text     string
}

// Ack builds the acknowledgement of orig: MSH with sender and receiver
// swapped, MSH-9 ACK^<trigger>^ACK, MSH-10 controlID, MSH-11 and MSH-12 as
// in orig; MSA-1 code and MSA-2 = orig's MSH-10, so the sender matches the
// ACK to its message; one ERR segment (v2.5 layout: ERR-2 location, ERR-3
// code, ERR-4 severity, ERR-8 text) per error. The ACK uses orig's delimiters.
func Ack(orig *Message, code AckCode, controlID string, at time.Time, errs ...AckError) *Message {
	d := orig.Delims
	raw := func(path string) string {
		p, _ := parsePath(path)
		seg, ok := orig.Segment(p.name, 1)
		if !ok {
			return ""
		}
		return seg.Field(p.field).Raw()
	}
	c := string(d.Component)
	trigger, _ := orig.Segment("MSH", 1)
	event := trigger.Field(9).Rep(1).Component(2).Raw()
	m := NewMessage(d, raw("MSH-5"), raw("MSH-6"), raw("MSH-3"), raw("MSH-4"), at.UTC().Format("20060102150405")+"+0000", "",
		"ACK"+c+event+c+"ACK", d.EscapeText(controlID), raw("MSH-11"), raw("MSH-12"))
	m.Add("MSA", string(code), raw("MSH-10"))
	for _, e := range errs {
		p := e.Position
		loc := ""
		if p.Segment != "" {
			loc = p.Segment + c + itoa(p.SegmentIndex) + c + itoa(p.Field) + c + itoa(p.Repetition) + c + itoa(p.Component) + c + itoa(p.Subcomponent)
		}
		severity := "E"
		m.Add("ERR", "", loc, itoa(e.Code)+c+d.EscapeText(errorCodeText[e.Code])+c+"HL70357", severity, "", "", "", d.EscapeText(e.Text))
	}
	return m
}

// ParseAckError turns a parse error into the ERR content of its ACK.
func ParseAckError(err *Error) AckError {
	code := CodeDataType
	if err.Field == 0 {
		code = CodeSegmentSequence
	}
	return AckError{Position: *err, Code: code, Text: err.Reason}
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
