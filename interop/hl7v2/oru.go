package hl7v2

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/shopspring/decimal"
)

// oruGroup is one ORDER_OBSERVATION group of an ORU^R01 mapped to a report,
// with the occurrence of the segment each part came from, so that problems
// found later (by lab) name the segment.
type oruGroup struct {
	in      lab.Incoming
	pid     int   // occurrence of the group's PID
	obr     int   // occurrence of its OBR
	spm     int   // occurrence of its first SPM, 0 for none
	results []int // occurrence of the OBX of each result
}

// seg returns "OBX(3)" for the third OBX.
func seg(name string, occ int) string { return name + "(" + strconv.Itoa(occ) + ")" }

// ORUReports maps an ORU^R01 to the reports it carries, one per OBR (the
// ORDER_OBSERVATION group), each with the patient as the sender names it,
// ready for lab.Service.Receive:
//
//   - PID-3 → Incoming.Identifiers (read as PatientFromPID reads them), PID-7
//     the birth date, PID-8 the gender.
//   - OBR-4 → Report.Code; OBR-2 and OBR-3 (else ORC-2 and ORC-3) the
//     placer and filler numbers; OBR-7 the effective time (else OBR-8, else
//     the specimen's collection time SPM-17); OBR-22 issued; OBR-24 the
//     category; OBR-25 the status (table 0123: O, I and S registered, A
//     partial, P preliminary, C corrected, F final, X cancelled; empty: final
//     when every result is final, else partial); OBR-16 (else ORC-12) the
//     ordering provider's id as sent, when the report matches no ehrkit order.
//   - Every OBX of the group becomes a result, those of SPECIMEN groups
//     (after an SPM) included, so nothing the lab sent is dropped: OBX-3 the
//     code (table 0396 names mapped to URIs: LN is LOINC), OBX-2 the value
//     type and OBX-5 the value (NM a quantity in the OBX-6 unit, "1" when the
//     sender gave none; SN a quantity with comparator or a range; CE, CWE,
//     CNE, IS and ID a coded value; ST, TX, FT and the date types DT, DTM, TS
//     and TM text, repetitions one line each; the composite types a public
//     health report sends as results (XTN, TN, XAD, AD, XPN, PN, XCN, XON,
//     CX, CP, MO) their components as one line of text each; ED an attachment, its Base64 or
//     hex data decoded; RP an attachment by URL), OBX-7 the sender's range,
//     OBX-8 the sender's flags kept as sent, OBX-11 the status (table 0085),
//     OBX-14 the effective time, OBX-23 the performing organization, NTE
//     after an OBX its note. An OBX without a value whose status says the
//     result is pending (I, R, S, P) gets the data-absent reason
//     "temp-unknown".
//   - The first SPM of the group → Report.Specimen: SPM-2 the id, SPM-4 the
//     type, SPM-17 and SPM-18 the collection and receipt times, SPM-24 the
//     condition.
//
// Ids are deterministic, so a corrected report sent again replaces the one
// sent first and a corrected result (OBX-11 C) becomes a new version of its
// record: the report's is "v2-" and a hash of the sending facility (MSH-4)
// and the filler number (else the placer number, else the control id and
// OBR position); a result's is the report's, "-" and a hash of OBX-3 and
// OBX-4 (the sub-id).
//
// Problems fail with one *ehrkit.ValidationError whose paths name the
// segment occurrence and field ("OBX(3)-5", "OBR(1)-7"), as Message.Get
// reads them; an OBX outside an OBR group is an error, never skipped.
func ORUReports(msg *Message) ([]lab.Incoming, error) {
	groups, err := oruGroups(msg)
	if err != nil {
		return nil, err
	}
	out := make([]lab.Incoming, len(groups))
	for i, g := range groups {
		out[i] = g.in
	}
	return out, nil
}

// oruState is the walk of oruGroups through the segments.
type oruState struct {
	msg      *Message
	is       ehrkit.Issues
	groups   []*oruGroup
	pat      *lab.Incoming // the current PATIENT group's patient
	pid      int
	orc      Segment // the ORC that precedes the next OBR
	hasORC   bool
	cur      *oruGroup
	last     *lab.Result // the OBX an NTE comments on
	counts   map[string]int
	facility string
}

