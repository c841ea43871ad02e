package rx_test

import (
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const rxnorm = ehrkit.SystemRxNorm

func code(c string) ehrkit.Coding { return ehrkit.Coding{System: rxnorm, Code: c} }

func order(c string) rx.Proposed { return rx.Proposed{Medication: code(c)} }

// fired returns the alerts of a rule, whether it leads the alert or was
// merged into it.
func fired(res rx.Result, rule string) []rx.Alert {
	var out []rx.Alert
	for _, a := range res.Alerts {
		if a.Rule == rule || slices.Contains(a.Rules, rule) {
			out = append(out, a)
		}
	}
	return out
}

func TestShippedLoads(t *testing.T) {
	st := rx.Shipped().Stats()
	assert.Greater(t, st.Ingredients, 400)
	assert.GreaterOrEqual(t, st.Products, 18)
	byPrefix := map[string]int{}
	for _, r := range rx.Shipped().Rules() {
		byPrefix[strings.SplitN(r.ID, "-", 2)[0]]++
	}
	assert.Equal(t, 15+33, byPrefix["ONC"])
	assert.Greater(t, byPrefix["VA"], 5000, "VA NDF-RT pairs after salts fold")
	assert.Equal(t, st.Interactions, byPrefix["ONC"]+byPrefix["VA"]+byPrefix["LABEL"]+countDerived(t))
	assert.Greater(t, st.DoseLimits, 20)
}

func countDerived(t *testing.T) int {
	n := 0
	for _, r := range rx.Shipped().Rules() {
		if r.Derived {
			n++
			assert.False(t, r.Interruptive, r.ID)
			assert.Equal(t, []string{"FDA-HCP-CYP-T1"}, r.Sources, r.ID)
		}
	}
	return n
}

// TestEveryRuleCitesKnownSources reads the shipped base: every rule, class
// and limit names sources that resolve to a citation.
func TestEveryRuleCitesKnownSources(t *testing.T) {
	kb := rx.Shipped()
	for _, r := range kb.Rules() {
		require.NotEmpty(t, r.Sources, r.ID)
		for _, s := range r.Sources {
			src, ok := kb.Source(s)
			require.True(t, ok, "%s cites %s", r.ID, s)
			assert.NotEmpty(t, src.Citation)
		}
	}
}

// TestHighPriorityPairs checks every ingredient pair of every ONC high-priority
// rule of the shipped base, in both orders of arrival.
func TestHighPriorityPairs(t *testing.T) {
	kb := rx.Shipped()
	rules := 0
	for _, r := range kb.Rules() {
		if !strings.HasPrefix(r.ID, "ONC-HP-") {
			continue
		}
		rules++
		a, okA := kb.Class(r.A.Class)
		b, okB := kb.Class(r.B.Class)
		require.True(t, okA && okB, r.ID)
		if r.ID == "ONC-HP-21" {
			assert.Empty(t, a.Members, "the QT class ships without members")
			continue
		}
		require.NotEmpty(t, a.Members, r.ID)
		require.NotEmpty(t, b.Members, r.ID)
		t.Run(r.ID, func(t *testing.T) {
			for _, x := range a.Members {
				for _, y := range b.Members {
					if x == y {
						continue
					}
					for _, pair := range [][2]string{{x, y}, {y, x}} {
						res := rx.Check(kb, rx.Input{Active: []ehrkit.Coding{code(pair[0])}, Orders: []rx.Proposed{order(pair[1])}})
						got := fired(res, r.ID)
						if assert.Len(t, got, 1, "%s: %s then %s", r.ID, pair[0], pair[1]) {
							assert.Equal(t, rx.DrugDrug, got[0].Kind)
							assert.Equal(t, rx.Contraindicated, got[0].Severity)
							assert.True(t, got[0].Interruptive)
							assert.ElementsMatch(t, []string{pair[0], pair[1]}, got[0].Codes)
							assert.Contains(t, got[0].Source, "ONC-HP-2012")
						}
					}
				}
			}
		})
	}
	assert.Equal(t, 15, rules)
}

func TestNonInterruptivePairs(t *testing.T) {
	tests := []struct {
		rule, a, b string
	}{
		{"ONC-NI-02", "niacin", "simvastatin"},
		{"ONC-NI-05", "hydrochlorothiazide", "lisinopril"},
		{"ONC-NI-07", "levothyroxine", "atorvastatin"},
		{"ONC-NI-23", "enalapril", "losartan"},
		{"ONC-NI-25", "omeprazole", "diazepam"},
		{"ONC-NI-29", "clopidogrel", "aspirin"},
		{"ONC-NI-33", "lisinopril", "ibuprofen"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			a, b := byName(t, tt.a), byName(t, tt.b)
			for _, pair := range [][2]string{{a, b}, {b, a}} {
				res := rx.Check(rx.Shipped(), rx.Input{Active: []ehrkit.Coding{code(pair[0])}, Orders: []rx.Proposed{order(pair[1])}})
				got := fired(res, tt.rule)
				require.Len(t, got, 1)
				assert.False(t, got[0].Interruptive, "the non-interruptive list keeps the pair passive")
				for _, al := range res.Alerts {
					if al.Kind == rx.DrugDrug {
						assert.False(t, al.Interruptive, "stated non-interruptive rule takes precedence: %s", al.Rule)
					}
				}
			}
		})
	}
}

