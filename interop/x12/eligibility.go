package x12

import (
	"io"
	"iter"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
)

// Version270 is the implementation guide of the 270/271 eligibility pair.
const Version270 = "005010X279A1"

// EligibilityRequest is what a 270 asks: whether a subscriber (or a
// dependent) of a payer is covered on a day, for service types.
type EligibilityRequest struct {
	Trace        string // TRN02: the request's trace number, echoed in the 271
	Payer        Party
	PayerID      string
	Provider     Party
	ProviderNPI  string
	Subscriber   Party
	MemberID     string
	BirthDate    time.Time
	On           time.Time // DTP*291: the date of service asked about
	ServiceTypes []string  // EQ01 (X12 service type codes); 30 (health benefit plan coverage) when empty
}

// Write270 writes one interchange with a 270 eligibility request for each
// request (005010X279A1): the payer (2100A), the provider (2100B) and the
// subscriber (2100C) with the service types asked. It refuses a request
// without a trace, payer id, provider NPI, member id or date, naming each.
func Write270(w io.Writer, ic Interchange, reqs ...EligibilityRequest) error {
	var v ehrkit.Issues
	for i, r := range reqs {
		p := ehrkit.Index("requests", i)
		v.Required(p+".trace", r.Trace != "")
		v.Required(p+".payerId", r.PayerID != "")
		v.Check(ehrkit.ValidNPI(r.ProviderNPI), p+".providerNpi", ehrkit.IssueCodeInvalid, "not a valid NPI")
		v.Required(p+".memberId", r.MemberID != "")
		v.Required(p+".on", !r.On.IsZero())
	}
	v.Check(len(reqs) > 0, "requests", ehrkit.IssueRequired, "at least one request")
	if err := v.Err(); err != nil {
		return err
	}
	xw := NewWriter(w, DefaultDelimiters)
	if err := xw.Begin(ic, "HS", Version270); err != nil {
		return err
	}
	t := ic.Time.UTC()
	seg := func(id string, el ...string) { _ = xw.Write(NewSegment(id, el...)) }
	for _, r := range reqs {
		if err := xw.BeginSet("270", Version270); err != nil {
			return err
		}
		seg("BHT", "0022", "13", r.Trace, t.Format("20060102"), t.Format("1504"))
		seg("HL", "1", "", "20", "1")
		party(seg, "PR", r.Payer, r.PayerID, "PI", false)
		seg("HL", "2", "1", "21", "1")
		party(seg, "1P", r.Provider, r.ProviderNPI, "XX", false)
		seg("HL", "3", "2", "22", "0")
		seg("TRN", "1", r.Trace, "9"+strings.Repeat("0", 9))
		party(seg, "IL", r.Subscriber, r.MemberID, "MI", false)
		if !r.BirthDate.IsZero() {
			seg("DMG", "D8", r.BirthDate.UTC().Format("20060102"))
		}
		seg("DTP", "291", "D8", r.On.UTC().Format("20060102"))
		types := r.ServiceTypes
		if len(types) == 0 {
			types = []string{"30"}
		}
		for _, st := range types {
			seg("EQ", st)
		}
		if err := xw.EndSet(); err != nil {
			return err
		}
	}
	return xw.End()
}

// Eligibility is one 271 answer for a subscriber or dependent (loop 2000C or
// 2000D): the benefits the payer reported, or the reasons it could not
// answer (AAA).
type Eligibility struct {
	Trace     string // TRN02 echoed from the 270, "" when the payer sent none
	PayerID   string // NM109 of 2100A
	MemberID  string // NM109 of 2100C: the subscriber's member id
	Dependent bool   // the answer is for a dependent of the subscriber (2000D)
	Benefits  []billing.Benefit
	// Rejections are the AAA segments: the request validation reason code
	// (AAA03, e.g. 72 invalid member id, 50 provider ineligible) and the
	// loop it was reported in.
	Rejections []Rejection
}

// Rejection is a 271 AAA: why a request could not be answered.
type Rejection struct {
	Loop   string // 2100A payer, 2100B provider, 2100C subscriber, 2100D dependent
	Reason string // AAA03
	Action string // AAA04: C correct and resubmit, N resubmission not allowed, R resubmit, ...
}

