package fhir

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/google/fhir/go/jsonformat"
	anpb "github.com/google/fhir/go/proto/google/fhir/proto/annotations_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The conversions below go between the R4 data type messages the Codec
// parses into (google/fhir/go's datatypes_go_proto) and the root package's
// types: read* from a message, pb* to one. Each is written once and used by
// every mapping.

// str is the String message of s, nil for "".
func str(s string) *dtpb.String {
	if s == "" {
		return nil
	}
	return &dtpb.String{Value: s}
}

// uri is the Uri message of s, nil for "".
func uri(s string) *dtpb.Uri {
	if s == "" {
		return nil
	}
	return &dtpb.Uri{Value: s}
}

// pbCodeValue is the Code message of s, nil for "".
func pbCodeValue(s string) *dtpb.Code {
	if s == "" {
		return nil
	}
	return &dtpb.Code{Value: s}
}

// readStrings is the values of a repeated string element.
func readStrings(in []*dtpb.String) []string {
	return each(in, (*dtpb.String).GetValue)
}

// pbStrings is the repeated string element of in.
func pbStrings(in []string) []*dtpb.String {
	return each(in, func(s string) *dtpb.String { return &dtpb.String{Value: s} })
}

// codeOf is the FHIR code held by a code element message (a
// *patient_go_proto.Patient_GenderCode ...), "" for none.
func codeOf(m proto.Message) string {
	r := m.ProtoReflect()
	if !r.IsValid() {
		return ""
	}
	fd := r.Descriptor().Fields().ByName("value")
	if fd == nil || fd.Enum() == nil {
		return ""
	}
	ev := fd.Enum().Values().ByNumber(r.Get(fd).Enum())
	if ev == nil || ev.Number() == 0 {
		return ""
	}
	return enumCode(ev)
}

// enumCode is the FHIR code an enum value stands for: its original code when
// the code is not a valid proto name ("<", "1.2"), else its name in lower
// case with "-" for "_".
func enumCode(ev protoreflect.EnumValueDescriptor) string {
	if c, _ := proto.GetExtension(ev.Options(), anpb.E_FhirOriginalCode).(string); c != "" {
		return c
	}
	return strings.ReplaceAll(strings.ToLower(string(ev.Name())), "_", "-")
}

// enumCodes caches, per enum, the number of each FHIR code.
var enumCodes sync.Map // protoreflect.FullName → map[string]protoreflect.EnumNumber

func enumNumber(ed protoreflect.EnumDescriptor, code string) (protoreflect.EnumNumber, bool) {
	m, ok := enumCodes.Load(ed.FullName())
	if !ok {
		byCode := map[string]protoreflect.EnumNumber{}
		vals := ed.Values()
		for i := range vals.Len() {
			if ev := vals.Get(i); ev.Number() != 0 {
				byCode[enumCode(ev)] = ev.Number()
			}
		}
		m, _ = enumCodes.LoadOrStore(ed.FullName(), byCode)
	}
	n, ok := m.(map[string]protoreflect.EnumNumber)[code]
	return n, ok
}

// pbCode is the code element message P holding code, nil for "". A code
// outside P's value set sets *err (the first error is kept).
func pbCode[P proto.Message](code string, err *error) P {
	var zero P
	if code == "" {
		return zero
	}
	m := zero.ProtoReflect().Type().New()
	fd := m.Descriptor().Fields().ByName("value")
	n, ok := enumNumber(fd.Enum(), code)
	if !ok {
		if *err == nil {
			*err = fmt.Errorf("%w: %q is not a code of %s", ehrkit.ErrInvalid, code, fd.Enum().Name())
		}
		return zero
	}
	m.Set(fd, protoreflect.ValueOfEnum(n))
	return m.Interface().(P)
}

func readCoding(c *dtpb.Coding) ehrkit.Coding {
	return ehrkit.Coding{System: c.GetSystem().GetValue(), Code: c.GetCode().GetValue(), Display: c.GetDisplay().GetValue()}
}