func oruGroups(msg *Message) ([]*oruGroup, error) {
	st := &oruState{msg: msg, counts: map[string]int{}, facility: sendingFacility(msg)}
	for _, s := range msg.Segments {
		st.counts[s.Name]++
		occ := st.counts[s.Name]
		switch s.Name {
		case "PID":
			st.patientGroup(s, occ)
		case "ORC":
			st.orc, st.hasORC, st.last = s, true, nil
		case "OBR":
			st.order(s, occ)
		case "OBX":
			st.observation(s, occ)
		case "NTE":
			if st.last != nil {
				text := strings.TrimSpace(noteText(s.Field(3)))
				st.last.Note = strings.TrimSpace(st.last.Note + "\n" + text)
			}
		case "SPM":
			st.specimen(s, occ)
		}
	}
	for _, g := range st.groups {
		st.finish(g)
	}
	if err := st.is.Err(); err != nil {
		return nil, err
	}
	if len(st.groups) == 0 {
		st.is.Add("OBR", ehrkit.IssueRequired, "an ORU^R01 needs an OBR segment")
		return nil, st.is.Err()
	}
	return st.groups, nil
}

func (st *oruState) patientGroup(s Segment, occ int) {
	p := seg("PID", occ)
	in := &lab.Incoming{}
	ids, err := identifiers(s.Field(3), p+"-3", st.facility)
	st.is.Merge("", err)
	in.Identifiers = ids
	st.is.Check(len(ids) > 0 || err != nil, p+"-3", ehrkit.IssueRequired, "is required")
	if f := s.Field(7); !f.Empty() {
		d, err := dtmDate(f.Rep(1).Component(1).Text())
		st.is.Check(err == nil, p+"-7", ehrkit.IssueValue, "malformed birth date")
		in.BirthDate = d
	}
	if f := s.Field(8); !f.Empty() {
		g, ok := genders[strings.ToUpper(f.Text())]
		st.is.Check(ok, p+"-8", ehrkit.IssueCodeInvalid, "unknown administrative sex (HL7 table 0001)")
		in.Gender = g
	}
	st.pat, st.pid, st.cur, st.last, st.hasORC = in, occ, nil, nil, false
}

// reportStatuses maps OBR-25 (HL7 table 0123) to the report status.
var reportStatuses = map[string]lab.ReportStatus{
	"O": lab.ReportRegistered, "I": lab.ReportRegistered, "S": lab.ReportRegistered, "A": lab.ReportPartial,
	"P": lab.ReportPreliminary, "C": lab.ReportCorrected, "F": lab.ReportFinal, "X": lab.ReportCancelled,
}

// resultStatuses maps OBX-11 (HL7 table 0085) to the observation status.
var resultStatuses = map[string]clinical.ObservationStatus{
	"C": clinical.ObservationCorrected, "D": clinical.ObservationEnteredInError, "W": clinical.ObservationEnteredInError,
	"F": clinical.ObservationFinal, "U": clinical.ObservationFinal, "I": clinical.ObservationRegistered,
	"O": clinical.ObservationRegistered, "P": clinical.ObservationPreliminary, "R": clinical.ObservationPreliminary,
	"S": clinical.ObservationPreliminary, "X": clinical.ObservationCancelled, "N": clinical.ObservationCancelled,
	"A": clinical.ObservationAmended,
}

