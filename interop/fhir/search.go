package fhir

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/textfold"
	"github.com/ehrkit/ehrkit/storage"
)

// paramKind is the FHIR search parameter type of a parameter.
type paramKind int

const (
	kindToken paramKind = iota
	kindString
	kindDate
	kindReference
	kindQuantity
)

func (k paramKind) fhirType() string {
	return [...]string{"token", "string", "date", "reference", "quantity"}[k]
}

// termFormat says how the index term of a parameter holds its values.
type termFormat int

const (
	fmtPlain   termFormat = iota // a code, a folded word, an id
	fmtToken                     // "system|code"
	fmtInstant                   // storage.TimeLayout
	fmtDate                      // a FHIR date of any precision ("1970", "1970-05-01")
	fmtTyped                     // a reference "Type/id"
)

// searchParam is one search parameter of a resource type and the index term
// it reads.
type searchParam struct {
	name        string
	kind        paramKind
	term        string
	format      termFormat
	normalize   func(string) string // applied to token values before they compare
	compartment bool                // the patient: the record's compartment
	targets     []string            // reference targets
	elements    []string            // JSON elements holding the references (_include)
}

func token(name, term string, f termFormat) searchParam {
	return searchParam{name: name, kind: kindToken, term: term, format: f}
}

func date(name, term string) searchParam {
	return searchParam{name: name, kind: kindDate, term: term, format: fmtInstant}
}

func ref(name, term string, f termFormat, elements []string, targets ...string) searchParam {
	return searchParam{name: name, kind: kindReference, term: term, format: f, targets: targets, elements: elements}
}

// patientParams are the compartment parameters of a record of a patient.
func patientParams(subject bool) []searchParam {
	p := []searchParam{{name: "patient", kind: kindReference, compartment: true, targets: []string{"Patient"}, elements: []string{"subject", "patient"}}}
	if subject {
		p = append(p, searchParam{name: "subject", kind: kindReference, compartment: true, targets: []string{"Patient"}, elements: []string{"subject"}})
	}
	return p
}

var (
	nameParam       = searchParam{name: "name", kind: kindString, term: "name"}
	identifierParam = token("identifier", "identifier", fmtToken)
	encounterParam  = ref("encounter", "encounter", fmtPlain, []string{"encounter", "context"}, "Encounter")
	statusParam     = token("status", "status", fmtPlain)
)

