package x12

import (
	"errors"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit/billing"
)

// ClaimPayment is one claim of an 835 remittance (loop 2100, CLP) with its
// claim-level adjustments (CAS of loop 2100) and its service lines (loop
// 2110).
type ClaimPayment struct {
	Trace                 string // TRN02: the check or EFT trace number
	Payer                 string // TRN03: the payer's identifier
	ClaimID               string // CLP01: the patient control number (the claim's id)
	Status                string // CLP02: 1 processed as primary, 4 denied, 22 reversal, ...
	Charge                billing.Money
	Paid                  billing.Money
	PatientResponsibility billing.Money // CLP05
	Adjustments           []billing.Adjustment
	Lines                 []ServicePayment
}

// AllAdjustments returns the claim-level adjustments then every line's.
func (cp ClaimPayment) AllAdjustments() []billing.Adjustment {
	all := append([]billing.Adjustment(nil), cp.Adjustments...)
	for _, l := range cp.Lines {
		all = append(all, l.Adjustments...)
	}
	return all
}

// Adjudication is the claim decision CLP02 carries: paid for a claim
// processed (as primary, secondary, tertiary, or forwarded: codes 1, 2, 3,
// 19, 20, 21), denied for 4, none for a reversal (22) or a claim the payer
// does not hold (23).
func (cp ClaimPayment) Adjudication() billing.ClaimStatus {
	switch cp.Status {
	case "1", "2", "3", "19", "20", "21":
		return billing.ClaimPaid
	case "4":
		return billing.ClaimDenied
	}
	return ""
}

// ServicePayment is one service line of a claim payment (835 SVC): the
// procedure as the payer adjudicated it and, when the payer changed it
// (SVC06), as it was billed.
type ServicePayment struct {
	Procedure          string   // SVC01-2
	Modifiers          []string // SVC01-3 ... SVC01-6
	Submitted          string   // SVC06-2, when the payer adjudicated another code than billed
	SubmittedModifiers []string // SVC06-3 ... SVC06-6
	Charge, Paid       billing.Money
	Units              decimal.Decimal // SVC05, 1 when absent
	Date               time.Time       // DTM*472 of loop 2110, zero when absent
	Adjustments        []billing.Adjustment
}

// Billed returns the code and modifiers the line says were billed: SVC06
// when the payer sent it, else SVC01.
func (sp ServicePayment) Billed() (string, []string) {
	if sp.Submitted != "" {
		return sp.Submitted, sp.SubmittedModifiers
	}
	return sp.Procedure, sp.Modifiers
}

// remitHeader is what an 835 says of the payment as a whole (BPR, TRN).
type remitHeader struct {
	Total        billing.Money
	Method       string
	Trace, Payer string
}

// remitHandler receives an 835 as it is read; a false return stops reading.
type remitHandler struct {
	header func(remitHeader) bool
	claim  func(ClaimPayment) bool
	// end is called at each SE with the set's provider adjustments.
	end func([]billing.ProviderAdjustment) bool
}

// walk835 reads the 835 sets of a stream, one claim payment in memory at a
// time. It returns the first syntax error; nil at the end of the input or
// when a handler stopped it.
func walk835(r io.Reader, currency string, opts []Option, h remitHandler) error {
	rd := NewReader(r, opts...)
	var (
		head remitHeader
		cur  *ClaimPayment
		plb  []billing.ProviderAdjustment
		line *ServicePayment
	)
	p := remitReader{rd: rd, currency: currency}
	flush := func() bool {
		if cur == nil {
			return true
		}
		c := *cur
		cur, line = nil, nil
		return h.claim(c)
	}
	for {
		s, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var ok = true
		switch s.ID() {
		case "ST":
			head, plb = remitHeader{}, nil
		case "BPR":
			if head.Total, err = p.money(s, 2, true); err != nil {
				return err
			}
			switch s.Element(4) {
			case "ACH", "BOP", "FWT":
				head.Method = billing.MethodEFT
			case "CHK":
				head.Method = billing.MethodCheck
			}
		case "TRN":
			head.Trace, head.Payer = s.Element(2), s.Element(3)
			if h.header != nil {
				ok = h.header(head)
			}
		case "CLP", "LX", "PLB", "SE":
			if !flush() {
				return nil
			}
			switch s.ID() {
			case "CLP":
				if cur, err = p.readCLP(s, head); err != nil {
					return err
				}
			case "PLB":
				adj, err := p.readPLB(s)
				if err != nil {
					return err
				}
				plb = append(plb, adj...)
			case "SE":
				if h.end != nil {
					ok = h.end(plb)
				}
			}
		case "SVC":
			if cur == nil {
				continue
			}
			sp, err := p.readSVC(s)
			if err != nil {
				return err
			}
			cur.Lines = append(cur.Lines, sp)
			line = &cur.Lines[len(cur.Lines)-1]
		case "DTM":
			if line != nil && s.Element(1) == "472" {
				if line.Date, err = p.date(s, 2); err != nil {
					return err
				}
			}
		case "CAS":
			if cur == nil {
				continue
			}
			into := &cur.Adjustments
			if line != nil {
				into = &line.Adjustments
			}
			// CAS carries up to six reason / amount / quantity triples.
			for i := 2; i <= 17 && s.Element(i) != ""; i += 3 {
				m, err := p.money(s, i+1, true)
				if err != nil {
					return err
				}
				*into = append(*into, billing.Adjustment{Group: s.Element(1), Reason: s.Element(i), Amount: m})
			}
		}
		if !ok {
			return nil
		}
	}
}