func (st *oruState) order(s Segment, occ int) {
	p := seg("OBR", occ)
	st.last = nil
	if st.pat == nil {
		st.is.Add(p, ehrkit.IssueStructure, "an OBR needs a PID before it")
		st.cur = nil
		return
	}
	g := &oruGroup{in: lab.Incoming{Named: patient.Named{Identifiers: st.pat.Identifiers, BirthDate: st.pat.BirthDate, Gender: st.pat.Gender}}, pid: st.pid, obr: occ}
	r := &g.in.Report
	first := func(obr, orc int) string {
		if v := strings.TrimSpace(s.Field(obr).Rep(1).Component(1).Text()); v != "" || !st.hasORC {
			return v
		}
		return strings.TrimSpace(st.orc.Field(orc).Rep(1).Component(1).Text())
	}
	r.Placer, r.Filler, r.Requester = first(2, 2), first(3, 3), first(16, 12)
	if f := s.Field(4); !f.Empty() {
		r.Code = concept(f.Rep(1))
	}
	st.is.Check(!r.Code.IsZero(), p+"-4", ehrkit.IssueRequired, "is required")
	r.Effective = st.time(s, 7, p)
	if r.Effective.IsZero() {
		r.Effective = st.time(s, 8, p)
	}
	r.Issued = st.time(s, 22, p)
	if c := strings.TrimSpace(s.Field(24).Text()); c != "" {
		r.Category = []string{c}
	}
	if code := strings.ToUpper(strings.TrimSpace(s.Field(25).Text())); code != "" {
		status, ok := reportStatuses[code]
		st.is.Check(ok, p+"-25", ehrkit.IssueCodeInvalid, "unknown result status (HL7 table 0123)")
		r.Status = status
	}
	key := st.facility + "|" + r.Filler
	if r.Filler == "" && r.Placer != "" {
		key = st.facility + "|placer|" + r.Placer
	} else if r.Filler == "" {
		key = st.facility + "|" + st.msg.ControlID() + "#" + strconv.Itoa(occ)
	}
	r.ID = hashID("v2-", key, 12)
	st.groups = append(st.groups, g)
	st.cur, st.hasORC = g, false
}

// time reads field n of s as a DTM (component 1 of its first repetition).
func (st *oruState) time(s Segment, n int, p string) time.Time {
	v := strings.TrimSpace(s.Field(n).Rep(1).Component(1).Text())
	if v == "" {
		return time.Time{}
	}
	t, err := dtmTime(v)
	st.is.Check(err == nil, p+"-"+strconv.Itoa(n), ehrkit.IssueValue, "malformed date/time")
	return t
}

func hashID(prefix, key string, n int) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + hex.EncodeToString(sum[:n])
}

func (st *oruState) specimen(s Segment, occ int) {
	p := seg("SPM", occ)
	st.last = nil
	if st.cur == nil {
		st.is.Add(p, ehrkit.IssueStructure, "an SPM needs an OBR before it")
		return
	}
	if st.cur.spm != 0 {
		return // the report holds one specimen; the OBX that follow are still results
	}
	st.cur.spm = occ
	sp := &lab.Specimen{ID: strings.TrimSpace(s.Field(2).Rep(1).Component(1).Sub(1))}
	if sp.ID == "" {
		sp.ID = strings.TrimSpace(s.Field(2).Rep(1).Component(2).Sub(1))
	}
	if f := s.Field(4); !f.Empty() {
		if cc := concept(f.Rep(1)); len(cc.Coding) > 0 {
			sp.Type = cc.Coding[0]
		}
	}
	sp.Collected = st.time(s, 17, p)
	sp.Received = st.time(s, 18, p)
	var cond []string
	for _, r := range s.Field(24).Repetitions() {
		if c := concept(r); c.Text != "" {
			cond = append(cond, c.Text)
		} else if len(c.Coding) > 0 {
			cond = append(cond, c.Coding[0].Code)
		}
	}
	sp.Condition = strings.Join(cond, "; ")
	st.cur.in.Report.Specimen = sp
}