// searchParams are the parameters of each type beyond _id and _lastUpdated,
// over the index terms the owning domain packages compute.
var searchParams = map[string][]searchParam{
	"Patient": {
		nameParam, {name: "family", kind: kindString, term: "name"}, {name: "given", kind: kindString, term: "name"},
		{name: "birthdate", kind: kindDate, term: "birthdate", format: fmtDate},
		token("gender", "gender", fmtPlain), identifierParam,
		{name: "phone", kind: kindToken, term: "phone", normalize: digits},
		{name: "email", kind: kindToken, term: "email", normalize: textfold.Fold},
		{name: "address-postalcode", kind: kindString, term: "postal"},
	},
	"Observation": append(patientParams(true), token("code", "code", fmtToken), date("date", "date"),
		token("category", "category", fmtPlain), statusParam, encounterParam,
		searchParam{name: "value-quantity", kind: kindQuantity, term: clinical.TermValueNumber}),
	"Encounter": append(patientParams(true), date("date", "date"), statusParam, token("class", "class", fmtPlain)),
	"Condition": append(patientParams(true), token("code", "code", fmtToken), token("category", "category", fmtPlain),
		token("clinical-status", "clinical-status", fmtPlain), token("verification-status", "status", fmtPlain),
		date("onset-date", "date"), encounterParam),
	"AllergyIntolerance": append(patientParams(false), token("code", "code", fmtToken),
		token("clinical-status", "clinical-status", fmtPlain), token("verification-status", "status", fmtPlain), date("date", "date")),
	"Procedure":    append(patientParams(true), token("code", "code", fmtToken), date("date", "date"), statusParam, encounterParam),
	"Immunization": append(patientParams(false), token("vaccine-code", "code", fmtToken), date("date", "date"), statusParam),
	"CarePlan":     append(patientParams(true), date("date", "date"), statusParam, encounterParam),
	"Goal":         append(patientParams(true), token("lifecycle-status", "status", fmtPlain), token("category", "category", fmtToken)),
	"DocumentReference": append(patientParams(true), token("type", "code", fmtToken), date("date", "date"), token("docstatus", "status", fmtPlain),
		encounterParam),
	"QuestionnaireResponse": append(patientParams(true), date("authored", "date"), statusParam, encounterParam,
		token("questionnaire", "form", fmtPlain)),
	"MedicationRequest": append(patientParams(true), statusParam, date("authoredon", "authored"),
		ref("requester", "requester", fmtPlain, []string{"requester"}, "Practitioner")),
	"ServiceRequest": append(patientParams(true), statusParam, date("authored", "authored"),
		ref("requester", "requester", fmtPlain, []string{"requester"}, "Practitioner")),
	"DiagnosticReport": append(patientParams(true), token("code", "code", fmtToken), date("date", "date"), statusParam),
	"Appointment": append(patientParams(false), date("date", "start"), statusParam,
		ref("actor", "actor", fmtTyped, []string{"participant"}, "Practitioner", "Location", "Device"),
		ref("practitioner", "actor", fmtTyped, []string{"participant"}, "Practitioner"),
		ref("location", "actor", fmtTyped, []string{"participant"}, "Location")),
	"Practitioner": {nameParam, identifierParam, token("active", "active", fmtPlain)},
	"Organization": {nameParam, identifierParam, token("active", "active", fmtPlain), token("type", "type", fmtToken),
		ref("partof", "partof", fmtPlain, []string{"partOf"}, "Organization")},
	"Location": {nameParam, identifierParam, token("type", "type", fmtToken),
		ref("organization", "organization", fmtPlain, []string{"managingOrganization"}, "Organization"),
		ref("partof", "partof", fmtPlain, []string{"partOf"}, "Location")},
	"PractitionerRole": {identifierParam, token("active", "active", fmtPlain), token("specialty", "specialty", fmtToken),
		ref("practitioner", "practitioner", fmtPlain, []string{"practitioner"}, "Practitioner"),
		ref("location", "location", fmtPlain, []string{"location"}, "Location")},
	"Schedule": {ref("actor", "actor", fmtTyped, []string{"actor"}, "Practitioner", "Location", "Device")},
}

// digits keeps the last ten digits of a phone number, as the registry
// indexes them.
func digits(s string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if len(d) > 10 {
		d = d[len(d)-10:]
	}
	return d
}

// paramsOf returns the search parameters of typ: its own, or for a type of
// a patient not listed, the patient ones.
func paramsOf(typ string) []searchParam {
	if p, ok := searchParams[typ]; ok {
		return p
	}
	if registryShared(typ) {
		return nil
	}
	return patientParams(true)
}

func findParam(typ, name string) (searchParam, bool) {
	for _, p := range paramsOf(typ) {
		if p.name == name {
			return p, true
		}
	}
	return searchParam{}, false
}

// clause is one search parameter of a query: it holds when one of its
// values does (repeated parameters are separate clauses, all of which hold).
type clause struct {
	param    searchParam
	special  string // "_id" or "_lastUpdated"
	modifier string
	values   []searchValue
}

// value is one value of a clause: a date with its prefix, a token split at
// "|", a string's folded words.
type searchValue struct {
	prefix   string
	raw      string
	system   string
	code     string
	hasSys   bool
	lo, hi   time.Time // dates
	words    []string  // strings
	refType  string
	refID    string
	missingB bool
	qty      quantityValue // quantities
}

// searchSpec is a parsed search.
type searchSpec struct {
	typ         string
	compartment string
	onlyID      string // a patient-level token's patient (a Patient search)
	clauses     []clause
	sortBy      string
	desc        bool
	count       int
	summary     string
	total       string
	includes    []string
	revincludes []string
	// scope, when set, admits only records the token's scopes reach.
	scope func(storage.Record) bool
	key   string // a condition's claim key (conditionKey)
}