// remitReader reads the amounts and dates of 835 segments, its errors
// positioned by the reader.
type remitReader struct {
	rd       *Reader
	currency string
}

func (p remitReader) bad(s Segment, i int, msg string) error {
	return &Error{Segment: s.ID(), Position: p.rd.Position(), Element: i, Message: msg}
}

func (p remitReader) money(s Segment, i int, required bool) (billing.Money, error) {
	v := s.Element(i)
	if v == "" && !required {
		return billing.Money{Amount: decimal.Zero, Currency: p.currency}, nil
	}
	d, err := decimal.NewFromString(v)
	if err != nil {
		return billing.Money{}, p.bad(s, i, "not a decimal amount")
	}
	return billing.Money{Amount: d, Currency: p.currency}, nil
}

func (p remitReader) date(s Segment, i int) (time.Time, error) {
	v := s.Element(i)
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse("20060102", v)
	if err != nil {
		return time.Time{}, p.bad(s, i, "not a CCYYMMDD date")
	}
	return d, nil
}

func (p remitReader) readCLP(s Segment, head remitHeader) (*ClaimPayment, error) {
	cp := &ClaimPayment{Trace: head.Trace, Payer: head.Payer, ClaimID: s.Element(1), Status: s.Element(2)}
	var err error
	if cp.Charge, err = p.money(s, 3, true); err != nil {
		return nil, err
	}
	if cp.Paid, err = p.money(s, 4, true); err != nil {
		return nil, err
	}
	if cp.PatientResponsibility, err = p.money(s, 5, false); err != nil {
		return nil, err
	}
	return cp, nil
}

// procedure splits an SVC procedure composite (qualifier, code, modifiers).
func procedure(s Segment, i int) (string, []string) {
	comp := s.Components(i)
	if len(comp) < 2 {
		return "", nil
	}
	var mods []string
	for _, m := range comp[2:min(len(comp), 6)] {
		if m != "" {
			mods = append(mods, m)
		}
	}
	return comp[1], mods
}

func (p remitReader) readSVC(s Segment) (ServicePayment, error) {
	var sp ServicePayment
	sp.Procedure, sp.Modifiers = procedure(s, 1)
	sp.Submitted, sp.SubmittedModifiers = procedure(s, 6)
	var err error
	if sp.Charge, err = p.money(s, 2, true); err != nil {
		return sp, err
	}
	if sp.Paid, err = p.money(s, 3, false); err != nil {
		return sp, err
	}
	sp.Units = decimal.NewFromInt(1)
	if u := s.Element(5); u != "" {
		if sp.Units, err = decimal.NewFromString(u); err != nil {
			return sp, p.bad(s, 5, "units are not a decimal")
		}
	}
	return sp, nil
}

// readPLB reads the up to six reason / amount pairs of a PLB.
func (p remitReader) readPLB(s Segment) ([]billing.ProviderAdjustment, error) {
	period, err := p.date(s, 2)
	if err != nil {
		return nil, err
	}
	var out []billing.ProviderAdjustment
	for i := 3; i <= 13 && s.Element(i) != ""; i += 2 {
		m, err := p.money(s, i+1, true)
		if err != nil {
			return nil, err
		}
		reason, ref, _ := strings.Cut(s.Element(i), string(s.delim.Component))
		out = append(out, billing.ProviderAdjustment{Provider: s.Element(1), FiscalPeriod: period, Reason: reason, Reference: ref, Amount: m})
	}
	return out, nil
}

// Payments835 reads the claim payments of the 835 transaction sets of a
// stream, one at a time, in the given currency (an 835 carries none).
func Payments835(r io.Reader, currency string, opts ...Option) iter.Seq2[ClaimPayment, error] {
	return func(yield func(ClaimPayment, error) bool) {
		stopped := false
		err := walk835(r, currency, opts, remitHandler{claim: func(cp ClaimPayment) bool {
			stopped = !yield(cp, nil)
			return !stopped
		}})
		if err != nil && !stopped {
			yield(ClaimPayment{}, err)
		}
	}
}
