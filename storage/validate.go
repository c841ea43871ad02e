package storage

import (
	"regexp"

	"github.com/ehrkit/ehrkit"
)

var (
	typeRe = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,63}$`)
	idRe   = regexp.MustCompile(`^[A-Za-z0-9\-._~:|@+=]{1,128}$`)
	termRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.:\-]{0,63}$`)
	// labelRe admits a leading digit, as in the label "42CFRPart2".
	labelRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,63}$`)
)

// ValidType reports whether typ is a well-formed record type: a capital letter
// then up to 63 letters or digits ("Patient", "MedicationRequest").
func ValidType(typ string) bool { return typeRe.MatchString(typ) }

// ValidID reports whether id is a well-formed record id: 1 to 128 characters
// from letters, digits and - . _ ~ : | @ + =.
func ValidID(id string) bool { return idRe.MatchString(id) }

// ValidateKey checks a record type and id.
func ValidateKey(typ, id string) error {
	var v ehrkit.Issues
	v.Check(ValidType(typ), "type", ehrkit.IssueValue, "malformed record type")
	v.Check(ValidID(id), "id", ehrkit.IssueValue, "malformed record id")
	return v.Err()
}

// ValidateRecord checks a record before it is written: type, id, compartment,
// labels, terms and value size. Backends call it in Put.
func ValidateRecord(r Record) error {
	var v ehrkit.Issues
	v.Check(ValidType(r.Type), "type", ehrkit.IssueValue, "malformed record type")
	v.Check(ValidID(r.ID), "id", ehrkit.IssueValue, "malformed record id")
	v.Check(r.Compartment == "" || ValidID(r.Compartment), "compartment", ehrkit.IssueValue, "malformed compartment id")
	v.Check(len(r.Value) <= MaxValueSize, "value", ehrkit.IssueTooLong, "value exceeds %d bytes", MaxValueSize)
	v.Check(len(r.Terms) <= MaxTerms, "terms", ehrkit.IssueTooLong, "more than %d terms", MaxTerms)
	for i, l := range r.Labels {
		v.Check(labelRe.MatchString(l), ehrkit.Index("labels", i), ehrkit.IssueValue, "malformed label")
	}
	for i, t := range r.Terms {
		v.Check(termRe.MatchString(t.Name), ehrkit.Index("terms", i)+".name", ehrkit.IssueValue, "malformed term name")
		v.Check(len(t.Value) <= MaxTermValue, ehrkit.Index("terms", i)+".value", ehrkit.IssueTooLong, "term value exceeds %d bytes", MaxTermValue)
	}
	return v.Err()
}

// ValidateQuery checks a query before it runs.
func ValidateQuery(q Query) error {
	var v ehrkit.Issues
	v.Check(q.Type == "" || ValidType(q.Type), "type", ehrkit.IssueValue, "malformed record type")
	v.Check(q.Type != "" || q.Compartment != "", "type", ehrkit.IssueRequired, "a query needs a type or a compartment")
	v.Check(q.Compartment == "" || ValidID(q.Compartment), "compartment", ehrkit.IssueValue, "malformed compartment id")
	v.Check(q.Limit >= 0 && q.Limit <= MaxLimit, "limit", ehrkit.IssueValue, "limit must be 0..%d", MaxLimit)
	v.Check(q.SortBy == SortID || q.SortBy == SortUpdated || termRe.MatchString(q.SortBy), "sortBy", ehrkit.IssueValue, "malformed sort key")
	for i, f := range q.Filters {
		p := ehrkit.Index("filters", i)
		v.Check(termRe.MatchString(f.Term), p+".term", ehrkit.IssueValue, "malformed term name")
		switch f.Op {
		case Eq, Prefix, Gt, Ge, Lt, Le:
		default:
			v.Add(p+".op", ehrkit.IssueCodeInvalid, "unknown operator")
		}
		v.Check(len(f.Value) <= MaxTermValue, p+".value", ehrkit.IssueTooLong, "value exceeds %d bytes", MaxTermValue)
	}
	if q.Cursor != "" {
		if _, err := DecodeCursor(q); err != nil {
			v.Add("cursor", ehrkit.IssueValue, "cursor does not belong to this query")
		}
	}
	return v.Err()
}

// PageSize returns the effective page size of q.
func PageSize(q Query) int {
	if q.Limit == 0 {
		return DefaultLimit
	}
	return q.Limit
}

// ValidateEvent checks an event before it is emitted: a topic is required, the
// compartment must be a well-formed id or "", the key at most MaxTermValue
// bytes and the payload at most MaxValueSize bytes. Backends call it in Emit.
func ValidateEvent(ev Event) error {
	var v ehrkit.Issues
	v.Required("topic", ev.Topic != "")
	v.Check(ev.Compartment == "" || ValidID(ev.Compartment), "compartment", ehrkit.IssueValue, "malformed compartment id")
	v.Check(len(ev.Key) <= MaxTermValue, "key", ehrkit.IssueTooLong, "key exceeds %d bytes", MaxTermValue)
	v.Check(len(ev.Payload) <= MaxValueSize, "payload", ehrkit.IssueTooLong, "payload exceeds %d bytes", MaxValueSize)
	return v.Err()
}
