package x12

import (
	"cmp"
	"context"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/ehrkit/ehrkit/billing"
)

// SetAck is a 999's answer for one acknowledged transaction set (loop
// 2000, AK2 ... IK5).
type SetAck struct {
	Reference    string // the 999's interchange and set control numbers, "ISA13/ST02"
	FunctionalID string // AK1-1, "HC" for claims
	Group        string // AK1-2: GS06 of the acknowledged group
	SetType      string // AK2-1, "837"
	Set          string // AK2-2: ST02 of the acknowledged set
	Version      string // AK2-3, else AK1-3
	Status       string // IK5-1: A accepted, E accepted with errors, R rejected, M / W / X rejected
	Errors       []SegmentError
}

// Accepted reports whether the set passed: IK5-1 A, or E (accepted with
// errors noted).
func (a SetAck) Accepted() bool { return a.Status == "A" || a.Status == "E" }

// SegmentError is a 999's report of a segment in error (IK3) and, when it
// names one, the element (IK4).
type SegmentError struct {
	Segment     string // IK3-1: segment ID
	Position    int    // IK3-2: the segment's position in the set (ST is 1)
	Loop        string // IK3-3: the loop identifier
	Code        string // IK3-4: implementation segment syntax error code
	Element     int    // IK4-1: element position, 0 when no IK4
	ElementCode string // IK4-3: implementation data element syntax error code
}

// Acks999 reads the set acknowledgements of the 999 sets of a stream, one
// at a time.
func Acks999(r io.Reader, opts ...Option) iter.Seq2[SetAck, error] {
	return func(yield func(SetAck, error) bool) {
		p := &setReader[SetAck]{rd: NewReader(r, opts...), yield: yield}
		var ak1 Segment
		p.run("999", func(s Segment, env Envelope) bool {
			switch s.ID() {
			case "AK1":
				ak1 = s
			case "AK2", "AK9", "SE":
				if !p.flush() {
					return false
				}
				if s.ID() == "AK2" {
					p.cur = &SetAck{Reference: env.Interchange + "/" + env.Set, FunctionalID: ak1.Element(1), Group: ak1.Element(2),
						SetType: s.Element(1), Set: s.Element(2), Version: cmp.Or(s.Element(3), ak1.Element(3))}
				}
			case "IK3":
				if p.cur == nil {
					return true
				}
				pos, err := strconv.Atoi(s.Element(2))
				if err != nil || pos < 1 {
					return p.fail(&Error{Segment: "IK3", Position: p.rd.Position(), Element: 2, Message: "segment position is not a number from 1"})
				}
				p.cur.Errors = append(p.cur.Errors, SegmentError{Segment: s.Element(1), Position: pos, Loop: s.Element(3), Code: s.Element(4)})
			case "IK4":
				if p.cur == nil || len(p.cur.Errors) == 0 {
					return true
				}
				el, err := strconv.Atoi(s.Component(1, 1))
				if err != nil || el < 1 {
					return p.fail(&Error{Segment: "IK4", Position: p.rd.Position(), Element: 1, Message: "element position is not a number from 1"})
				}
				e := &p.cur.Errors[len(p.cur.Errors)-1]
				e.Element, e.ElementCode = el, s.Element(3)
			case "IK5":
				if p.cur != nil {
					p.cur.Status = s.Element(1)
				}
			}
			return true
		})
	}
}

// ClaimAck is a 277CA's answer for one claim (the patient level, HL03 PT).
type ClaimAck struct {
	Reference    string // the 277's interchange and set control numbers, "ISA13/ST02"
	ClaimID      string // TRN02: the claim's patient control number (CLM01, the claim's id)
	PayerClaimID string // REF*1K: the payer's claim control number, when assigned
	// Statuses are the STC01 composites: category, status and entity codes
	// joined by ':' ("A7:562:85").
	Statuses []string
}

