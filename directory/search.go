package directory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/textfold"
	"github.com/ehrkit/ehrkit/storage"
)

// Query selects directory records; every field set must hold. Which fields a
// record type is indexed by: Name (practitioners, organizations, locations;
// folded for case and diacritics, each word a prefix), Identifier and NPI
// (all; NPI on practitioners and organizations in practice), Active (all),
// Type (an organization's type, a location's type or physical type, a
// role's code), Specialty, Practitioner and Location (roles), Organization
// (locations, roles) and PartOf (organizations, locations). A field the
// record type is not indexed by is refused, naming it.
type Query struct {
	Name         string
	Identifier   ehrkit.Identifier // system and value
	NPI          string
	Active       bool // only active records (a location: status active)
	Type         ehrkit.Coding
	Specialty    ehrkit.Coding
	Organization OrganizationID
	PartOf       string // parent organization or location id
	Practitioner PractitionerID
	Location     LocationID
	Limit        int    // page size (storage.DefaultLimit when 0)
	Cursor       string // the Next of the previous page
}

// filters translates q into storage filters for a type indexed by terms.
func (q Query) filters(typ string, terms []string) ([]storage.Filter, error) {
	var v ehrkit.Issues
	var fs []storage.Filter
	add := func(path, term string, op storage.Op, value string) {
		if !slices.Contains(terms, term) {
			v.Add(path, ehrkit.IssueNotSupported, "%s records are not searchable by %s", typ, path)
			return
		}
		fs = append(fs, storage.Filter{Term: term, Op: op, Value: value})
	}
	if q.Identifier.System != "" || q.Identifier.Value != "" {
		v.Merge("identifier", q.Identifier.Validate())
		add("identifier", TermIdentifier, storage.Eq, q.Identifier.Token())
	}
	if q.NPI != "" {
		v.Check(ehrkit.ValidNPI(q.NPI), "npi", ehrkit.IssueValue, "not a valid NPI")
		add("npi", TermNPI, storage.Eq, q.NPI)
	}
	coded := []struct {
		path, term string
		c          ehrkit.Coding
	}{{"type", TermType, q.Type}, {"specialty", TermSpecialty, q.Specialty}}
	for _, c := range coded {
		if !c.c.IsZero() {
			add(c.path, c.term, storage.Eq, c.c.Token())
		}
	}
	ids := []struct{ path, term, id string }{
		{"practitioner", TermPractitioner, string(q.Practitioner)},
		{"location", TermLocation, string(q.Location)},
		{"organization", TermOrganization, string(q.Organization)},
		{"partOf", TermPartOf, q.PartOf},
	}
	for _, x := range ids {
		if x.id != "" {
			add(x.path, x.term, storage.Eq, x.id)
		}
	}
	if q.Name != "" {
		words := textfold.Tokens(q.Name)
		v.Check(len(words) > 0, "name", ehrkit.IssueValue, "has no letters or digits")
		for _, w := range words {
			add("name", TermName, storage.Prefix, w)
		}
	}
	if q.Active {
		add("active", TermActive, storage.Eq, "true")
	}
	return fs, v.Err()
}

// Search returns one page of records matching q, and the cursor of the next
// page ("" on the last).
func (b *Book[T, ID]) Search(ctx context.Context, q Query) ([]T, string, error) {
	fs, err := q.filters(b.e.kind.Type, b.e.terms)
	if err != nil {
		return nil, "", err
	}
	page, err := b.svc.store.Query(ctx, storage.Query{Type: b.e.kind.Type, Filters: fs, Limit: q.Limit, Cursor: q.Cursor})
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, len(page.Records))
	for _, rec := range page.Records {
		v, err := b.decode(rec)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	return out, page.Next, nil
}

// Staff is a practitioner with the roles that selected them.
type Staff struct {
	Practitioner Practitioner
	Roles        []PractitionerRole
}

// FindStaff returns the practitioners holding a role active at time at that
// matches q's role fields (Specialty, Type, Organization, Location), each
// with those roles, in the order of their first role's id; q.Name, when set,
// further selects practitioners by name. It reads at most storage.MaxLimit
// roles; q.Limit and q.Cursor are ignored. Use it to answer "which
// cardiologists work for this organization", "who sees patients in room 4".
func (s *Service) FindStaff(ctx context.Context, q Query, at time.Time) ([]Staff, error) {
	rq := Query{Specialty: q.Specialty, Type: q.Type, Organization: q.Organization, Location: q.Location, Active: true, Limit: storage.MaxLimit}
	found, _, err := s.Roles.Search(ctx, rq)
	if err != nil {
		return nil, err
	}
	var words []string
	if q.Name != "" {
		if words = textfold.Tokens(q.Name); len(words) == 0 {
			var v ehrkit.Issues
			v.Add("name", ehrkit.IssueValue, "has no letters or digits")
			return nil, v.Err()
		}
	}
	var out []Staff
	index := map[PractitionerID]int{}
	for _, r := range found {
		if !r.ActiveAt(at) {
			continue
		}
		if i, ok := index[r.Practitioner]; ok {
			out[i].Roles = append(out[i].Roles, r)
			continue
		}
		p, err := s.Practitioners.Get(ctx, r.Practitioner)
		if err != nil {
			return nil, err
		}
		if !p.Active || !nameMatches(p, words) {
			continue
		}
		index[r.Practitioner] = len(out)
		out = append(out, Staff{Practitioner: p, Roles: []PractitionerRole{r}})
	}
	return out, nil
}

// nameMatches reports whether every word is a prefix of one of p's folded
// name tokens.
func nameMatches(p Practitioner, words []string) bool {
	var tokens []string
	for _, n := range humanNames(p.Names) {
		tokens = append(tokens, textfold.Tokens(n)...)
	}
	for _, w := range words {
		if !slices.ContainsFunc(tokens, func(t string) bool { return strings.HasPrefix(t, w) }) {
			return false
		}
	}
	return true
}
