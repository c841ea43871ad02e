package patient

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Query selects patients. Every criterion set must hold; an empty Query lists
// every current patient. Results are in id order, a page at a time.
type Query struct {
	// Name: every word must begin a word of one of the patient's names, after
	// folding (case, diacritics and punctuation are ignored: "jose muller" and
	// "MULLER" both find "José Müller-Lüdenscheidt").
	Name string
	// Phonetic: every word must sound like a word of the patient's names (same
	// NYSIIS code: "Jonson" finds "Johnson").
	Phonetic string
	// BirthDate: born on this date, at its precision (a year finds everyone
	// born that year).
	BirthDate ehrkit.Date
	// BornFrom and BornTo: born in this inclusive range (either may be zero).
	BornFrom, BornTo ehrkit.Date
	Gender           Gender
	// Identifier: carries this identifier (system and value both required).
	Identifier ehrkit.Identifier
	// Phone: has this phone number (compared as PhoneDigits).
	Phone string
	// Email: has this e-mail address (case-insensitive).
	Email string
	// PostalCode: has an address whose postal code starts with this (compared
	// as PostalCode).
	PostalCode string
	// IncludeMerged also returns records merged into another patient.
	IncludeMerged bool
	// Limit is the page size (0 means storage.DefaultLimit, at most
	// storage.MaxLimit); Cursor is Results.Next of the previous page. Merged
	// records are dropped from a page after it is read (an always-true status
	// filter would slow every backend's plan), so a page may hold fewer than
	// Limit patients, or none, and still have a Next.
	Limit  int
	Cursor string
}

// Results is one page of search results.
type Results struct {
	Patients []Patient
	Next     string // cursor of the next page; "" on the last page
}

// Search returns one page of the patients matching q. Malformed criteria fail
// with one *ehrkit.ValidationError naming each.
func (s *Service) Search(ctx context.Context, q Query) (Results, error) {
	filters, err := q.filters()
	if err != nil {
		return Results{}, err
	}
	page, err := s.store.Query(ctx, storage.Query{Type: RecordType, Filters: filters, Limit: q.Limit, Cursor: q.Cursor})
	if err != nil {
		return Results{}, err
	}
	out := Results{Patients: make([]Patient, 0, len(page.Records)), Next: page.Next}
	for _, rec := range page.Records {
		p, err := decode(rec)
		if err != nil {
			return Results{}, err
		}
		if q.IncludeMerged || p.ReplacedBy() == "" {
			out.Patients = append(out.Patients, p)
		}
	}
	return out, nil
}

// filters translates q into storage filters, the most selective first (a
// backend may start from the first equality filter).
func (q Query) filters() ([]storage.Filter, error) {
	var v ehrkit.Issues
	var fs []storage.Filter
	add := func(term string, op storage.Op, value string) {
		fs = append(fs, storage.Filter{Term: term, Op: op, Value: value})
	}
	if q.Identifier.System != "" || q.Identifier.Value != "" {
		v.Merge("identifier", ehrkit.Identifier{System: q.Identifier.System, Value: q.Identifier.Value}.Validate())
		add(TermIdentifier, storage.Eq, q.Identifier.Token())
	}
	if q.Phone != "" {
		d := PhoneDigits(q.Phone)
		v.Check(d != "", "phone", ehrkit.IssueValue, "has no digits")
		add(TermPhone, storage.Eq, d)
	}
	if q.Email != "" {
		add(TermEmail, storage.Eq, Fold(q.Email))
	}
	if !q.BirthDate.IsZero() {
		v.Merge("birthDate", q.BirthDate.Validate())
		// A year or a month is an equality on its period term rather than
		// a prefix range of birth dates, whose matches a backend would have
		// to sort by id.
		term := TermBirthPeriod
		if q.BirthDate.Precision() == ehrkit.PrecisionDay {
			term = TermBirthDate
		}
		add(term, storage.Eq, q.BirthDate.String())
	}
	if q.Name != "" {
		words := Tokens(q.Name)
		v.Check(len(words) > 0, "name", ehrkit.IssueValue, "has no letters or digits")
		fs = append(fs, nameFilters(words)...)
	}
	if q.Phonetic != "" {
		var codes []string
		for _, w := range Tokens(q.Phonetic) {
			if c := NYSIIS(w); c != "" {
				codes = append(codes, c)
			}
		}
		v.Check(len(codes) > 0, "phonetic", ehrkit.IssueValue, "has no letters")
		for _, c := range codes {
			add(TermPhonetic, storage.Eq, c)
		}
	}
	if q.PostalCode != "" {
		pc := PostalCode(q.PostalCode)
		v.Check(pc != "", "postalCode", ehrkit.IssueValue, "is empty after normalisation")
		add(TermPostal, storage.Prefix, pc)
	}
	if !q.BornFrom.IsZero() {
		v.Merge("bornFrom", q.BornFrom.Validate())
		add(TermBirthDate, storage.Ge, q.BornFrom.String())
	}
	if !q.BornTo.IsZero() {
		v.Merge("bornTo", q.BornTo.Validate())
		add(TermBirthDate, storage.Lt, dateAfter(q.BornTo))
	}
	v.Check(q.BornFrom.IsZero() || q.BornTo.IsZero() || !q.BornTo.Before(q.BornFrom), "bornTo", ehrkit.IssueInvariant, "is before bornFrom")
	if p := commonPeriod(q.BornFrom, q.BornTo); p != "" {
		// Implied by the range, and an equality: the page is read in id
		// order from the period's terms, the range checked per candidate.
		add(TermBirthPeriod, storage.Eq, p)
	}
	if q.Gender != "" {
		v.Check(q.Gender.Valid(), "gender", ehrkit.IssueCodeInvalid, "unknown gender")
		add(TermGender, storage.Eq, string(q.Gender))
	}
	v.Check(q.Limit >= 0 && q.Limit <= storage.MaxLimit, "limit", ehrkit.IssueValue, "must be 0..%d", storage.MaxLimit)
	return fs, v.Err()
}

