package x12

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
)

// Version837P is the implementation guide the 837P writer follows.
const Version837P = "005010X222A2"

// Party is a name and address written in an NM1/N3/N4 group. For a person
// Name is the family name.
type Party struct {
	Name, First              string
	Street, City, State, Zip string
	Person                   bool
}

// Submission is what an 837P needs beyond the claims: the envelope, the
// submitter (loop 1000A), receiver (1000B), billing provider (2010AA), and
// the names behind the NPIs, member ids and payer ids the claims hold.
type Submission struct {
	Interchange
	Submitter, SubmitterID string
	Contact, ContactPhone  string
	Receiver, ReceiverID   string
	Billing                Party
	Providers              map[string]Party // by NPI: rendering, referring, service facility
	Subscribers            map[string]Party // by member id
	Payers                 map[string]Party // by payer id
}

// Write837P writes one interchange holding one 837P transaction set with
// the claims, all of one billing provider (the submission's). It refuses a
// claim the scrubber does not pass, and a provider, subscriber or payer whose
// name the submission lacks.
func Write837P(w io.Writer, sub Submission, claims ...billing.Claim) error {
	var v ehrkit.Issues
	for i, c := range claims {
		v.Merge(ehrkit.Index("claims", i), billing.Scrub(c))
		v.Check(c.BillingNPI == claims[0].BillingNPI, ehrkit.Index("claims", i)+".billingNpi", ehrkit.IssueBusinessRule, "one billing provider per submission")
		for _, npi := range []string{c.RenderingNPI, c.ReferringNPI, c.ServiceFacilityNPI} {
			_, ok := sub.Providers[npi]
			v.Check(npi == "" || ok, ehrkit.Index("claims", i), ehrkit.IssueRequired, "a provider NPI has no name in the submission")
		}
		_, ok := sub.Subscribers[c.MemberID]
		v.Check(ok, ehrkit.Index("claims", i)+".memberId", ehrkit.IssueRequired, "the subscriber has no name in the submission")
		_, ok = sub.Payers[c.Payer]
		v.Check(ok, ehrkit.Index("claims", i)+".payer", ehrkit.IssueRequired, "the payer has no name in the submission")
	}
	v.Check(len(claims) > 0, "claims", ehrkit.IssueRequired, "at least one claim")
	if err := v.Err(); err != nil {
		return err
	}
	xw := NewWriter(w, DefaultDelimiters)
	if err := xw.Begin(sub.Interchange, "HC", Version837P); err != nil {
		return err
	}
	if err := xw.BeginSet("837", Version837P); err != nil {
		return err
	}
	t := sub.Time.UTC()
	seg := func(id string, el ...string) { _ = xw.Write(NewSegment(id, el...)) }
	seg("BHT", "0019", "00", fmt.Sprintf("%d", sub.Control), t.Format("20060102"), t.Format("1504"), "CH")
	seg("NM1", "41", "2", sub.Submitter, "", "", "", "", "46", sub.SubmitterID)
	seg("PER", "IC", sub.Contact, "TE", sub.ContactPhone)
	seg("NM1", "40", "2", sub.Receiver, "", "", "", "", "46", sub.ReceiverID)
	seg("HL", "1", "", "20", "1")
	party(seg, "85", sub.Billing, claims[0].BillingNPI, "XX", true)
	seg("REF", "EI", claims[0].BillingTaxID)
	for i, c := range claims {
		seg("HL", fmt.Sprintf("%d", i+2), "1", "22", "0")
		seg("SBR", "P", "18", "", "", "", "", "", "", "CI")
		party(seg, "IL", sub.Subscribers[c.MemberID], c.MemberID, "MI", false)
		party(seg, "PR", sub.Payers[c.Payer], c.Payer, "PI", false)
		total, _ := c.Total()
		seg("CLM", c.ID, amount(total), "", "", c.PlaceOfService+":B:1", "Y", "A", "Y", "Y")
		hi := make([]string, len(c.Diagnoses))
		for j, d := range c.Diagnoses {
			q := "ABF"
			if j == 0 {
				q = "ABK"
			}
			hi[j] = q + ":" + strings.ReplaceAll(d.Code, ".", "")
		}
		seg("HI", hi...)
		if c.ReferringNPI != "" {
			party(seg, "DN", sub.Providers[c.ReferringNPI], c.ReferringNPI, "XX", false)
		}
		if c.RenderingNPI != "" {
			party(seg, "82", sub.Providers[c.RenderingNPI], c.RenderingNPI, "XX", false)
		}
		if c.ServiceFacilityNPI != "" {
			party(seg, "77", sub.Providers[c.ServiceFacilityNPI], c.ServiceFacilityNPI, "XX", true)
		}
		for j, ch := range c.Charges {
			seg("LX", fmt.Sprintf("%d", j+1))
			proc := append([]string{"HC", ch.Procedure.Code}, ch.Modifiers...)
			pos := ""
			if ch.PlaceOfService != "" && ch.PlaceOfService != c.PlaceOfService {
				pos = ch.PlaceOfService
			}
			ptrs := make([]string, len(ch.DiagnosisPointers))
			for k, p := range ch.DiagnosisPointers {
				ptrs[k] = fmt.Sprintf("%d", p)
			}
			seg("SV1", strings.Join(proc, ":"), amount(ch.Amount()), "UN", ch.Units.String(), pos, "", strings.Join(ptrs, ":"))
			seg("DTP", "472", "D8", ch.ServiceDate.UTC().Format("20060102"))
			if ch.RenderingNPI != "" && ch.RenderingNPI != c.RenderingNPI {
				party(seg, "82", sub.Providers[ch.RenderingNPI], ch.RenderingNPI, "XX", false)
			}
		}
	}
	if err := xw.EndSet(); err != nil {
		return err
	}
	return xw.End()
}