// Result parameters, not search parameters.
var resultParams = []string{"_count", "_sort", "_include", "_revinclude", "_summary", "_total", "_cursor", "_format", "_pretty", "_elements"}

const (
	defaultCount = 50
	rawPage      = 500 // records read per storage page while filtering
)

// parseSearch reads a search of typ from its parameters. Every unknown
// parameter and malformed value is named in one 400.
func parseSearch(typ string, params url.Values) (*searchSpec, error) {
	spec := &searchSpec{typ: typ, count: defaultCount}
	search := url.Values{}
	var bad []string
	for k, vs := range params {
		name, _, _ := strings.Cut(k, ":")
		if !slices.Contains(resultParams, name) {
			search[k] = vs
			continue
		}
		v := vs[len(vs)-1]
		switch name {
		case "_count":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				bad = append(bad, "_count")
			}
			spec.count = min(n, storage.MaxLimit)
		case "_sort":
			if err := spec.parseSort(v); err != nil {
				bad = append(bad, "_sort")
			}
		case "_include":
			spec.includes = vs
		case "_revinclude":
			spec.revincludes = vs
		case "_summary":
			if v != "count" && v != "false" {
				bad = append(bad, "_summary")
			}
			spec.summary = v
		case "_total":
			if v != "none" && v != "estimate" && v != "accurate" {
				bad = append(bad, "_total")
			}
			spec.total = v
		}
	}
	clauses, err := parseClauses(typ, search)
	if err != nil {
		var he *httpError
		if errors.As(err, &he) {
			bad = append(bad, he.expr...)
		}
	}
	spec.clauses = clauses
	if len(bad) > 0 {
		slices.Sort(bad)
		return nil, &httpError{status: http.StatusBadRequest, code: "not-supported", msg: "unknown search parameters or malformed values", expr: bad}
	}
	for i := 0; i < len(spec.clauses); i++ {
		c := spec.clauses[i]
		if c.param.compartment && c.modifier == "" && len(c.values) == 1 && c.values[0].refType != "" && c.values[0].refType != "Patient" {
			return nil, &httpError{status: http.StatusBadRequest, code: "value", msg: "the patient parameter names a Patient", expr: []string{c.param.name}}
		}
		if c.param.compartment && c.modifier == "" && len(c.values) == 1 {
			if spec.compartment != "" && spec.compartment != c.values[0].refID {
				spec.compartment = "\x00" // two patients: nothing matches
			} else {
				spec.compartment = c.values[0].refID
			}
		}
	}
	return spec, nil
}

func (s *searchSpec) parseSort(v string) error {
	key, _, _ := strings.Cut(v, ",")
	if key, s.desc = strings.CutPrefix(key, "-"); key == "" {
		return errors.New("empty sort")
	}
	switch key {
	case "_id":
		s.sortBy = storage.SortID
	case "_lastUpdated":
		s.sortBy = storage.SortUpdated
	default:
		p, ok := findParam(s.typ, key)
		if !ok || p.term == "" {
			return errors.New("unknown sort")
		}
		s.sortBy = p.term
	}
	return nil
}

// parseClauses reads search parameters (not result parameters) of typ.
func parseClauses(typ string, params url.Values) ([]clause, error) {
	var out []clause
	var bad []string
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range params {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		name, modifier, _ := strings.Cut(k, ":")
		var c clause
		switch name {
		case "_id":
			c = clause{special: "_id", param: searchParam{name: "_id", kind: kindToken}}
		case "_lastUpdated":
			c = clause{special: "_lastUpdated", param: searchParam{name: "_lastUpdated", kind: kindDate}}
		default:
			p, ok := findParam(typ, name)
			if !ok {
				bad = append(bad, k)
				continue
			}
			c = clause{param: p}
		}
		if !validModifier(c.param.kind, modifier) {
			bad = append(bad, k)
			continue
		}
		c.modifier = modifier
		for _, raw := range params[k] {
			cc := c
			ok := true
			for _, s := range splitValues(raw) {
				v, err := parseValue(c.param, modifier, s)
				if err != nil {
					ok = false
					break
				}
				cc.values = append(cc.values, v)
			}
			if !ok || len(cc.values) == 0 {
				bad = append(bad, k)
				continue
			}
			out = append(out, cc)
		}
	}
	if len(bad) > 0 {
		return out, &httpError{status: http.StatusBadRequest, code: "not-supported", msg: "unknown search parameters or malformed values", expr: bad}
	}
	return out, nil
}