func (st *oruState) observation(s Segment, occ int) {
	p := seg("OBX", occ)
	if st.cur == nil {
		st.is.Add(p, ehrkit.IssueStructure, "an OBX needs an OBR before it (it would be lost)")
		st.last = nil
		return
	}
	res := lab.Result{}
	if f := s.Field(3); !f.Empty() {
		res.Code = concept(f.Rep(1))
	}
	st.is.Check(!res.Code.IsZero(), p+"-3", ehrkit.IssueRequired, "is required")
	code := strings.ToUpper(strings.TrimSpace(s.Field(11).Text()))
	status, ok := resultStatuses[code]
	st.is.Check(ok, p+"-11", ehrkit.IssueCodeInvalid, "unknown or missing result status (HL7 table 0085)")
	res.Status = status
	st.value(s, p, &res)
	if res.Value.IsZero() && res.Attachment == nil && (code == "I" || code == "R" || code == "S" || code == "P") {
		res.DataAbsentReason = "temp-unknown"
	}
	res.Range = st.refRange(s.Field(7).Rep(1).Component(1).Text(), res.Value)
	for _, r := range s.Field(8).Repetitions() {
		if f := strings.TrimSpace(r.Component(1).Text()); f != "" {
			res.Interpretation = append(res.Interpretation, f)
		}
	}
	res.Effective = st.time(s, 14, p)
	if org := strings.TrimSpace(s.Field(23).Rep(1).Component(1).Text()); org != "" {
		res.Performer = []ehrkit.Reference{{Type: "Organization", Display: org}}
	}
	r := &st.cur.in.Report
	res.ID = r.ID + "-" + hashID("", s.Field(3).Raw()+"|"+s.Field(4).Raw(), 4)
	for _, other := range r.Results {
		if other.ID == res.ID {
			res.ID += "-" + strconv.Itoa(len(r.Results)+1)
			break
		}
	}
	r.Results = append(r.Results, res)
	st.cur.results = append(st.cur.results, occ)
	st.last = &r.Results[len(r.Results)-1]
}

// value maps OBX-2 and OBX-5 (and OBX-6, the unit) into res.
func (st *oruState) value(s Segment, p string, res *lab.Result) {
	typ := strings.ToUpper(strings.TrimSpace(s.Field(2).Text()))
	reps := s.Field(5).Repetitions()
	if len(reps) == 0 {
		if typ != "" {
			res.Type = valueTypes[typ]
		}
		return
	}
	single := func() bool {
		st.is.Check(len(reps) == 1, p+"-5[2]", ehrkit.IssueValue, "a %s value does not repeat", typ)
		return len(reps) == 1
	}
	unit := strings.TrimSpace(s.Field(6).Rep(1).Component(1).Text())
	if unit == "" {
		unit = "1" // UCUM's unity: a dimensionless count or ratio
	}
	switch typ {
	case "NM":
		if !single() {
			return
		}
		d, err := decimal.NewFromString(strings.TrimSpace(reps[0].Text()))
		st.is.Check(err == nil, p+"-5", ehrkit.IssueValue, "not a number")
		res.Type, res.Value = lab.TypeNumeric, clinical.QuantityValue(ehrkit.Quantity{Value: d, Unit: unit})
	case "SN":
		if !single() {
			return
		}
		v, ok := structuredNumeric(reps[0], unit)
		st.is.Check(ok, p+"-5", ehrkit.IssueValue, "not a structured numeric a quantity or a range can hold")
		res.Type, res.Value = lab.TypeStructured, v
	case "CE", "CWE", "CNE", "IS", "ID":
		if !single() {
			return
		}
		res.Type, res.Value = lab.TypeCodedWith, clinical.CodedValue(concept(reps[0]))
		if typ == "CE" {
			res.Type = lab.TypeCoded
		}
	case "ST", "TX", "FT", "DT", "DTM", "TS", "TM":
		lines := make([]string, len(reps))
		for i, r := range reps {
			lines[i] = r.Component(1).Text()
			if typ == "TS" || typ == "DTM" || typ == "DT" || typ == "TM" {
				lines[i] = strings.TrimSpace(r.Component(1).Text())
			}
		}
		res.Type, res.Value = valueTypes[typ], clinical.TextValue(strings.Join(lines, "\n"))
	case "ED":
		if !single() {
			return
		}
		a, err := encapsulated(reps[0])
		st.is.Check(err == nil, p+"-5.5", ehrkit.IssueValue, "the encapsulated data does not decode")
		res.Type, res.Attachment = lab.TypeEncoded, a
	case "RP":
		if !single() {
			return
		}
		r := reps[0]
		res.Type, res.Attachment = lab.TypeEncoded, &lab.Attachment{URL: strings.TrimSpace(r.Component(1).Text()),
			ContentType: mediaType(r.Component(3).Text(), r.Component(4).Text())}
	case "XTN", "TN", "XAD", "AD", "XPN", "PN", "XCN", "XON", "CX", "CP", "MO":
		lines := make([]string, len(reps))
		for i, r := range reps {
			var parts []string
			for _, c := range r.Components() {
				parts = append(parts, words(strings.Join(c.Subs(), " "))...)
			}
			lines[i] = strings.Join(parts, " ")
		}
		res.Type, res.Value = lab.TypeString, clinical.TextValue(strings.Join(lines, "\n"))
	case "":
		st.is.Add(p+"-2", ehrkit.IssueRequired, "a result with a value needs its value type")
	default:
		st.is.Add(p+"-2", ehrkit.IssueCodeInvalid, "value type not supported for results (HL7 table 0125)")
	}
}

