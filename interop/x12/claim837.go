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

// The implementation guides the 837 writer follows.
const (
	Version837P = "005010X222A2" // professional
	Version837I = "005010X223A3" // institutional
)

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

// Write837 writes one interchange holding one 837 transaction set with the
// claims, all of one billing provider (the submission's) and one type: an
// 837P (005010X222A2) for professional claims, an 837I (005010X223A3) for
// institutional ones. It refuses a claim the scrubber does not pass, and a
// provider, subscriber or payer whose name the submission lacks.
func Write837(w io.Writer, sub Submission, claims ...billing.Claim) error {
	var v ehrkit.Issues
	for i, c := range claims {
		v.Merge(ehrkit.Index("claims", i), billing.Scrub(c))
		v.Check(c.BillingNPI == claims[0].BillingNPI, ehrkit.Index("claims", i)+".billingNpi", ehrkit.IssueBusinessRule, "one billing provider per submission")
		v.Check(c.IsInstitutional() == claims[0].IsInstitutional(), ehrkit.Index("claims", i)+".type", ehrkit.IssueBusinessRule, "one claim type per submission")
		npis := []string{c.RenderingNPI, c.ReferringNPI, c.ServiceFacilityNPI}
		if c.Facility != nil {
			npis = append(npis, c.Facility.AttendingNPI)
		}
		for _, npi := range npis {
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
	version := Version837P
	if claims[0].IsInstitutional() {
		version = Version837I
	}
	xw := NewWriter(w, DefaultDelimiters)
	if err := xw.Begin(sub.Interchange, "HC", version); err != nil {
		return err
	}
	if err := xw.BeginSet("837", version); err != nil {
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
		f := c.Facility
		if f != nil {
			// CLM05: facility type (the bill type's first two characters),
			// qualifier A (uniform billing claim form bill type), frequency
			seg("CLM", c.ID, amount(total), "", "", f.BillType[:2]+":A:"+f.BillType[2:], "", "A", "Y", "Y")
			seg("DTP", "434", "RD8", f.StatementFrom.UTC().Format("20060102")+"-"+f.StatementTo.UTC().Format("20060102"))
			seg("CL1", f.AdmissionType, f.AdmissionSource, f.PatientStatus)
		} else {
			seg("CLM", c.ID, amount(total), "", "", c.PlaceOfService+":B:1", "Y", "A", "Y", "Y")
		}
		hi := make([]string, len(c.Diagnoses))
		for j, d := range c.Diagnoses {
			q := "ABF"
			if j == 0 {
				q = "ABK"
			}
			hi[j] = q + ":" + strings.ReplaceAll(d.Code, ".", "")
		}
		seg("HI", hi...)
		if f != nil {
			party(seg, "71", sub.Providers[f.AttendingNPI], f.AttendingNPI, "XX", false)
		}
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
			if f != nil {
				if ch.Procedure.Code == "" {
					proc = nil
				}
				seg("SV2", ch.RevenueCode, strings.Join(proc, ":"), amount(ch.Amount()), "UN", ch.Units.String())
				seg("DTP", "472", "D8", ch.ServiceDate.UTC().Format("20060102"))
				continue
			}
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

// Claims837 reads the claims of the 837 transaction sets of a stream, one
// claim at a time, in the currency given (an 837 carries none):
// professional claims (SV1 lines) and institutional ones (CLM05-2 "A", SV2
// lines). The claims' Patient and Status are left empty: the 837 does not
// carry them.
func Claims837(r io.Reader, currency string, opts ...Option) iter.Seq2[billing.Claim, error] {
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
				if s.Component(5, 2) == "A" {
					cur.Type, cur.PlaceOfService = billing.Institutional, ""
					cur.Facility = &billing.FacilityClaim{BillType: s.Component(5, 1) + s.Component(5, 3)}
				}
				inLine = false
			case cur == nil:
			case id == "HI":
				for i := 1; i <= s.Len(); i++ {
					system, ok := diagnosisQualifiers[s.Component(i, 1)]
					if !ok {
						continue // occurrence, value, condition codes; procedures
					}
					code := s.Component(i, 2)
					if len(code) > 3 {
						code = code[:3] + "." + code[3:]
					}
					cur.Diagnoses = append(cur.Diagnoses, ehrkit.Coding{System: system, Code: code})
				}
			case id == "NM1" && q == "DN":
				cur.ReferringNPI = s.Element(9)
			case id == "NM1" && q == "71" && cur.Facility != nil:
				cur.Facility.AttendingNPI = s.Element(9)
			case id == "CL1" && cur.Facility != nil:
				cur.Facility.AdmissionType, cur.Facility.AdmissionSource, cur.Facility.PatientStatus = s.Element(1), s.Element(2), s.Element(3)
			case id == "DTP" && q == "434" && cur.Facility != nil:
				from, to, ok := period(s.Element(3))
				if !ok {
					fail(s, 3, "not a CCYYMMDD date or CCYYMMDD-CCYYMMDD range")
					return
				}
				cur.Facility.StatementFrom, cur.Facility.StatementTo = from, to
			case id == "SV2" && inLine:
				ch, elem, msg := readSV2(s, currency)
				if msg != "" {
					fail(s, elem, msg)
					return
				}
				cur.Charges[len(cur.Charges)-1] = ch
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

// systemICD9CM is the FHIR system of ICD-9-CM, which 837s written before
// October 2015 carry (HI qualifiers BK, BF).
const systemICD9CM = "http://hl7.org/fhir/sid/icd-9-cm"

// diagnosisQualifiers are the HI code list qualifiers of diagnoses:
// principal (ABK, BK) and other (ABF, BF), ICD-10-CM and ICD-9-CM.
var diagnosisQualifiers = map[string]string{
	"ABK": ehrkit.SystemICD10CM, "ABF": ehrkit.SystemICD10CM,
	"BK": systemICD9CM, "BF": systemICD9CM,
}

// period reads a D8 date or an RD8 range.
func period(v string) (from, to time.Time, ok bool) {
	a, b, isRange := strings.Cut(v, "-")
	from, err := time.Parse("20060102", a)
	if err != nil {
		return from, to, false
	}
	if !isRange {
		return from, from, true
	}
	to, err = time.Parse("20060102", b)
	return from, to, err == nil
}

// readSV2 reads an institutional service line: revenue code, optional
// procedure, line charge and units.
func readSV2(s Segment, currency string) (billing.Charge, int, string) {
	ch := billing.Charge{RevenueCode: s.Element(1)}
	if comp := s.Components(2); comp[0] != "" {
		if comp[0] != "HC" {
			return ch, 2, "procedure qualifier is not HC"
		}
		ch.Procedure, ch.Modifiers = procedureOf(comp)
	}
	total, err := decimal.NewFromString(s.Element(3))
	if err != nil {
		return ch, 3, "not a decimal amount"
	}
	units, err := decimal.NewFromString(s.Element(5))
	if err != nil || !units.IsPositive() {
		return ch, 5, "units are not a positive decimal"
	}
	ch.Units = units
	ch.UnitFee = billing.Money{Amount: total.DivRound(units, 6), Currency: currency}
	return ch, 0, ""
}

// procedureOf reads an HC procedure composite: CPT when the code is CPT's
// syntax, else HCPCS Level II, and up to four modifiers.
func procedureOf(comp []string) (ehrkit.Coding, []string) {
	p := ehrkit.Coding{System: ehrkit.SystemHCPCS}
	if len(comp) > 1 {
		p.Code = comp[1]
		if ehrkit.CheckCode(ehrkit.SystemCPT, comp[1]) == nil {
			p.System = ehrkit.SystemCPT
		}
	}
	var mods []string
	for _, m := range comp[min(len(comp), 2):min(len(comp), 6)] {
		if m != "" {
			mods = append(mods, m)
		}
	}
	return p, mods
}

// readSV1 reads a professional service line. The 837 carries the line
// charge; the unit fee read back is the charge divided by the units.
func readSV1(s Segment, currency string) (billing.Charge, int, string) {
	comp := s.Components(1)
	ch := billing.Charge{PlaceOfService: s.Element(5)}
	if comp[0] != "HC" {
		return ch, 1, "procedure qualifier is not HC"
	}
	ch.Procedure, ch.Modifiers = procedureOf(comp)
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