func validModifier(k paramKind, m string) bool {
	switch m {
	case "", "missing":
		return true
	case "not":
		return k == kindToken
	case "exact", "contains":
		return k == kindString
	}
	return false
}

// splitValues splits a parameter value at unescaped commas.
func splitValues(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case s[i] == ',':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}

var datePrefixes = []string{"eq", "ne", "lt", "le", "gt", "ge", "sa", "eb"}

func parseValue(p searchParam, modifier, s string) (searchValue, error) {
	v := searchValue{raw: s}
	if modifier == "missing" {
		switch s {
		case "true":
			v.missingB = true
		case "false":
		default:
			return v, errors.New("missing takes true or false")
		}
		return v, nil
	}
	if s == "" {
		return v, errors.New("empty value")
	}
	switch p.kind {
	case kindToken:
		v.system, v.code, v.hasSys = strings.Cut(s, "|")
		if !v.hasSys {
			v.code, v.system = v.system, ""
		}
		if p.normalize != nil {
			v.code = p.normalize(v.code)
		}
	case kindString:
		v.words = textfold.Tokens(s)
		if len(v.words) == 0 {
			return v, errors.New("no words")
		}
	case kindDate:
		v.prefix = "eq"
		if len(s) > 2 && slices.Contains(datePrefixes, s[:2]) {
			v.prefix, s = s[:2], s[2:]
		}
		lo, hi, ok := dateRange(s)
		if !ok {
			return v, errors.New("malformed date")
		}
		v.lo, v.hi = lo, hi
	case kindQuantity:
		v.prefix = "eq"
		if len(s) > 2 && slices.Contains(datePrefixes, s[:2]) {
			v.prefix, s = s[:2], s[2:]
		}
		q, err := parseQuantity(s)
		if err != nil {
			return v, err
		}
		v.qty = q
	case kindReference:
		if i := strings.Index(s, "/_history/"); i >= 0 {
			s = s[:i]
		}
		parts := strings.Split(s, "/")
		v.refID = parts[len(parts)-1]
		if len(parts) >= 2 {
			v.refType = parts[len(parts)-2]
		}
		if !ValidID(v.refID) || v.refType != "" && !storage.ValidType(v.refType) {
			return v, errors.New("malformed reference")
		}
	}
	return v, nil
}

// dateRange reads a FHIR date, dateTime or instant as the range of instants
// it covers: [lo, hi).
func dateRange(s string) (lo, hi time.Time, ok bool) {
	layouts := []struct {
		layout string
		step   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02T15:04:05Z07:00", func(t time.Time) time.Time { return t.Add(time.Second) }},
		{time.RFC3339Nano, func(t time.Time) time.Time { return t.Add(time.Microsecond) }},
		{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
	}
	for _, l := range layouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			if l.layout == time.RFC3339Nano && !strings.Contains(s, ".") {
				continue
			}
			return t.UTC(), l.step(t).UTC(), true
		}
	}
	return time.Time{}, time.Time{}, false
}

// termRange reads a stored date term as the range it covers.
func termRange(f termFormat, s string) (lo, hi time.Time, ok bool) {
	if f == fmtInstant {
		t, err := time.Parse(storage.TimeLayout, s)
		return t, t.Add(time.Microsecond), err == nil
	}
	return dateRange(s)
}

// matchDate applies a prefix to a target range [lo, hi) and the value's.
func matchDate(v searchValue, lo, hi time.Time) bool {
	switch v.prefix {
	case "ne":
		return lo.Before(v.lo) || hi.After(v.hi)
	case "lt", "eb":
		return !hi.After(v.lo)
	case "le":
		return !hi.After(v.hi)
	case "gt", "sa":
		return !lo.Before(v.hi)
	case "ge":
		return !lo.Before(v.lo)
	}
	return !lo.Before(v.lo) && !hi.After(v.hi)
}