func byName(t *testing.T, name string) string {
	t.Helper()
	d, ok := rx.Shipped().DrugNamed(name)
	require.True(t, ok, name)
	return d.RxCUI
}

func TestNegativeCases(t *testing.T) {
	tests := []struct {
		name, active, order string
		quiet               []string // rules that must not fire; nil: no stated drug-drug alert at all
	}{
		{"atazanavir with famotidine: H2 blockers are not in the PPI rule", "atazanavir", "famotidine", []string{"ONC-HP-04"}},
		{"atorvastatin is not in the simvastatin/lovastatin rule", "atorvastatin", "clarithromycin", []string{"ONC-HP-25"}},
		{"amoxicillin with acetaminophen", "amoxicillin", "acetaminophen", nil},
		{"ritonavir alone has no PPI rule", "ritonavir", "omeprazole", []string{"ONC-HP-04"}},
		{"amlodipine with lisinopril", "amlodipine", "lisinopril", nil},
		{"metformin with lisinopril", "metformin", "lisinopril", nil},
		{"atorvastatin with lisinopril", "atorvastatin", "lisinopril", nil},
		{"metformin with atorvastatin", "metformin", "atorvastatin", nil},
		{"levothyroxine with lisinopril", "levothyroxine", "lisinopril", nil},
		{"sertraline with acetaminophen", "sertraline", "acetaminophen", nil},
		{"omeprazole with amoxicillin", "omeprazole", "amoxicillin", nil},
		{"metoprolol with atorvastatin", "metoprolol", "atorvastatin", nil},
		{"cephalexin with ibuprofen", "cephalexin", "ibuprofen", nil},
		{"pantoprazole with clopidogrel: only omeprazole and esomeprazole are to be avoided", "pantoprazole", "clopidogrel", []string{"LABEL-CLOPIDOGREL-CYP2C19"}},
		{"sildenafil with amlodipine", "sildenafil", "amlodipine", []string{"LABEL-PDE5-NITRATE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := byName(t, tt.active), byName(t, tt.order)
			for _, pair := range [][2]string{{a, b}, {b, a}} {
				res := rx.Check(rx.Shipped(), rx.Input{Active: []ehrkit.Coding{code(pair[0])}, Orders: []rx.Proposed{order(pair[1])}})
				for _, al := range res.Alerts {
					if tt.quiet == nil {
						assert.False(t, al.Kind == rx.DrugDrug && !al.Derived, "unexpected %s", al.Rule)
					}
				}
				for _, r := range tt.quiet {
					assert.Empty(t, fired(res, r))
				}
				assert.Empty(t, res.Unresolved)
			}
		})
	}
}

// TestShippedMatchesCorpus compares the shipped classes with the corpus they
// were generated from.
func TestShippedMatchesCorpus(t *testing.T) {
	dir := corpus(t)
	f, err := os.Open(filepath.Join(dir, "drugs", "class_members.csv"))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	n := 0
	for _, r := range rows[1:] {
		if r[2] == "" {
			continue
		}
		c, ok := rx.Shipped().Class(r[0])
		require.True(t, ok, r[0])
		assert.Contains(t, c.Members, r[2], "%s %s", r[0], r[1])
		n++
	}
	assert.Greater(t, n, 300)
}

func corpus(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("EHRKIT_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "drugs")); err != nil {
		t.Skipf("corpus not available at %s (set EHRKIT_CORPUS)", dir)
	}
	return dir
}