func party(seg func(string, ...string), entity string, p Party, id, idQual string, address bool) {
	kind := "2"
	if p.Person {
		kind = "1"
	}
	seg("NM1", entity, kind, p.Name, p.First, "", "", "", idQual, id)
	if address {
		seg("N3", p.Street)
		seg("N4", p.City, p.State, p.Zip)
	}
}

func amount(m billing.Money) string { return m.Amount.StringFixed(m.Scale()) }

// Claims837P reads the claims of the 837P transaction sets of a stream, one
// claim at a time, in the currency given (an 837 carries none). The claims'
// Patient and Status are left empty: the 837 does not carry them.
func Claims837P(r io.Reader, currency string, opts ...Option) iter.Seq2[billing.Claim, error] {
	return func(yield func(billing.Claim, error) bool) {
		rd := NewReader(r, opts...)
		var (
			billingNPI, taxID, member, payer string
			cur                              *billing.Claim
			inLine                           bool
		)
		flush := func() bool {
			if cur == nil {
				return true
			}
			c := *cur
			cur = nil
			return yield(c, nil)
		}
		fail := func(s Segment, elem int, msg string) {
			yield(billing.Claim{}, &Error{Segment: s.ID(), Position: rd.Position(), Element: elem, Message: msg})
		}
		for {
			s, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(billing.Claim{}, err)
				return
			}
			id, q := s.ID(), s.Element(1)
			switch {
			case id == "HL" || id == "SE":
				if !flush() {
					return
				}
				if id == "HL" && s.Element(3) == "22" {
					member, payer = "", ""
				}
			case id == "NM1" && q == "85":
				billingNPI = s.Element(9)
			case id == "REF" && q == "EI" && cur == nil:
				taxID = s.Element(2)
			case id == "NM1" && q == "IL" && cur == nil:
				member = s.Element(9)
			case id == "NM1" && q == "PR" && cur == nil:
				payer = s.Element(9)
			case id == "CLM":
				if !flush() {
					return
				}
				cur = &billing.Claim{ID: s.Element(1), Currency: currency, Payer: payer, MemberID: member,
					BillingNPI: billingNPI, BillingTaxID: taxID, PlaceOfService: s.Component(5, 1)}
				inLine = false
			case cur == nil:
			case id == "HI":
				for i := 1; i <= s.Len(); i++ {
					code := s.Component(i, 2)
					if len(code) > 3 {
						code = code[:3] + "." + code[3:]
					}
					cur.Diagnoses = append(cur.Diagnoses, ehrkit.Coding{System: ehrkit.SystemICD10CM, Code: code})
				}
			case id == "NM1" && q == "DN":
				cur.ReferringNPI = s.Element(9)
			case id == "NM1" && q == "77":
				cur.ServiceFacilityNPI = s.Element(9)
			case id == "NM1" && q == "82" && !inLine:
				cur.RenderingNPI = s.Element(9)
			case id == "NM1" && q == "82":
				cur.Charges[len(cur.Charges)-1].RenderingNPI = s.Element(9)
			case id == "LX":
				inLine = true
				cur.Charges = append(cur.Charges, billing.Charge{})
			case id == "SV1" && inLine:
				ch, elem, msg := readSV1(s, currency)
				if msg != "" {
					fail(s, elem, msg)
					return
				}
				cur.Charges[len(cur.Charges)-1] = ch
			case id == "DTP" && q == "472" && inLine:
				d, err := time.Parse("20060102", strings.SplitN(s.Element(3), "-", 2)[0])
				if err != nil {
					fail(s, 3, "not a CCYYMMDD date")
					return
				}
				cur.Charges[len(cur.Charges)-1].ServiceDate = d
			}
		}
	}
}

// readSV1 reads a professional service line. The 837 carries the line
// charge; the unit fee read back is the charge divided by the units.
func readSV1(s Segment, currency string) (billing.Charge, int, string) {
	comp := s.Components(1)
	ch := billing.Charge{PlaceOfService: s.Element(5)}
	switch comp[0] {
	case "HC":
		ch.Procedure.System = ehrkit.SystemHCPCS
		if len(comp) > 1 && ehrkit.CheckCode(ehrkit.SystemCPT, comp[1]) == nil {
			ch.Procedure.System = ehrkit.SystemCPT
		}
	default:
		return ch, 1, "procedure qualifier is not HC"
	}
	if len(comp) > 1 {
		ch.Procedure.Code = comp[1]
	}
	for _, m := range comp[2:min(len(comp), 6)] {
		if m != "" {
			ch.Modifiers = append(ch.Modifiers, m)
		}
	}
	total, err := decimal.NewFromString(s.Element(2))
	if err != nil {
		return ch, 2, "not a decimal amount"
	}
	units, err := decimal.NewFromString(s.Element(4))
	if err != nil || !units.IsPositive() {
		return ch, 4, "units are not a positive decimal"
	}
	ch.Units = units
	ch.UnitFee = billing.Money{Amount: total.DivRound(units, 6), Currency: currency}
	for _, p := range strings.Split(s.Element(7), string(s.delim.Component)) {
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return ch, 7, "diagnosis pointer is not a number"
			}
			n = n*10 + int(c-'0')
		}
		if p != "" {
			ch.DiagnosisPointers = append(ch.DiagnosisPointers, n)
		}
	}
	return ch, 0, ""
}