func termValues(rec storage.Record, term string) []string {
	var out []string
	for _, t := range rec.Terms {
		if t.Name == term {
			out = append(out, t.Value)
		}
	}
	return out
}

// matchAll reports whether every clause holds for rec.
func matchAll(cs []clause, rec storage.Record) bool {
	for _, c := range cs {
		if !c.match(rec) {
			return false
		}
	}
	return true
}

func (c clause) match(rec storage.Record) bool {
	var have []string
	switch {
	case c.special == "_id":
		have = []string{rec.ID}
	case c.special == "_lastUpdated":
		have = []string{storage.UpdatedKey(rec.Updated)}
	case c.param.compartment:
		if rec.Compartment != "" {
			have = []string{rec.Compartment}
		}
	case c.param.kind == kindQuantity && c.modifier == "":
		return slices.ContainsFunc(c.values, func(v searchValue) bool {
			return slices.ContainsFunc(termValues(rec, v.qty.term), v.qty.match(v.prefix))
		})
	default:
		have = termValues(rec, c.param.term)
	}
	if c.modifier == "missing" {
		return c.values[0].missingB == (len(have) == 0)
	}
	any := false
	for _, v := range c.values {
		if c.param.kind == kindString {
			any = any || c.matchWords(v, have)
			continue
		}
		for _, h := range have {
			if c.matchValue(v, h) {
				any = true
			}
		}
	}
	if c.modifier == "not" {
		return !any
	}
	return any
}

func (c clause) matchValue(v searchValue, have string) bool {
	p := c.param
	switch p.kind {
	case kindToken:
		if p.format == fmtToken {
			sys, code, _ := strings.Cut(have, "|")
			return code == v.code && (!v.hasSys || sys == v.system) || v.hasSys && v.code == "" && sys == v.system
		}
		return have == v.code
	case kindDate:
		f := p.format
		if c.special == "_lastUpdated" {
			f = fmtInstant
		}
		lo, hi, ok := termRange(f, have)
		return ok && matchDate(v, lo, hi)
	case kindReference:
		if v.refType != "" && !slices.Contains(p.targets, v.refType) && !p.compartment {
			return false
		}
		if p.format == fmtTyped {
			typ, id, _ := strings.Cut(have, "/")
			return id == v.refID && (v.refType == "" || typ == v.refType)
		}
		return have == v.refID
	}
	return false
}

// matchWords reports whether every word of a string value matches one of
// the terms: starts it, equals it (:exact) or is part of it (:contains).
func (c clause) matchWords(v searchValue, have []string) bool {
	for _, w := range v.words {
		if !slices.ContainsFunc(have, func(t string) bool {
			switch c.modifier {
			case "exact":
				return t == w
			case "contains":
				return strings.Contains(t, w)
			}
			return strings.HasPrefix(t, w)
		}) {
			return false
		}
	}
	return true
}

