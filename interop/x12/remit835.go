package x12

import (
	"context"
	"errors"
	"io"
	"iter"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit/billing"
)

// ClaimPayment is one claim of an 835 remittance (loop 2100, CLP) with its
// claim- and service-level adjustments (CAS).
type ClaimPayment struct {
	Trace                 string // TRN02: the check or EFT trace number
	Payer                 string // TRN03: the payer's identifier
	ClaimID               string // CLP01: the patient control number (the claim's id)
	Status                string // CLP02: 1 processed as primary, 4 denied, 22 reversal, ...
	Charge                billing.Money
	Paid                  billing.Money
	PatientResponsibility billing.Money // CLP05
	Adjustments           []billing.Adjustment
}

// Payments835 reads the claim payments of the 835 transaction sets of a
// stream, one at a time, in the given currency (an 835 carries none).
func Payments835(r io.Reader, currency string, opts ...Option) iter.Seq2[ClaimPayment, error] {
	return func(yield func(ClaimPayment, error) bool) {
		rd := NewReader(r, opts...)
		var trace, payer string
		var cur *ClaimPayment
		flush := func() bool {
			if cur == nil {
				return true
			}
			c := *cur
			cur = nil
			return yield(c, nil)
		}
		money := func(s Segment, i int, required bool) (billing.Money, bool) {
			v := s.Element(i)
			if v == "" && !required {
				return billing.Money{Amount: decimal.Zero, Currency: currency}, true
			}
			d, err := decimal.NewFromString(v)
			if err != nil {
				yield(ClaimPayment{}, &Error{Segment: s.ID(), Position: rd.Position(), Element: i, Message: "not a decimal amount"})
				return billing.Money{}, false
			}
			return billing.Money{Amount: d, Currency: currency}, true
		}
		for {
			s, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(ClaimPayment{}, err)
				return
			}
			switch s.ID() {
			case "TRN":
				trace, payer = s.Element(2), s.Element(3)
			case "CLP", "SE", "LX", "PLB":
				if !flush() {
					return
				}
				if s.ID() != "CLP" {
					continue
				}
				cur = &ClaimPayment{Trace: trace, Payer: payer, ClaimID: s.Element(1), Status: s.Element(2)}
				var ok bool
				if cur.Charge, ok = money(s, 3, true); !ok {
					return
				}
				if cur.Paid, ok = money(s, 4, true); !ok {
					return
				}
				if cur.PatientResponsibility, ok = money(s, 5, false); !ok {
					return
				}
			case "CAS":
				if cur == nil {
					continue
				}
				// CAS carries up to six reason / amount / quantity triples.
				for i := 2; i <= 17 && s.Element(i) != ""; i += 3 {
					m, ok := money(s, i+1, true)
					if !ok {
						return
					}
					cur.Adjustments = append(cur.Adjustments, billing.Adjustment{Group: s.Element(1), Reason: s.Element(i), Amount: m})
				}
			}
		}
	}
}

// PostResult is what Post835 did with one claim payment.
type PostResult struct {
	ClaimID string
	Trace   string
	Err     error // nil when posted (or already posted: posting is idempotent)
}

// Post835 posts every claim payment of an 835 stream to the claim it names
// (CLP01), through billing.Service.PostPayment: the trace number (TRN02) is
// the payment's reference, so a re-sent 835 posts once. A claim payment that
// cannot be posted (unknown claim, wrong status) is reported in its result
// and the others still post; a syntax error in the stream stops the reading
// and is returned.
func Post835(ctx context.Context, svc *billing.Service, r io.Reader, currency string, opts ...Option) ([]PostResult, error) {
	var out []PostResult
	for cp, err := range Payments835(r, currency, opts...) {
		if err != nil {
			return out, err
		}
		_, err := svc.PostPayment(ctx, cp.ClaimID, billing.Payment{Reference: cp.Trace, Payer: cp.Payer, Amount: cp.Paid, Adjustments: cp.Adjustments})
		out = append(out, PostResult{ClaimID: cp.ClaimID, Trace: cp.Trace, Err: err})
	}
	return out, nil
}