// commonPeriod returns the TermBirthPeriod value that every birth date in
// the inclusive range from..to carries: the month both bounds fall in, else
// their year, else "" (different years, or an open range).
func commonPeriod(from, to ehrkit.Date) string {
	if from.IsZero() || to.IsZero() {
		return ""
	}
	pf, pt := birthPeriods(from), birthPeriods(to)
	for i := min(len(pf), len(pt)) - 1; i >= 0; i-- {
		if pf[i] == pt[i] {
			return pf[i]
		}
	}
	return ""
}

// dateAfter renders the first date after d at d's precision, so that "birth
// date < dateAfter(d)" includes all of d ("1970" gives "1971").
func dateAfter(d ehrkit.Date) string {
	next := ehrkit.DateOf(d.End(time.UTC))
	s := next.String()
	switch d.Precision() {
	case ehrkit.PrecisionYear:
		return s[:4]
	case ehrkit.PrecisionMonth:
		return s[:7]
	}
	return s
}

// nameFilters returns the filters of a name search for its folded words:
// each word must begin a name token, checked per candidate. The candidates
// come from one equality: for two words that can only begin two different
// tokens, their TermNamePair (see namePair), which few patients share; else
// the TermNamePrefix of the longest word, whose check is left out when the
// word is that prefix. An intersection of the words' prefix terms would read
// every patient whose names begin with a common short word ("de", "st").
func nameFilters(words []string) []storage.Filter {
	if len(words) == 0 {
		return nil
	}
	var out []storage.Filter
	check := words
	if pair, ok := namePair(words); ok {
		out = append(out, storage.Filter{Term: TermNamePair, Op: storage.Eq, Value: pair})
	} else {
		longest := 0
		for i, w := range words {
			if utf8.RuneCountInString(w) > utf8.RuneCountInString(words[longest]) {
				longest = i
			}
		}
		ps := namePrefixes(words[longest])
		out = append(out, storage.Filter{Term: TermNamePrefix, Op: storage.Eq, Value: ps[len(ps)-1]})
		if ps[len(ps)-1] == words[longest] {
			check = slices.Delete(slices.Clone(words), longest, longest+1)
		}
	}
	for _, w := range check {
		out = append(out, storage.Filter{Term: TermName, Op: storage.Prefix, Value: w})
	}
	return out
}

// namePair returns the TermNamePair value of two search words of at least
// two runes neither of which begins the other: such words begin two
// different name tokens, whose pair term the patient carries. The value is of
// their first three runes when both have that many, else of their first two;
// of all such pairs the first of three runes is taken, else the first of two,
// since more patients share a pair of two-letter prefixes ("de ma" for
// "Maria De la Cruz", where "cru mar" is at hand). ok is false when no two
// words qualify.
func namePair(words []string) (string, bool) {
	pair, runes := "", 0
	for i, a := range words {
		for _, b := range words[i+1:] {
			n := min(utf8.RuneCountInString(a), utf8.RuneCountInString(b), namePairPrefixLen)
			if n >= 2 && n > runes && !strings.HasPrefix(a, b) && !strings.HasPrefix(b, a) {
				pair, runes = namePairValue(a, b, n), n
			}
		}
	}
	return pair, runes > 0
}

// namePrefixLen is the length of the longest TermNamePrefix values: a search
// word of up to that many letters is one equality, a longer one probes the
// candidates of its first namePrefixLen letters, which few other names share.
const namePrefixLen = 5

// namePrefixes returns the first one, two, ... namePrefixLen runes of a
// folded word (fewer for a shorter word); a search word's last one is an
// equality filter every word it prefixes carries.
func namePrefixes(w string) []string {
	r := []rune(w)
	out := make([]string, 0, namePrefixLen)
	for n := 1; n <= min(namePrefixLen, len(r)); n++ {
		out = append(out, string(r[:n]))
	}
	return out
}

// namePairPrefixLen is the largest number of leading runes of each token in
// a TermNamePair value.
const namePairPrefixLen = 3

// namePairValue returns the TermNamePair value of two tokens or words: the
// first n runes of each, in sorted order, joined by a space (tokens hold
// none), so that word order does not matter.
func namePairValue(a, b string, n int) string {
	a, b = runePrefix(a, n), runePrefix(b, n)
	if b < a {
		a, b = b, a
	}
	return a + " " + b
}

// runePrefix returns the first n runes of s (all of a shorter s).
func runePrefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
