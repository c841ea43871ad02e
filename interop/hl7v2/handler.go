package hl7v2

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
)

// parseFor parses a message for a handler of the given types ("ORU^R01"):
// it returns the message, or nil and the AR to answer when the message does
// not parse (ERR from the parse error) or is of another type (ERR-3 200
// naming MSH-9).
func parseFor(data []byte, clock ehrkit.Clock, types ...string) (*Message, []byte) {
	msg, err := Parse(data)
	if err != nil {
		var perr *Error
		if !errors.As(err, &perr) {
			perr = &Error{Reason: "the message does not parse"}
		}
		return nil, ackFor(header(data), clock, AR, ParseAckError(perr))
	}
	typ := msg.Get("MSH-9.1") + "^" + msg.Get("MSH-9.2")
	if !slices.Contains(types, typ) {
		return nil, ackFor(msg, clock, AR, AckError{Position: Error{Segment: "MSH", SegmentIndex: 1, Field: 9}, Code: CodeUnsupportedMessage, Text: "message type " + typ + " is not supported"})
	}
	return msg, nil
}

// header is the MSH of a message that does not parse as a whole, so that
// its AR still names it (MSA-2 = MSH-10); a blank header when even the MSH
// does not parse.
func header(data []byte) *Message {
	end := bytes.IndexAny(data, "\r\n")
	if end < 0 {
		end = len(data)
	}
	if m, err := Parse(data[:end], AllowUnknownEscapes()); err == nil {
		return m
	}
	return NewMessage(StandardDelimiters, "", "", "", "", "", "", "ACK")
}

// ackFor encodes the ACK of msg stamped by clock (nil: the real clock); its
// control id is the message's with "-ACK" appended, "ACK" when the message
// has none.
func ackFor(msg *Message, clock ehrkit.Clock, code AckCode, errs ...AckError) []byte {
	now := time.Now()
	if clock != nil {
		now = clock.Now()
	}
	return Ack(msg, code, strings.TrimPrefix(msg.ControlID()+"-ACK", "-"), now, errs...).Encode()
}

// Receiver answers every message type ehrkit accepts with the handler of
// its type (MSH-9.1): ADT, ORU, ORM and OML, SIU. A message of another type,
// or of a type whose handler is nil, is answered AR (ERR-3 200), and one
// that does not parse AR with the parse error's position; every ACK names
// its message (MSA-2 = MSH-10) whenever its MSH can be read. Its Handle
// method serves as the Handler of Server.Serve.
type Receiver struct {
	ADT    *ADTHandler
	ORU    *ORUHandler
	Orders *OrderHandler
	SIU    *SIUHandler
	// Clock stamps the ACKs of messages no handler takes.
	Clock ehrkit.Clock
}

// Handle answers one message with its ACK.
func (r *Receiver) Handle(ctx context.Context, data []byte) []byte {
	var h Handler
	switch header(data).Get("MSH-9.1") {
	case "ADT":
		if r.ADT != nil {
			h = r.ADT.Handle
		}
	case "ORU":
		if r.ORU != nil {
			h = r.ORU.Handle
		}
	case "ORM", "OML":
		if r.Orders != nil {
			h = r.Orders.Handle
		}
	case "SIU":
		if r.SIU != nil {
			h = r.SIU.Handle
		}
	}
	if h != nil {
		return h(ctx, data)
	}
	_, ack := parseFor(data, r.Clock)
	return ack
}