// query is the storage query a search starts from: its compartment, sort
// and the filters that narrow it without changing its result (each clause
// is checked on every record read as well).
func (s *searchSpec) query() storage.Query {
	q := storage.Query{Type: s.typ, Compartment: s.compartment, SortBy: s.sortBy, Desc: s.desc, Limit: rawPage}
	for _, c := range s.clauses {
		if c.modifier != "" && c.modifier != "exact" || len(c.values) != 1 || c.special != "" || c.param.compartment || c.param.term == "" {
			continue
		}
		v := c.values[0]
		switch c.param.kind {
		case kindToken:
			if c.param.format == fmtToken && v.hasSys && v.code != "" {
				q.Filters = append(q.Filters, storage.Filter{Term: c.param.term, Op: storage.Eq, Value: v.system + "|" + v.code})
			} else if c.param.format == fmtPlain {
				q.Filters = append(q.Filters, storage.Filter{Term: c.param.term, Op: storage.Eq, Value: v.code})
			}
		case kindString:
			op := storage.Prefix
			if c.modifier == "exact" {
				op = storage.Eq
			}
			q.Filters = append(q.Filters, storage.Filter{Term: c.param.term, Op: op, Value: v.words[0]})
		case kindDate:
			if c.param.format != fmtInstant {
				continue
			}
			lo, hi := storage.UpdatedKey(v.lo), storage.UpdatedKey(v.hi)
			switch v.prefix {
			case "eq":
				q.Filters = append(q.Filters, storage.Filter{Term: c.param.term, Op: storage.Ge, Value: lo}, storage.Filter{Term: c.param.term, Op: storage.Lt, Value: hi})
			case "lt", "eb":
				q.Filters = append(q.Filters, storage.Filter{Term: c.param.term, Op: storage.Lt, Value: lo})
			case "le":
				q.Filters = append(q.Filters, storage.Filter{Term: c.param.term, Op: storage.Lt, Value: hi})
			case "gt", "sa":
				q.Filters = append(q.Filters, storage.Filter{Term: c.param.term, Op: storage.Ge, Value: hi})
			case "ge":
				q.Filters = append(q.Filters, storage.Filter{Term: c.param.term, Op: storage.Ge, Value: lo})
			}
		case kindQuantity:
			q.Filters = append(q.Filters, v.qty.filters(v.prefix)...)
		case kindReference:
			val := v.refID
			if c.param.format == fmtTyped {
				if v.refType == "" {
					continue
				}
				val = v.refType + "/" + v.refID
			}
			q.Filters = append(q.Filters, storage.Filter{Term: c.param.term, Op: storage.Eq, Value: val})
		}
	}
	return q
}

// admits reports whether rec is a result of the search.
func (s *searchSpec) admits(rec storage.Record) bool {
	if s.onlyID != "" && rec.ID != s.onlyID {
		return false
	}
	if s.scope != nil && !s.scope(rec) {
		return false
	}
	return matchAll(s.clauses, rec)
}

// position is where a page of a search starts: the storage cursor of the
// raw page and how many of its records were already handled.
type position struct {
	Cursor string `json:"c,omitempty"`
	Skip   int    `json:"s,omitempty"`
}

func (p position) encode() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePosition(s string) (position, error) {
	var p position
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		return p, &httpError{status: http.StatusBadRequest, code: "value", msg: "malformed _cursor", expr: []string{"_cursor"}}
	}
	return p, nil
}

// singleID is the id a search names with one _id value, if it does.
func (s *searchSpec) singleID() (string, bool) {
	for _, c := range s.clauses {
		if c.special == "_id" && c.modifier == "" && len(c.values) == 1 {
			return c.values[0].code, true
		}
	}
	return "", false
}

// page returns up to count results of spec from pos, and the position of
// the next page (nil when there is none). Records are filtered as they are
// read, before the page is cut, so a page holds only results.
func (h *Handler) page(ctx context.Context, r storage.Reader, spec *searchSpec, pos position, count int) ([]storage.Record, *position, error) {
	if spec.compartment == "\x00" {
		return nil, nil, nil
	}
	if id, ok := spec.singleID(); ok {
		if pos.Skip > 0 || count == 0 {
			return nil, nil, nil
		}
		rec, err := r.Get(ctx, spec.typ, id)
		if errors.Is(err, ehrkit.ErrNotFound) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if (spec.compartment == "" || rec.Compartment == spec.compartment) && spec.admits(rec) {
			return []storage.Record{rec}, nil, nil
		}
		return nil, nil, nil
	}
	q := spec.query()
	var out []storage.Record
	for {
		q.Cursor = pos.Cursor
		pg, err := r.Query(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		for i := pos.Skip; i < len(pg.Records); i++ {
			if len(out) == count {
				return out, &position{Cursor: pos.Cursor, Skip: i}, nil
			}
			if spec.admits(pg.Records[i]) {
				out = append(out, pg.Records[i])
			}
		}
		if pg.Next == "" {
			return out, nil, nil
		}
		pos = position{Cursor: pg.Next}
	}
}

// matches returns up to limit results of spec read through r.
func (h *Handler) matches(ctx context.Context, r storage.Reader, spec *searchSpec, limit int) ([]storage.Record, error) {
	out, _, err := h.page(ctx, r, spec, position{}, limit)
	return out, err
}

// count counts every result of spec.
func (h *Handler) count(ctx context.Context, spec *searchSpec) (int, error) {
	n := 0
	pos := position{}
	for {
		recs, next, err := h.page(ctx, h.store, spec, pos, storage.MaxLimit)
		if err != nil {
			return 0, err
		}
		n += len(recs)
		if next == nil {
			return n, nil
		}
		pos = *next
	}
}

// condition parses the query of a conditional interaction and checks that
// the token may search it.
func (h *Handler) condition(ctx context.Context, typ, rawQuery string) (*searchSpec, error) {
	params, err := url.ParseQuery(rawQuery)
	if err != nil || len(params) == 0 {
		return nil, &httpError{status: http.StatusBadRequest, code: "invalid", msg: "malformed condition"}
	}
	spec, err := parseSearch(typ, params)
	if err != nil {
		return nil, err
	}
	spec.key = conditionKey(typ, params)
	if err := scopesFrom(ctx).narrow(spec); err != nil {
		return nil, err
	}
	return spec, nil
}

// bundleEntry is one entry of a Bundle the handler writes.
type bundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Search   *entrySearch    `json:"search,omitempty"`
	Request  *entryRequest   `json:"request,omitempty"`
	Response *entryResponse  `json:"response,omitempty"`
}

