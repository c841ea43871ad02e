package storage

import (
	"github.com/ehrkit/ehrkit"
)

// A name is one character of a first set followed by characters of a second
// set, up to a length. The checks run on every Put, so they are table
// lookups rather than regular expressions.
var (
	upper, alnum = charSet("A-Z"), charSet("A-Za-z0-9")
	idChars      = charSet("A-Za-z0-9-._~:|@+=")
	termFirst    = charSet("A-Za-z_")
	termRest     = charSet("A-Za-z0-9_.:-")
	// labelFirst admits a digit, as in the label "42CFRPart2".
	labelFirst = charSet("A-Za-z0-9_")
)

// charSet returns the set of the bytes listed in spec, where "a-z" stands for
// a range and a '-' that ends no range for itself.
func charSet(spec string) *[256]bool {
	var set [256]bool
	for i := 0; i < len(spec); i++ {
		if i+2 < len(spec) && spec[i+1] == '-' {
			for c := int(spec[i]); c <= int(spec[i+2]); c++ {
				set[c] = true
			}
			i += 2
			continue
		}
		set[spec[i]] = true
	}
	return &set
}

// validName reports whether s is 1 to maxLen bytes, the first in first and
// the others in rest.
func validName(s string, first, rest *[256]bool, maxLen int) bool {
	if len(s) == 0 || len(s) > maxLen || !first[s[0]] {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !rest[s[i]] {
			return false
		}
	}
	return true
}

// ValidType reports whether typ is a well-formed record type: a capital letter
// then up to 63 letters or digits ("Patient", "MedicationRequest").
func ValidType(typ string) bool { return validName(typ, upper, alnum, 64) }

// ValidID reports whether id is a well-formed record id: 1 to 128 characters
// from letters, digits and - . _ ~ : | @ + =.
func ValidID(id string) bool { return validName(id, idChars, idChars, 128) }

// validTerm reports whether name is a well-formed term name (a term filter's
// or a sort key's).
func validTerm(name string) bool { return validName(name, termFirst, termRest, 64) }

// validLabel reports whether l is a well-formed security label.
func validLabel(l string) bool { return validName(l, labelFirst, termRest, 64) }

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
	// Paths are built only for a problem: this runs on every Put.
	for i, l := range r.Labels {
		if !validLabel(l) {
			v.Add(ehrkit.Index("labels", i), ehrkit.IssueValue, "malformed label")
		}
	}
	for i, t := range r.Terms {
		if !validTerm(t.Name) {
			v.Add(ehrkit.Index("terms", i)+".name", ehrkit.IssueValue, "malformed term name")
		}
		if len(t.Value) > MaxTermValue {
			v.Add(ehrkit.Index("terms", i)+".value", ehrkit.IssueTooLong, "term value exceeds %d bytes", MaxTermValue)
		}
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
	v.Check(q.SortBy == SortID || q.SortBy == SortUpdated || validTerm(q.SortBy), "sortBy", ehrkit.IssueValue, "malformed sort key")
	for i, f := range q.Filters {
		p := ehrkit.Index("filters", i)
		v.Check(validTerm(f.Term), p+".term", ehrkit.IssueValue, "malformed term name")
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