func pbCoding(c ehrkit.Coding) *dtpb.Coding {
	return &dtpb.Coding{System: uri(c.System), Code: pbCodeValue(c.Code), Display: str(c.Display)}
}

func readConcept(c *dtpb.CodeableConcept) ehrkit.CodeableConcept {
	return ehrkit.CodeableConcept{Coding: each(c.GetCoding(), readCoding), Text: c.GetText().GetValue()}
}

// pbConcept is the CodeableConcept of c, nil for the zero concept.
func pbConcept(c ehrkit.CodeableConcept) *dtpb.CodeableConcept {
	if c.IsZero() {
		return nil
	}
	return &dtpb.CodeableConcept{Coding: each(c.Coding, pbCoding), Text: str(c.Text)}
}

func readConcepts(cs []*dtpb.CodeableConcept) []ehrkit.CodeableConcept {
	return each(cs, readConcept)
}

func pbConcepts(cs []ehrkit.CodeableConcept) []*dtpb.CodeableConcept {
	return each(cs, pbConcept)
}

// readDateTime is the instant a FHIR dateTime of any precision starts at, in
// UTC with ehrkit's microseconds; the zero time for none.
func readDateTime(dt *dtpb.DateTime) time.Time {
	if dt == nil {
		return time.Time{}
	}
	return time.UnixMicro(dt.GetValueUs()).UTC()
}

// readInstant is readDateTime for an instant.
func readInstant(in *dtpb.Instant) time.Time {
	if in == nil {
		return time.Time{}
	}
	return time.UnixMicro(in.GetValueUs()).UTC()
}

// pbDateTime is the dateTime of t in UTC with the precision its fraction
// needs (seconds, milliseconds or microseconds), nil for the zero time.
func pbDateTime(t time.Time) *dtpb.DateTime {
	if t.IsZero() {
		return nil
	}
	p := dtpb.DateTime_MICROSECOND
	switch ns := t.Nanosecond(); {
	case ns == 0:
		p = dtpb.DateTime_SECOND
	case ns%int(time.Millisecond) == 0:
		p = dtpb.DateTime_MILLISECOND
	}
	return &dtpb.DateTime{ValueUs: t.UnixMicro(), Timezone: "Z", Precision: p}
}

// pbInstant is pbDateTime for an instant.
func pbInstant(t time.Time) *dtpb.Instant {
	dt := pbDateTime(t)
	if dt == nil {
		return nil
	}
	p := dtpb.Instant_MICROSECOND
	switch dt.Precision {
	case dtpb.DateTime_SECOND:
		p = dtpb.Instant_SECOND
	case dtpb.DateTime_MILLISECOND:
		p = dtpb.Instant_MILLISECOND
	}
	return &dtpb.Instant{ValueUs: dt.ValueUs, Timezone: dt.Timezone, Precision: p}
}

// zone is the location of a parsed value's time zone ("UTC", "Z", "+01:00"
// or an IANA name).
func zone(tz string) *time.Location {
	switch {
	case tz == "" || tz == "Z" || tz == "UTC":
		return time.UTC
	case len(tz) == 6 && (tz[0] == '+' || tz[0] == '-'):
		if t, err := time.Parse("-07:00", tz); err == nil {
			return t.Location()
		}
	}
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}

// readDate is the date with the precision it was given in.
func readDate(d *dtpb.Date) ehrkit.Date {
	if d == nil {
		return ehrkit.Date{}
	}
	t := time.UnixMicro(d.GetValueUs()).In(zone(d.GetTimezone()))
	switch d.GetPrecision() {
	case dtpb.Date_YEAR:
		return ehrkit.YearOnly(t.Year())
	case dtpb.Date_MONTH:
		return ehrkit.YearMonth(t.Year(), t.Month())
	}
	return ehrkit.DateOf(t)
}

// pbDate is the date message of d with its precision, nil for the zero date.
func pbDate(d ehrkit.Date) *dtpb.Date {
	p := dtpb.Date_DAY
	switch d.Precision() {
	case ehrkit.PrecisionNone:
		return nil
	case ehrkit.PrecisionYear:
		p = dtpb.Date_YEAR
	case ehrkit.PrecisionMonth:
		p = dtpb.Date_MONTH
	}
	return &dtpb.Date{ValueUs: d.Start(time.UTC).UnixMicro(), Timezone: "UTC", Precision: p}
}