// valueTypes are the lab value types of OBX-2 codes a result keeps.
var valueTypes = map[string]lab.ValueType{
	"NM": lab.TypeNumeric, "SN": lab.TypeStructured, "CE": lab.TypeCoded, "CWE": lab.TypeCodedWith, "CNE": lab.TypeCodedWith,
	"IS": lab.TypeCodedWith, "ID": lab.TypeCodedWith, "ST": lab.TypeString, "TX": lab.TypeText, "FT": lab.TypeFormatted,
	"DT": lab.TypeString, "DTM": lab.TypeString, "TS": lab.TypeString, "TM": lab.TypeString, "ED": lab.TypeEncoded, "RP": lab.TypeEncoded,
	"XTN": lab.TypeString, "TN": lab.TypeString, "XAD": lab.TypeString, "AD": lab.TypeString, "XPN": lab.TypeString, "PN": lab.TypeString,
	"XCN": lab.TypeString, "XON": lab.TypeString, "CX": lab.TypeString, "CP": lab.TypeString, "MO": lab.TypeString,
}

// structuredNumeric reads an SN: comparator^num1 is a quantity with a
// comparator, ^num1^-^num2 a range; ratios (":" and "/") and "+" are not
// values a result holds.
func structuredNumeric(r Rep, unit string) (clinical.Value, bool) {
	comp := strings.TrimSpace(r.Component(1).Text())
	n1, err1 := decimal.NewFromString(strings.TrimSpace(r.Component(2).Text()))
	sep := strings.TrimSpace(r.Component(3).Text())
	n2s := strings.TrimSpace(r.Component(4).Text())
	if err1 != nil {
		return clinical.Value{}, false
	}
	switch {
	case sep == "" && n2s == "":
		switch comp {
		case "", "=":
			comp = ""
		case "<", ">", "<=", ">=":
		default:
			return clinical.Value{}, false
		}
		return clinical.QuantityValue(ehrkit.Quantity{Value: n1, Unit: unit, Comparator: comp}), true
	case sep == "-" && comp == "":
		n2, err := decimal.NewFromString(n2s)
		if err != nil {
			return clinical.Value{}, false
		}
		return clinical.RangeValue(ehrkit.Quantity{Value: n1, Unit: unit}, ehrkit.Quantity{Value: n2, Unit: unit}), true
	}
	return clinical.Value{}, false
}

// encapsulated decodes an ED: source application^type of data^data
// subtype^encoding^data, the encoding Base64, Hex or A (ASCII, as sent).
func encapsulated(r Rep) (*lab.Attachment, error) {
	a := &lab.Attachment{ContentType: mediaType(r.Component(2).Text(), r.Component(3).Text())}
	data := r.Component(5).Text()
	var err error
	switch strings.ToUpper(strings.TrimSpace(r.Component(4).Text())) {
	case "BASE64":
		clean := strings.Map(func(c rune) rune {
			if c == '\n' || c == '\r' || c == ' ' {
				return -1
			}
			return c
		}, data)
		if len(clean)%4 != 0 {
			a.Data, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "="))
		} else {
			a.Data, err = base64.StdEncoding.DecodeString(clean)
		}
	case "HEX":
		a.Data, err = hex.DecodeString(strings.TrimSpace(data))
	case "A", "":
		a.Data = []byte(data)
	default:
		err = fmt.Errorf("%w: unknown encoding", ehrkit.ErrInvalid)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// mediaTypes maps HL7 table 0191 (type of referenced data) to a media type
