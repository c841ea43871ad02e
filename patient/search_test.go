package patient

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSearch(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		reg := func(p Patient) ID {
			t.Helper()
			out, err := svc.Register(ctx, p, AllowDuplicate())
			require.NoError(t, err)
			return out.ID
		}
		jose := reg(address(phone(person("José", "Müller-Lüdenscheidt", "1970-05-01", GenderMale), "+1 (555) 010-2030"), "1 Main St", "Boston", "02139-4307"))
		isil := reg(person("Işıl", "Yılmaz", "1985-11-20", GenderFemale))
		strasse := reg(address(person("Grete", "Straße", "1970-12-31", GenderFemale), "2 Elm", "Berlin", "10115"))
		nguyen := reg(person("Thị", "Nguyễn", "1990-02-14", GenderFemale))
		johnson := reg(person("Ann", "Johnson", "1971-01-01", GenderFemale))
		ssn := person("Maria", "Costa", "2001-07-04", GenderFemale)
		ssn.Identifiers = []ehrkit.Identifier{{System: ehrkit.SystemSSN, Value: "123-45-6789"}}
		costa := reg(ssn)
		// Born in 1970, month and day unknown.
		ola := reg(person("Ola", "Nordmann", "1970", GenderUnknown))

		tests := []struct {
			name string
			q    Query
			want []ID
		}{
			{"folded full name", Query{Name: "jose muller"}, []ID{jose}},
			{"upper case family", Query{Name: "MULLER"}, []ID{jose}},
			{"second part of hyphenated", Query{Name: "Lüdenscheidt"}, []ID{jose}},
			{"prefixes", Query{Name: "jo mü"}, []ID{jose}},
			{"words reversed", Query{Name: "Muller Jose"}, []ID{jose}},
			{"three words", Query{Name: "jose lud muller"}, []ID{jose}},
			{"words beginning one name", Query{Name: "lud ludensch"}, []ID{jose}},
			{"two long words of two names", Query{Name: "joh ann"}, []ID{johnson}},
			{"two words of different patients", Query{Name: "jose yilmaz"}, nil},
			{"two words, one of them short", Query{Name: "gr strasse"}, []ID{strasse}},
			{"two short words", Query{Name: "gr st"}, []ID{strasse}},
			{"an initial", Query{Name: "j mü"}, []ID{jose}},
			{"short prefix", Query{Name: "j"}, []ID{jose, johnson}},
			{"turkish dotless", Query{Name: "ISIL yilmaz"}, []ID{isil}},
			{"german sharp s", Query{Name: "strasse"}, []ID{strasse}},
			{"vietnamese", Query{Name: "nguyen thi"}, []ID{nguyen}},
			{"no match", Query{Name: "zzz"}, nil},
			{"phonetic", Query{Phonetic: "Jonson"}, []ID{johnson}},
			{"birth date exact", Query{BirthDate: ehrkit.MustDate("1970-05-01")}, []ID{jose}},
			{"birth year", Query{BirthDate: ehrkit.YearOnly(1970)}, []ID{jose, strasse, ola}},
			{"birth month", Query{BirthDate: ehrkit.MustDate("1970-12")}, []ID{strasse}},
			{"birth year only", Query{BirthDate: ehrkit.YearOnly(1970), Gender: GenderUnknown}, []ID{ola}},
			{"birth range", Query{BornFrom: ehrkit.MustDate("1970-06-01"), BornTo: ehrkit.MustDate("1971-01-01")}, []ID{strasse, johnson}},
			{"birth range by years", Query{BornFrom: ehrkit.YearOnly(1985), BornTo: ehrkit.YearOnly(1990)}, []ID{isil, nguyen}},
			{"birth range in a year", Query{BornFrom: ehrkit.MustDate("1970-05"), BornTo: ehrkit.MustDate("1970-12-31")}, []ID{jose, strasse}},
			{"birth range in a month", Query{BornFrom: ehrkit.MustDate("1970-12-02"), BornTo: ehrkit.MustDate("1970-12-31")}, []ID{strasse}},
			{"birth range of a year", Query{BornFrom: ehrkit.YearOnly(1970), BornTo: ehrkit.YearOnly(1970)}, []ID{jose, strasse, ola}},
			{"gender", Query{Gender: GenderMale}, []ID{jose}},
			{"identifier", Query{Identifier: ehrkit.Identifier{System: ehrkit.SystemSSN, Value: "123-45-6789"}}, []ID{costa}},
			{"mrn", Query{Identifier: ehrkit.Identifier{System: SystemMRN, Value: DefaultMRN.Format(2)}}, []ID{isil}},
			{"phone any format", Query{Phone: "555.010.2030"}, []ID{jose}},
			{"postal prefix", Query{PostalCode: "02139"}, []ID{jose}},
			{"combination", Query{Gender: GenderFemale, BornFrom: ehrkit.YearOnly(1970), BornTo: ehrkit.YearOnly(1971), Name: "gre"}, []ID{strasse}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := svc.Search(ctx, tt.q)
				require.NoError(t, err)
				assert.Equal(t, tt.want, nilIfEmpty(ids(res.Patients)))
				assert.Empty(t, res.Next)
			})
		}
	})
}