func readPeriod(p *dtpb.Period) ehrkit.Period {
	return ehrkit.Period{Start: readDateTime(p.GetStart()), End: readDateTime(p.GetEnd())}
}

// pbPeriod is the Period of p, nil for the zero period.
func pbPeriod(p ehrkit.Period) *dtpb.Period {
	if p.IsZero() {
		return nil
	}
	return &dtpb.Period{Start: pbDateTime(p.Start), End: pbDateTime(p.End)}
}

func readIdentifier(id *dtpb.Identifier) ehrkit.Identifier {
	return ehrkit.Identifier{Use: codeOf(id.GetUse()), Type: readConcept(id.GetType()), System: id.GetSystem().GetValue(),
		Value: id.GetValue().GetValue(), Period: readPeriod(id.GetPeriod())}
}

func pbIdentifier(id ehrkit.Identifier, err *error) *dtpb.Identifier {
	return &dtpb.Identifier{Use: pbCode[*dtpb.Identifier_UseCode](id.Use, err), Type: pbConcept(id.Type),
		System: uri(id.System), Value: str(id.Value), Period: pbPeriod(id.Period)}
}

func readHumanName(n *dtpb.HumanName) ehrkit.HumanName {
	return ehrkit.HumanName{Use: codeOf(n.GetUse()), Text: n.GetText().GetValue(), Family: n.GetFamily().GetValue(),
		Given: readStrings(n.GetGiven()), Prefix: readStrings(n.GetPrefix()), Suffix: readStrings(n.GetSuffix()),
		Period: readPeriod(n.GetPeriod())}
}

func pbHumanName(n ehrkit.HumanName, err *error) *dtpb.HumanName {
	return &dtpb.HumanName{Use: pbCode[*dtpb.HumanName_UseCode](n.Use, err), Text: str(n.Text), Family: str(n.Family),
		Given: pbStrings(n.Given), Prefix: pbStrings(n.Prefix), Suffix: pbStrings(n.Suffix), Period: pbPeriod(n.Period)}
}

func readAddress(a *dtpb.Address) ehrkit.Address {
	return ehrkit.Address{Use: codeOf(a.GetUse()), Line: readStrings(a.GetLine()), City: a.GetCity().GetValue(),
		District: a.GetDistrict().GetValue(), State: a.GetState().GetValue(), PostalCode: a.GetPostalCode().GetValue(),
		Country: a.GetCountry().GetValue(), Period: readPeriod(a.GetPeriod())}
}

func pbAddress(a ehrkit.Address, err *error) *dtpb.Address {
	return &dtpb.Address{Use: pbCode[*dtpb.Address_UseCode](a.Use, err), Line: pbStrings(a.Line), City: str(a.City),
		District: str(a.District), State: str(a.State), PostalCode: str(a.PostalCode), Country: str(a.Country),
		Period: pbPeriod(a.Period)}
}

func readContactPoint(c *dtpb.ContactPoint) ehrkit.ContactPoint {
	return ehrkit.ContactPoint{System: codeOf(c.GetSystem()), Value: c.GetValue().GetValue(), Use: codeOf(c.GetUse()),
		Rank: int(c.GetRank().GetValue())}
}

func pbContactPoint(c ehrkit.ContactPoint, err *error) *dtpb.ContactPoint {
	out := &dtpb.ContactPoint{System: pbCode[*dtpb.ContactPoint_SystemCode](c.System, err), Value: str(c.Value),
		Use: pbCode[*dtpb.ContactPoint_UseCode](c.Use, err)}
	if c.Rank > 0 {
		out.Rank = &dtpb.PositiveInt{Value: uint32(c.Rank)}
	}
	return out
}