type entrySearch struct {
	Mode string `json:"mode"`
}

type entryRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

type entryResponse struct {
	Status       string          `json:"status"`
	Location     string          `json:"location,omitempty"`
	Etag         string          `json:"etag,omitempty"`
	LastModified string          `json:"lastModified,omitempty"`
	Outcome      json.RawMessage `json:"outcome,omitempty"`
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type bundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        *int          `json:"total,omitempty"`
	Link         []bundleLink  `json:"link,omitempty"`
	Entry        []bundleEntry `json:"entry,omitempty"`
}

// search serves type and compartment searches, GET and POST _search.
func (h *Handler) search(rq *request, typ, compartment string) error {
	ctx := rq.Context()
	params := rq.URL.Query()
	if rq.Method == http.MethodPost {
		if err := rq.ParseForm(); err != nil {
			return &httpError{status: http.StatusBadRequest, code: "invalid", msg: "malformed form body"}
		}
		params = rq.Form
	}
	spec, err := parseSearch(typ, params)
	if err != nil {
		return err
	}
	if compartment != "" {
		if !ValidID(compartment) {
			return &httpError{status: http.StatusNotFound, code: "not-found", msg: "malformed patient id"}
		}
		if spec.compartment != "" && spec.compartment != compartment {
			spec.compartment = "\x00"
		} else {
			spec.compartment = compartment
		}
	}
	if err := rq.scopes.narrow(spec); err != nil {
		return err
	}
	pos := position{}
	if c := params.Get("_cursor"); c != "" {
		if pos, err = decodePosition(c); err != nil {
			return err
		}
	}
	b := bundle{ResourceType: "Bundle", Type: "searchset"}
	self := rq.base + rq.URL.Path + "?" + encodeParams(params, "")
	b.Link = append(b.Link, bundleLink{Relation: "self", URL: self})
	if spec.summary == "count" {
		n, err := h.count(ctx, spec)
		if err != nil {
			return err
		}
		b.Total = &n
		writeJSON(rq.w, http.StatusOK, ContentType, b)
		return nil
	}
	recs, next, err := h.page(ctx, h.store, spec, pos, spec.count)
	if err != nil {
		return err
	}
	if next != nil {
		b.Link = append(b.Link, bundleLink{Relation: "next", URL: rq.base + rq.URL.Path + "?" + encodeParams(params, next.encode())})
	}
	switch {
	case spec.total == "accurate" || spec.total == "estimate":
		n, err := h.count(ctx, spec)
		if err != nil {
			return err
		}
		b.Total = &n
	case next == nil && pos == (position{}) && spec.total != "none":
		n := len(recs)
		b.Total = &n
	}
	for _, rec := range recs {
		e, err := h.entry(rq, rec, "match")
		if err != nil {
			return err
		}
		b.Entry = append(b.Entry, e)
	}
	inc, err := h.included(rq, spec, recs)
	if err != nil {
		return err
	}
	b.Entry = append(b.Entry, inc...)
	writeJSON(rq.w, http.StatusOK, ContentType, b)
	return nil
}