func nilIfEmpty(x []ID) []ID {
	if len(x) == 0 {
		return nil
	}
	return x
}

func TestSearchRejectsBadCriteria(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		svc := newTestService(t, s)
		_, err := svc.Search(context.Background(), Query{
			Name: "--", Phonetic: "123", Phone: "none", Gender: "robot", Limit: -1,
			Identifier: ehrkit.Identifier{Value: "x"},
			BornFrom:   ehrkit.MustDate("2000-01-01"), BornTo: ehrkit.MustDate("1999-01-01"),
		})
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		for _, want := range []struct {
			path string
			code ehrkit.IssueCode
		}{
			{"name", ehrkit.IssueValue}, {"phonetic", ehrkit.IssueValue}, {"phone", ehrkit.IssueValue},
			{"gender", ehrkit.IssueCodeInvalid}, {"limit", ehrkit.IssueValue},
			{"identifier.system", ehrkit.IssueRequired}, {"bornTo", ehrkit.IssueInvariant},
		} {
			assert.True(t, ve.Has(want.path, want.code), "missing %s", want.path)
		}
	})
}

func TestSearchPagesInIDOrder(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		var want []ID
		for _, given := range []string{"Ada", "Bea", "Cid", "Dan", "Eve", "Fay", "Gus"} {
			p, err := svc.Register(ctx, person(given, "Pager", "1999-09-09", GenderOther), AllowDuplicate())
			require.NoError(t, err)
			want = append(want, p.ID)
		}
		_, err := svc.Register(ctx, person("Other", "Family", "1999-09-09", GenderOther))
		require.NoError(t, err)
		read := func() []ID {
			var got []ID
			q := Query{Name: "pager", Limit: 3}
			for pages := 0; ; pages++ {
				require.Less(t, pages, 4)
				res, err := svc.Search(ctx, q)
				require.NoError(t, err)
				assert.LessOrEqual(t, len(res.Patients), 3)
				got = append(got, ids(res.Patients)...)
				if res.Next == "" {
					return got
				}
				q.Cursor = res.Next
			}
		}
		first := read()
		assert.Equal(t, want, first)
		assert.True(t, slices.IsSorted(first))
		assert.Equal(t, first, read(), "same order every time")
	})
}

// corpusDir returns the Synthea corpus directory or skips the test.
func corpusDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("EHRKIT_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "corpus")
	}
	dir := filepath.Join(root, "fhir", "synthea")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("Synthea corpus not found at %s (set EHRKIT_CORPUS)", dir)
	}
	return dir
}

// syntheaPatients reads the minimal demographics of every Patient in the
// corpus bundles.
func syntheaPatients(t *testing.T) []Patient {
	dir := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	var out []Patient
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var bundle struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		require.NoError(t, json.Unmarshal(b, &bundle), f)
		for _, e := range bundle.Entry {
			var r struct {
				ResourceType string `json:"resourceType"`
				Name         []struct {
					Use    string   `json:"use"`
					Family string   `json:"family"`
					Given  []string `json:"given"`
				} `json:"name"`
				Gender    string `json:"gender"`
				BirthDate string `json:"birthDate"`
				Address   []struct {
					Line       []string `json:"line"`
					City       string   `json:"city"`
					PostalCode string   `json:"postalCode"`
				} `json:"address"`
			}
			var kind struct {
				ResourceType string `json:"resourceType"`
			}
			require.NoError(t, json.Unmarshal(e.Resource, &kind), f)
			if kind.ResourceType != "Patient" {
				continue
			}
			require.NoError(t, json.Unmarshal(e.Resource, &r), f)
			var p Patient
			for _, n := range r.Name {
				p.Names = append(p.Names, ehrkit.HumanName{Use: n.Use, Family: n.Family, Given: n.Given})
			}
			p.Gender = Gender(r.Gender)
			p.BirthDate = ehrkit.MustDate(r.BirthDate)
			for _, a := range r.Address {
				p.Addresses = append(p.Addresses, ehrkit.Address{Use: "home", Line: a.Line, City: a.City, PostalCode: a.PostalCode})
			}
			out = append(out, p)
		}
	}
	return out
}