// readQuantity is the quantity with its decimal exactly as sent ("0.10"
// keeps its precision) and its UCUM code, else its unit, as the unit.
func readQuantity(q *dtpb.Quantity) (ehrkit.Quantity, error) {
	if q.GetValue() == nil {
		return ehrkit.Quantity{}, nil
	}
	v, err := decimal.NewFromString(q.GetValue().GetValue())
	if err != nil {
		return ehrkit.Quantity{}, fmt.Errorf("%w: malformed decimal", ehrkit.ErrInvalid)
	}
	unit := q.GetCode().GetValue()
	if unit == "" {
		unit = q.GetUnit().GetValue()
	}
	return ehrkit.Quantity{Value: v, Unit: unit, Comparator: codeOf(q.GetComparator())}, nil
}

// pbQuantity is the Quantity of q, its unit as a UCUM code.
func pbQuantity(q ehrkit.Quantity, err *error) *dtpb.Quantity {
	out := &dtpb.Quantity{Value: &dtpb.Decimal{Value: decimalNumber(q.Value)},
		Comparator: pbCode[*dtpb.Quantity_ComparatorCode](q.Comparator, err), Unit: str(q.Unit)}
	if q.Unit != "" {
		out.System, out.Code = uri(ehrkit.SystemUCUM), pbCodeValue(q.Unit)
	}
	return out
}

// referenceString is the literal reference r holds ("Patient/1",
// "urn:uuid:…", "#frag"), "" for none.
func referenceString(r *dtpb.Reference) string {
	if r.GetReference() == nil {
		return ""
	}
	if u := r.GetUri(); u != nil {
		return u.GetValue()
	}
	c := &dtpb.Reference{Reference: r.GetReference()}
	if err := jsonformat.DenormalizeReference(c); err != nil {
		return ""
	}
	return c.GetUri().GetValue()
}

// readRef resolves a reference; an unresolvable one keeps its display only.
func readRef(r *dtpb.Reference, refs *Refs) ehrkit.Reference {
	if r == nil {
		return ehrkit.Reference{}
	}
	out, _ := refs.Resolve(referenceString(r))
	out.Display = r.GetDisplay().GetValue()
	return out
}

// readRefs resolves each reference of rs.
func readRefs(rs []*dtpb.Reference, refs *Refs) []ehrkit.Reference {
	return each(rs, func(r *dtpb.Reference) ehrkit.Reference { return readRef(r, refs) })
}

// pbRef is the Reference message of r, nil for none.
func pbRef(r ehrkit.Reference) *dtpb.Reference {
	if r.IsZero() && r.Display == "" {
		return nil
	}
	out := &dtpb.Reference{Display: str(r.Display)}
	if s := r.String(); s != "" {
		out.Reference = &dtpb.Reference_Uri{Uri: &dtpb.String{Value: s}}
		_ = jsonformat.NormalizeReference(out) // a type it does not know stays a URI
	}
	return out
}

// pbRefs is the Reference message of each of rs.
func pbRefs(rs []ehrkit.Reference) []*dtpb.Reference { return each(rs, pbRef) }

// pbIDRef is the reference to the record of type typ with id, nil for no id.
func pbIDRef(typ, id string) *dtpb.Reference {
	if id == "" {
		return nil
	}
	return pbRef(ehrkit.Ref(typ, id))
}

// pbID is the resource id message of id.
func pbID(id string) *dtpb.Id {
	if id == "" {
		return nil
	}
	return &dtpb.Id{Value: id}
}

// pbBool is the Boolean message of b.
func pbBool(b bool) *dtpb.Boolean { return &dtpb.Boolean{Value: b} }

// readSimpleQuantity is readQuantity for a SimpleQuantity (no comparator).
func readSimpleQuantity(q *dtpb.SimpleQuantity) (ehrkit.Quantity, error) {
	if q == nil {
		return ehrkit.Quantity{}, nil
	}
	return readQuantity(&dtpb.Quantity{Value: q.GetValue(), Unit: q.GetUnit(), System: q.GetSystem(), Code: q.GetCode()})
}