// encodeParams writes the parameters of a search link, with cursor as its
// _cursor ("" for none).
func encodeParams(params url.Values, cursor string) string {
	v := url.Values{}
	for k, vs := range params {
		if k != "_cursor" {
			v[k] = vs
		}
	}
	if cursor != "" {
		v.Set("_cursor", cursor)
	}
	return v.Encode()
}

// entry is a searchset entry of rec.
func (h *Handler) entry(rq *request, rec storage.Record, mode string) (bundleEntry, error) {
	raw, err := h.render(rec)
	if err != nil {
		return bundleEntry{}, err
	}
	return bundleEntry{FullURL: rq.base + "/" + rec.Type + "/" + rec.ID, Resource: raw, Search: &entrySearch{Mode: mode}}, nil
}

// included resolves _include and _revinclude for a page of results: each
// included resource once, none that is a match already, none the token's
// scopes or the principal's access do not reach.
func (h *Handler) included(rq *request, spec *searchSpec, recs []storage.Record) ([]bundleEntry, error) {
	ctx := rq.Context()
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.Type+"/"+r.ID] = true
	}
	var out []bundleEntry
	add := func(rec storage.Record) error {
		key := rec.Type + "/" + rec.ID
		if seen[key] || rq.scopes.allowRecord(rec, 'r') != nil {
			return nil
		}
		seen[key] = true
		e, err := h.entry(rq, rec, "include")
		if err == nil {
			out = append(out, e)
		}
		return err
	}
	for _, inc := range spec.includes {
		src, name, _ := strings.Cut(inc, ":")
		name, target, _ := strings.Cut(name, ":")
		if src != spec.typ {
			continue
		}
		var elements []string
		if name != "*" {
			p, ok := findParam(spec.typ, name)
			if !ok || p.kind != kindReference {
				return nil, &httpError{status: http.StatusBadRequest, code: "not-supported", msg: "unknown _include", expr: []string{"_include"}}
			}
			elements = p.elements
		}
		for _, rec := range recs {
			raw, err := h.render(rec)
			if err != nil {
				return nil, err
			}
			for _, ref := range referencesIn(raw, elements) {
				typ, id, _ := strings.Cut(ref, "/")
				if target != "" && typ != target {
					continue
				}
				if _, ok := registry[typ]; !ok {
					continue
				}
				got, err := h.store.Get(ctx, typ, id)
				if errors.Is(err, ehrkit.ErrNotFound) || errors.Is(err, ehrkit.ErrPermission) {
					continue
				}
				if err != nil {
					return nil, err
				}
				if err := add(got); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, inc := range spec.revincludes {
		src, name, _ := strings.Cut(inc, ":")
		name, _, _ = strings.Cut(name, ":")
		p, ok := findParam(src, name)
		if _, mapped := registry[src]; !mapped || !ok || p.kind != kindReference {
			return nil, &httpError{status: http.StatusBadRequest, code: "not-supported", msg: "unknown _revinclude", expr: []string{"_revinclude"}}
		}
		if !slices.Contains(p.targets, spec.typ) {
			continue
		}
		for _, rec := range recs {
			rs := &searchSpec{typ: src, clauses: []clause{{param: p, values: []searchValue{{refType: spec.typ, refID: rec.ID}}}}}
			if p.compartment {
				rs.compartment = rec.ID
			}
			if err := rq.scopes.narrow(rs); err != nil {
				continue
			}
			found, err := h.matches(ctx, h.store, rs, storage.MaxLimit)
			if err != nil {
				return nil, err
			}
			for _, f := range found {
				if err := add(f); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// referencesIn returns the literal references "Type/id" held in the given
// top-level elements of a resource (all of them when elements is nil).
func referencesIn(raw []byte, elements []string) []string {
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && k == "reference" {
					if typ, id, ok := strings.Cut(s, "/"); ok && storage.ValidType(typ) && ValidID(id) {
						out = append(out, s)
					}
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	for k, e := range doc {
		if elements == nil || slices.Contains(elements, k) {
			walk(e)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