// main part.
var mediaTypes = map[string]string{"AP": "application", "TEXT": "text", "IM": "image", "AU": "audio", "NS": "application", "SD": "application"}

// mediaType renders ED/RP type and subtype as a media type
// ("application/pdf"); a type already written as a media type is kept.
func mediaType(typ, sub string) string {
	typ, sub = strings.TrimSpace(typ), strings.ToLower(strings.TrimSpace(sub))
	if strings.Contains(typ, "/") {
		return strings.ToLower(typ)
	}
	main, ok := mediaTypes[strings.ToUpper(typ)]
	if !ok {
		main = strings.ToLower(typ)
	}
	switch {
	case main == "" && sub == "":
		return "application/octet-stream"
	case sub == "":
		return main + "/octet-stream"
	case main == "":
		return "application/" + sub
	}
	return main + "/" + sub
}

// refRange reads OBX-7 ("3.5-5.1", "<5", ">10"), keeping the text as sent;
// limits are set only when the text is one of these forms.
func (st *oruState) refRange(text string, v clinical.Value) *lab.ReferenceRange {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	rr := &lab.ReferenceRange{Text: text}
	if v.Kind == clinical.KindQuantity {
		rr.Unit = v.Quantity.Unit
	}
	num := func(s string) (decimal.NullDecimal, bool) {
		d, err := decimal.NewFromString(strings.TrimSpace(s))
		return decimal.NullDecimal{Decimal: d, Valid: err == nil}, err == nil
	}
	switch {
	case strings.HasPrefix(text, "<="), strings.HasPrefix(text, "<"):
		rr.High, _ = num(strings.TrimLeft(text, "<="))
	case strings.HasPrefix(text, ">="), strings.HasPrefix(text, ">"):
		rr.Low, _ = num(strings.TrimLeft(text, ">="))
	default:
		if i := strings.Index(text[1:], "-"); i >= 0 {
			lo, ok1 := num(text[:i+1])
			hi, ok2 := num(text[i+2:])
			if ok1 && ok2 {
				rr.Low, rr.High = lo, hi
			}
		}
	}
	return rr
}

func noteText(f Field) string {
	lines := make([]string, 0, 1)
	for _, r := range f.Repetitions() {
		lines = append(lines, r.Component(1).Text())
	}
	return strings.Join(lines, "\n")
}

// finish fills what the whole group decides: the report status when OBR-25
// is empty, the effective time from the specimen.
func (st *oruState) finish(g *oruGroup) {
	r := &g.in.Report
	if r.Effective.IsZero() && r.Specimen != nil {
		r.Effective = r.Specimen.Collected
	}
	st.is.Check(!r.Effective.IsZero(), seg("OBR", g.obr)+"-7", ehrkit.IssueRequired, "needs an observation time (OBR-7, OBR-8 or SPM-17)")
	if r.Status == "" {
		r.Status = lab.ReportFinal
		for _, res := range r.Results {
			if res.Status != clinical.ObservationFinal && res.Status != clinical.ObservationCorrected && res.Status != clinical.ObservationAmended {
				r.Status = lab.ReportPartial
			}
		}
	}
}

// ORUHandler files ORU^R01 results: each report goes through
// lab.Service.Receive, to the patient its PID identifiers name or into the
// reconciliation queue, and from there to the chart and the ordering
// clinician. All reports of one message are one transaction: a message is
// filed whole or not at all. Its Handle method serves as the Handler of
// Server.Serve.
type ORUHandler struct {
	// Lab files the reports; Store is the store it was made over.
	Lab   *lab.Service
	Store storage.Store
	// Clock stamps the ACKs; nil means ehrkit.RealClock.
	Clock ehrkit.Clock
	// Lenient keeps codes that fail a terminology check (a result code
	// that is not LOINC, a unit that is not UCUM) as sent, labelled
	// ehrkit.LabelUnverifiedCode, instead of refusing the message.
	Lenient bool
}