// pbSimpleQuantity is the SimpleQuantity of q.
func pbSimpleQuantity(q ehrkit.Quantity) *dtpb.SimpleQuantity {
	var err error // a SimpleQuantity has no comparator to refuse
	p := pbQuantity(ehrkit.Quantity{Value: q.Value, Unit: q.Unit}, &err)
	return &dtpb.SimpleQuantity{Value: p.Value, Unit: p.Unit, System: p.System, Code: p.Code}
}

// readCode is the code of the first coding of c, "" for none.
func readCode(c *dtpb.CodeableConcept) string {
	if len(c.GetCoding()) == 0 {
		return ""
	}
	return c.GetCoding()[0].GetCode().GetValue()
}

// readCodeIn is the code of the first coding of c in system, "" for none.
func readCodeIn(c *dtpb.CodeableConcept, system string) string {
	for _, x := range c.GetCoding() {
		if x.GetSystem().GetValue() == system {
			return x.GetCode().GetValue()
		}
	}
	return ""
}

// pbCoded is a code of system as a concept, nil for "".
func pbCoded(system, c string) *dtpb.CodeableConcept {
	if c == "" {
		return nil
	}
	return &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{System: uri(system), Code: pbCodeValue(c)}}}
}

// readNote is the text of the first annotation, "" for none.
func readNote(ns []*dtpb.Annotation) string {
	if len(ns) == 0 {
		return ""
	}
	return ns[0].GetText().GetValue()
}

// pbNotes is the one annotation of text s, none for "".
func pbNotes(s string) []*dtpb.Annotation {
	if s == "" {
		return nil
	}
	return []*dtpb.Annotation{{Text: &dtpb.Markdown{Value: s}}}
}

// readDateOf reads a FHIR dateTime as a calendar date: the day it falls on
// in its own zone, or the date at its precision.
func readDateOf(dt *dtpb.DateTime) ehrkit.Date {
	if dt == nil {
		return ehrkit.Date{}
	}
	t := time.UnixMicro(dt.GetValueUs()).In(zone(dt.GetTimezone()))
	switch dt.GetPrecision() {
	case dtpb.DateTime_YEAR:
		return ehrkit.YearOnly(t.Year())
	case dtpb.DateTime_MONTH:
		return ehrkit.YearMonth(t.Year(), t.Month())
	}
	return ehrkit.DateOf(t)
}

// pbDateTimeOf is the dateTime of a calendar date, at its precision.
func pbDateTimeOf(d ehrkit.Date) *dtpb.DateTime {
	pd := pbDate(d)
	if pd == nil {
		return nil
	}
	p := dtpb.DateTime_DAY
	switch pd.Precision {
	case dtpb.Date_YEAR:
		p = dtpb.DateTime_YEAR
	case dtpb.Date_MONTH:
		p = dtpb.DateTime_MONTH
	}
	return &dtpb.DateTime{ValueUs: pd.ValueUs, Timezone: pd.Timezone, Precision: p}
}

// readSubject resolves a subject or patient reference to the patient id.
func readSubject(r *dtpb.Reference, rs *Refs) patient.ID { return patient.ID(readRef(r, rs).ID) }

// readEncounter resolves an encounter reference to the encounter id.
func readEncounter(r *dtpb.Reference, rs *Refs) string { return readRef(r, rs).ID }

// pbPatientRef is the reference to the patient id, nil for none.
func pbPatientRef(id patient.ID) *dtpb.Reference { return pbIDRef(patient.RecordType, string(id)) }

// pbEncounterRef is the reference to the encounter id, nil for none.
func pbEncounterRef(id string) *dtpb.Reference { return pbIDRef(clinical.EncounterType, id) }

// decimalNumber renders d with the decimals it was given: in FHIR "0.10"
// and "0.1" differ in precision.
func decimalNumber(d decimal.Decimal) string {
	if d.Exponent() < 0 {
		return d.StringFixed(-d.Exponent())
	}
	return d.String()
}

// each converts each element of in with fn.
func each[A, B any](in []A, fn func(A) B) []B {
	var out []B
	for _, a := range in {
		out = append(out, fn(a))
	}
	return out
}