func TestSearchSyntheaPatients(t *testing.T) {
	population := syntheaPatients(t)
	require.Len(t, population, 23)
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		byFamily := map[string]ID{}
		for _, p := range population {
			out, err := svc.Register(ctx, p)
			require.NoError(t, err, "the corpus holds no duplicates")
			byFamily[out.Name().Family] = out.ID
		}
		tests := []struct {
			name  string
			q     Query
			wants []string // family names
		}{
			{"accent-free given", Query{Name: "agustin"}, []string{"Fonseca"}},
			{"accented query", Query{Name: "Agustín Fonseca"}, []string{"Fonseca"}},
			{"upper-case family with tilde", Query{Name: "ORDONEZ"}, []string{"Ordóñez"}},
			{"acute accent", Query{Name: "mejia"}, []string{"Mejía"}},
			{"given and family", Query{Name: "jesus alvarez"}, []string{"Alvarez"}},
			{"maiden name", Query{Name: "kerluke"}, []string{"Windler"}},
			{"phonetic", Query{Phonetic: "Fonseka"}, []string{"Fonseca"}},
			{"camel-case family", Query{Name: "dubuque"}, []string{"DuBuque"}},
			{"postal and birth year", Query{PostalCode: "02138", BornFrom: ehrkit.YearOnly(2000)}, []string{"Weissnat"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := svc.Search(ctx, tt.q)
				require.NoError(t, err)
				var want []ID
				for _, f := range tt.wants {
					require.Contains(t, byFamily, f)
					want = append(want, byFamily[f])
				}
				assert.Equal(t, want, ids(res.Patients))
			})
		}
	})
}

// TestNameSearchMatchesEveryWord checks name searches of one to three words
// (whole names, prefixes, in either order, a word and its own prefix) over a
// synthetic population against the rule they implement, computed here from
// the patients' tokens: every word begins a name token of the patient.
func TestNameSearchMatchesEveryWord(t *testing.T) {
	pop := generate(11, 300, 0)
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		loaded := bulkLoad(t, svc, pop.People)
		want := func(words []string) []ID {
			var out []ID
			for _, p := range loaded {
				tokens := p.nameTokens()
				if !slices.ContainsFunc(words, func(w string) bool {
					return !slices.ContainsFunc(tokens, func(tok string) bool { return strings.HasPrefix(tok, w) })
				}) {
					out = append(out, p.ID)
				}
			}
			slices.Sort(out)
			return out
		}
		for i := 0; i < len(loaded); i += 23 {
			n := loaded[i].Name()
			given, family := Tokens(n.Given[0])[0], Tokens(n.Family)[0]
			for _, q := range []string{
				given + " " + family, family + " " + given, runePrefix(family, 2) + " " + given,
				runePrefix(given, 3) + " " + runePrefix(family, 3), runePrefix(family, 2) + " " + family,
				given + " " + family + " " + runePrefix(given, 1), family, strings.Join(Tokens(n.Family), " "),
				runePrefix(given, 1) + " " + n.Family, runePrefix(given, 2) + " " + runePrefix(family, 2),
			} {
				res, err := svc.Search(ctx, Query{Name: q, Limit: storage.MaxLimit})
				require.NoError(t, err)
				got := ids(res.Patients)
				slices.Sort(got)
				assert.Equal(t, nilIfEmpty(want(Tokens(q))), nilIfEmpty(got), "%q", q)
			}
		}
	})
}

// TestNamePair checks which two search words a name search starts from: two
// that begin different tokens, preferring a pair of three-letter prefixes,
// which fewer patients share, to one of two-letter prefixes.
func TestNamePair(t *testing.T) {
	tests := []struct {
		words []string
		want  string // "" for none
	}{
		{[]string{"john", "smith"}, "joh smi"},
		{[]string{"smith", "john"}, "joh smi"},
		{[]string{"maria", "st", "john"}, "joh mar"},
		{[]string{"jurgen", "le"}, "ju le"},
		{[]string{"de", "la", "cruz"}, "de la"},
		{[]string{"maria", "de", "la", "cruz"}, "cru mar"},
		{[]string{"lud", "ludensch"}, ""},
		{[]string{"j", "muller"}, ""},
		{[]string{"john"}, ""},
	}
	for _, tt := range tests {
		got, ok := namePair(tt.words)
		assert.Equal(t, tt.want != "", ok, "%q", tt.words)
		assert.Equal(t, tt.want, got, "%q", tt.words)
	}
}