// Handle answers one message with its ACK (MSA-2 is the message's MSH-10):
//
//   - AA when every report was filed, to a patient or into the
//     reconciliation queue;
//   - AE with an ERR per problem, naming the segment, its line and the field
//     (ERR-2), when a report cannot be filed: a malformed or unsupported
//     value, a result without a LOINC code (unless Lenient), an OBX outside
//     an OBR group (ERR-3 100), a placer number of another patient's order;
//   - AR for a message that does not parse or is not an ORU^R01 (ERR-3 200).
func (h *ORUHandler) Handle(ctx context.Context, data []byte) []byte {
	msg, ack := parseFor(data, h.Clock, "ORU^R01")
	if ack != nil {
		return ack
	}
	if err := h.File(ctx, msg); err != nil {
		return ackFor(msg, h.Clock, AE, ackErrors(msg, err)...)
	}
	return ackFor(msg, h.Clock, AA)
}

// Filed counts what File did with a message's reports.
type Filed struct {
	// Reports were filed to a patient; Queued went to the reconciliation
	// queue.
	Reports, Queued int
	// Results counts the results of the reports filed to a patient.
	Results int
}

// File maps an ORU^R01 (ORUReports) and files its reports in one
// transaction through lab.Service.Receive. Problems fail with a
// *ehrkit.ValidationError whose paths name segments and fields as
// ORUReports does, lab's included ("results[2].code" becomes "OBX(3)-3").
func (h *ORUHandler) File(ctx context.Context, msg *Message) error {
	_, err := h.file(ctx, msg)
	return err
}

func (h *ORUHandler) file(ctx context.Context, msg *Message) (Filed, error) {
	groups, err := oruGroups(msg)
	if err != nil {
		return Filed{}, err
	}
	if h.Lenient {
		ctx = ehrkit.Lenient(ctx)
	}
	var filed Filed
	err = h.Store.Update(ctx, func(tx storage.Tx) error {
		filed = Filed{}
		for _, g := range groups {
			p, _, err := h.Lab.Receive(ctx, tx, g.in)
			if err != nil {
				return g.segmentIssues(err)
			}
			if p == "" {
				filed.Queued++
				continue
			}
			filed.Reports++
			filed.Results += len(g.in.Report.Results)
		}
		return nil
	})
	return filed, err
}

// segmentIssues renames the paths of lab's validation error to the segments
// and fields they came from.
func (g *oruGroup) segmentIssues(err error) error {
	var ve *ehrkit.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	obr := seg("OBR", g.obr)
	top := map[string]string{"status": obr + "-25", "code": obr + "-4", "effective": obr + "-7", "placer": obr + "-2",
		"patient": seg("PID", g.pid) + "-3", "id": obr + "-3", "performer": obr, "presentedForm": obr, "encounter": obr, "specimen": obr}
	if g.spm > 0 {
		top["specimen"] = seg("SPM", g.spm)
	}
	fields := map[string]int{"code": 3, "type": 2, "value": 5, "attachment": 5, "status": 11, "range": 7, "id": 4,
		"effective": 14, "performer": 23, "interpretation": 8}
	var v ehrkit.Issues
	for _, is := range ve.Issues {
		path := strings.TrimPrefix(is.Path, "report.")
		head, rest, _ := strings.Cut(path, ".")
		name := obr
		if base, idx, ok := strings.Cut(head, "["); ok && base == "results" {
			n, _ := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			if n >= 0 && n < len(g.results) {
				name = seg("OBX", g.results[n])
				field, _, _ := strings.Cut(rest, ".")
				field, _, _ = strings.Cut(field, "[")
				if strings.Contains(rest, ".unit") {
					name += "-6"
				} else if f, ok := fields[field]; ok {
					name += "-" + strconv.Itoa(f)
				}
			}
		} else if p, ok := top[strings.SplitN(head, "[", 2)[0]]; ok {
			name = p
		}
		v.Add(name, is.Code, "%s: %s", is.Path, is.Message)
	}
	return v.Err()
}