func TestNewBaseReportsEveryProblem(t *testing.T) {
	doc := rx.Document{
		Format:      rx.FormatV1,
		Sources:     []rx.Source{{ID: "S", Citation: "a citation"}},
		Ingredients: []rx.Ingredient{{RxCUI: "1", Name: "one"}, {RxCUI: "1", Name: "again"}},
		Classes:     []rx.Class{{ID: "C", Name: "c", Use: "other", Members: []string{"1", "404"}, Sources: []string{"S"}}},
		Interactions: []rx.Interaction{
			{ID: "R", A: rx.Party{Class: "C"}, B: rx.Party{Class: "nope"}, Severity: "fatal", Summary: "s", Sources: []string{"S"}},
			{ID: "R", A: rx.Party{RxCUI: "1", Class: "C"}, B: rx.Party{RxCUI: "1"}, Severity: rx.Minor, Summary: "s"},
		},
		DoseLimits: []rx.DoseLimit{{ID: "D", RxCUI: "1", MaxDaily: &rx.Amount{Unit: "tablets"}, Sources: []string{"T"}}},
	}
	_, err := rx.NewBase(doc)
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	require.ErrorIs(t, err, ehrkit.ErrInvalid)
	for _, want := range []struct {
		path string
		code ehrkit.IssueCode
	}{
		{"doc[0].ingredients[1].rxcui", ehrkit.IssueDuplicate},
		{"doc[0].classes[0].use", ehrkit.IssueCodeInvalid},
		{"doc[0].classes[0].members[1]", ehrkit.IssueValue},
		{"doc[0].interactions[0].b.class", ehrkit.IssueValue},
		{"doc[0].interactions[0].severity", ehrkit.IssueCodeInvalid},
		{"doc[0].interactions[1].id", ehrkit.IssueDuplicate},
		{"doc[0].interactions[1].a", ehrkit.IssueInvariant},
		{"doc[0].interactions[1].sources", ehrkit.IssueRequired},
		{"doc[0].doseLimits[0].maxDaily.unit", ehrkit.IssueCodeInvalid},
		{"doc[0].doseLimits[0].maxDaily.value", ehrkit.IssueValue},
		{"doc[0].doseLimits[0].sources[0]", ehrkit.IssueValue},
	} {
		assert.True(t, ve.Has(want.path, want.code), "missing %s %s in %v", want.path, want.code, ve.Issues)
	}
}

func TestLoadBase(t *testing.T) {
	good := `{"format": "ehrkit-rx-kb/1", "sources": [{"id": "SITE", "citation": "Site pharmacy committee 2026"}],
	  "interactions": [{"id": "SITE-1", "a": {"rxcui": "36567"}, "b": {"rxcui": "161"}, "severity": "moderate",
	  "interruptive": true, "summary": "site rule", "sources": ["SITE"]}]}`
	t.Run("a base must be complete", func(t *testing.T) {
		fsys := fstest.MapFS{"site.json": {Data: []byte(good)}}
		_, err := rx.LoadBase(fsys)
		// The vendor file names ingredients it does not define: a base alone must
		// be complete.
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("doc[0].interactions[0].a.rxcui", ehrkit.IssueValue))
	})
	t.Run("malformed and unsupported files", func(t *testing.T) {
		fsys := fstest.MapFS{
			"a.json": {Data: []byte(`{"format": "ehrkit-rx-kb/1", "bogus": 1}`)},
			"b.json": {Data: []byte(`{"format": "other/2"}`)},
			"c.txt":  {Data: []byte(`ignored`)},
		}
		_, err := rx.LoadBase(fsys)
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("a.json", ehrkit.IssueStructure))
		assert.True(t, ve.Has("b.json.format", ehrkit.IssueNotSupported))
	})
}

func TestParseDocumentErrors(t *testing.T) {
	_, err := rx.ParseDocument(strings.NewReader(`[1]`))
	assert.True(t, errors.Is(err, ehrkit.ErrInvalid))
}

func FuzzParseDocument(f *testing.F) {
	f.Add([]byte(`{"format": "ehrkit-rx-kb/1", "ingredients": [{"rxcui": "1", "name": "x"}]}`))
	f.Add([]byte(`{"format": "ehrkit-rx-kb/1", "doseLimits": [{"id": "d", "rxcui": "1", "maxDaily": {"value": "1e3", "unit": "mg"}}]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := rx.ParseDocument(strings.NewReader(string(data)))
		if err != nil {
			require.ErrorIs(t, err, ehrkit.ErrInvalid)
			return
		}
		// A parsed document either builds a base or is refused with a
		// validation error; it never panics.
		if _, err := rx.NewBase(d); err != nil {
			require.ErrorIs(t, err, ehrkit.ErrInvalid)
		}
	})
}

func TestLoadBaseEmpty(t *testing.T) {
	_, err := rx.LoadBase(fstest.MapFS{})
	assert.ErrorIs(t, err, ehrkit.ErrNotFound)
}