var benefitKinds = map[string]string{
	"1": billing.BenefitActive, "6": billing.BenefitInactive, "A": billing.BenefitCoinsurance, "B": billing.BenefitCopay,
	"C": billing.BenefitDeductible, "G": billing.BenefitOutOfPocket, "F": billing.BenefitLimitation, "I": billing.BenefitNonCovered,
	"L": billing.BenefitPrimaryCare, "R": billing.BenefitOtherPayer,
}

var benefitPeriods = map[string]string{
	"22": billing.PeriodServiceYear, "23": billing.PeriodCalendarYear, "24": billing.PeriodYearToDate, "27": billing.PeriodVisit,
	"29": billing.PeriodRemaining, "32": billing.PeriodLifetime,
}

// Eligibility271 reads the answers of the 271 sets of a stream, one
// subscriber or dependent at a time, amounts in the given currency. An
// answer that reached no subscriber (an AAA at the payer or provider level)
// is yielded with its rejections and no member id.
func Eligibility271(r io.Reader, currency string, opts ...Option) iter.Seq2[Eligibility, error] {
	return func(yield func(Eligibility, error) bool) {
		p := &setReader[Eligibility]{rd: NewReader(r, opts...), yield: yield}
		var (
			payer, member string
			level         string // HL03 of the current level
			unanswered    []Rejection
		)
		loops := map[string]string{"20": "2100A", "21": "2100B", "22": "2100C", "23": "2100D"}
		p.run("271", func(s Segment, _ Envelope) bool {
			switch s.ID() {
			case "ST":
				payer, member, level, unanswered = "", "", "", nil
			case "HL", "SE":
				if !p.flush() {
					return false
				}
				level = s.Element(3)
				if s.ID() == "SE" && len(unanswered) > 0 {
					if !yield(Eligibility{PayerID: payer, Rejections: unanswered}, nil) {
						return false
					}
					unanswered = nil
				}
				if level == "22" || level == "23" {
					p.cur = &Eligibility{PayerID: payer, MemberID: member, Dependent: level == "23"}
				}
			case "NM1":
				switch s.Element(1) {
				case "PR":
					payer = s.Element(9)
				case "IL":
					member = s.Element(9)
					if p.cur != nil {
						p.cur.MemberID = member
					}
				}
			case "TRN":
				if p.cur != nil {
					p.cur.Trace = s.Element(2)
				}
			case "AAA":
				rej := Rejection{Loop: loops[level], Reason: s.Element(3), Action: s.Element(4)}
				if p.cur != nil {
					p.cur.Rejections = append(p.cur.Rejections, rej)
				} else {
					unanswered = append(unanswered, rej)
				}
			case "EB":
				if p.cur == nil {
					return true
				}
				b, err := readEB(s, currency, p.rd.Position())
				if err != nil {
					return p.fail(err)
				}
				p.cur.Benefits = append(p.cur.Benefits, b)
			}
			return true
		})
	}
}

func readEB(s Segment, currency string, pos int) (billing.Benefit, error) {
	b := billing.Benefit{Code: s.Element(1), Level: s.Element(2), Plan: s.Element(5)}
	b.Kind = benefitKinds[b.Code]
	if b.Kind == "" {
		b.Kind = billing.BenefitOtherBenefit
	}
	if st := s.Element(3); st != "" {
		sep := string(s.delim.Repetition)
		if s.delim.Repetition == 0 {
			b.ServiceTypes = []string{st}
		} else {
			b.ServiceTypes = strings.Split(st, sep)
		}
	}
	if p := s.Element(6); p != "" {
		b.Period = p
		if name, ok := benefitPeriods[p]; ok {
			b.Period = name
		}
	}
	if a := s.Element(7); a != "" {
		d, err := decimal.NewFromString(a)
		if err != nil {
			return b, &Error{Segment: "EB", Position: pos, Element: 7, Message: "not a decimal amount"}
		}
		b.Amount = &billing.Money{Amount: d, Currency: currency}
	}
	if p := s.Element(8); p != "" {
		d, err := decimal.NewFromString(p)
		if err != nil {
			return b, &Error{Segment: "EB", Position: pos, Element: 8, Message: "not a decimal percentage"}
		}
		b.Percent = d
	}
	switch s.Element(12) {
	case "Y":
		b.Network = billing.InNetwork
	case "N":
		b.Network = billing.OutOfNetwork
	}
	return b, nil
}