// rejecting are the claim status category codes (X12 code list 507) that
// reject a claim at the payer's front end: A3 returned as unprocessable, A4
// not found, A6 missing information, A7 invalid information, A8 relational
// field in error.
var rejecting = []string{"A3", "A4", "A6", "A7", "A8"}

// Accepted reports whether no status rejects the claim.
func (a ClaimAck) Accepted() bool {
	for _, s := range a.Statuses {
		cat, _, _ := strings.Cut(s, ":")
		if slices.Contains(rejecting, cat) {
			return false
		}
	}
	return true
}

// Acks277CA reads the claim acknowledgements of the 277 sets of a stream,
// one claim at a time.
func Acks277CA(r io.Reader, opts ...Option) iter.Seq2[ClaimAck, error] {
	return func(yield func(ClaimAck, error) bool) {
		p := &setReader[ClaimAck]{rd: NewReader(r, opts...), yield: yield}
		p.run("277", func(s Segment, env Envelope) bool {
			switch id := s.ID(); {
			case id == "HL" || id == "SE":
				if !p.flush() {
					return false
				}
				if id == "HL" && s.Element(3) == "PT" {
					p.cur = &ClaimAck{Reference: env.Interchange + "/" + env.Set}
				}
			case p.cur == nil:
			case id == "TRN":
				p.cur.ClaimID = s.Element(2)
			case id == "REF" && s.Element(1) == "1K":
				p.cur.PayerClaimID = s.Element(2)
			case id == "STC":
				st := []string{s.Component(1, 1), s.Component(1, 2), s.Component(1, 3)}
				p.cur.Statuses = append(p.cur.Statuses, strings.TrimRight(strings.Join(st, ":"), ":"))
			}
			return true
		})
	}
}

// AckResult is what applying an acknowledgement did to one claim.
type AckResult struct {
	ClaimID  string
	Accepted bool
	Err      error
}

// Apply999 applies a 999 stream to the claims of the sets it acknowledges
// (found by GS06 and ST02, billing.Service.SubmittedIn): a rejected set
// rejects every claim it carried, naming the first segment in error.
func Apply999(ctx context.Context, svc *billing.Service, r io.Reader, opts ...Option) ([]AckResult, error) {
	var out []AckResult
	for a, err := range Acks999(r, opts...) {
		if err != nil {
			return out, err
		}
		ids, err := svc.SubmittedIn(ctx, a.Group, a.Set)
		if err != nil {
			return out, err
		}
		ack := billing.Acknowledgement{Kind: billing.Ack999, Reference: a.Reference, Accepted: a.Accepted()}
		for _, e := range a.Errors {
			ack.Codes = append(ack.Codes, strings.TrimRight(e.Code+":"+e.ElementCode, ":"))
		}
		if len(a.Errors) > 0 {
			ack.Segment, ack.Position, ack.Element = a.Errors[0].Segment, a.Errors[0].Position, a.Errors[0].Element
		}
		for _, id := range ids {
			_, err := svc.Acknowledge(ctx, id, ack)
			out = append(out, AckResult{ClaimID: id, Accepted: ack.Accepted, Err: err})
		}
	}
	return out, nil
}

// Apply277CA applies a 277CA stream to the claims it names (TRN02 at the
// patient level): accepted claims move to accepted, rejected ones to
// rejected with the status codes recorded.
func Apply277CA(ctx context.Context, svc *billing.Service, r io.Reader, opts ...Option) ([]AckResult, error) {
	var out []AckResult
	for a, err := range Acks277CA(r, opts...) {
		if err != nil {
			return out, err
		}
		_, err := svc.Acknowledge(ctx, a.ClaimID, billing.Acknowledgement{Kind: billing.Ack277CA, Reference: a.Reference,
			Accepted: a.Accepted(), Codes: a.Statuses})
		out = append(out, AckResult{ClaimID: a.ClaimID, Accepted: a.Accepted(), Err: err})
	}
	return out, nil
}
