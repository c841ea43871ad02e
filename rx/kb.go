package rx

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"

	"slices"
	"sync"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx/internal/drugname"
)

// KnowledgeBase is what the engine asks of a drug knowledge base. ehrkit ships
// one (Shipped); a vendor plugs in a commercial base by implementing these
// lookups, and Merge combines several bases with central suppression of rules.
// Codes are RxNorm RxCUIs. Implementations must be safe for concurrent use.
type KnowledgeBase interface {
	// Drug returns the drug with the RxCUI, an ingredient or a product.
	Drug(rxcui string) (Drug, bool)
	// DrugNamed returns the drug, or allergy class, with the name (compared
	// after drugname normalisation: case, diacritics and punctuation ignored).
	DrugNamed(name string) (Drug, bool)
	// Interactions returns the rules between two ingredients, in either order.
	Interactions(a, b string) []Interaction
	// Classes returns the classes of the given use that contain the ingredient.
	// The engine never modifies the slices a base returns, so a base may share
	// them between calls.
	Classes(rxcui string, use ClassUse) []Class
	// DoseLimits returns the dose limits of the ingredient.
	DoseLimits(rxcui string) []DoseLimit
	// Source returns the citation with the ID.
	Source(id string) (Source, bool)
}

// Drug is a resolved drug: an ingredient, a product expanded to its
// ingredients, or (for allergies recorded against a class such as
// "penicillins") an allergy class and its members.
type Drug struct {
	RxCUI       string      // the ingredient or product code; "" for a class
	Name        string      // the name in the knowledge base
	Ingredients []Component // the ingredients (the drug itself for an ingredient)
	Class       string      // the allergy class ID when the drug is a class
}

// Base is an in-memory knowledge base read from files in ehrkit's format
// (Document). It indexes every interaction by ingredient pair, so a lookup
// costs the same with a hundred rules or a hundred thousand.
type Base struct {
	sources  map[string]Source
	drugs    map[string]Drug
	names    map[string]Drug
	classes  map[string]Class
	member   map[memberKey][]Class // (use, rxcui) -> classes holding the ingredient
	rules    []Interaction
	pairs    map[pairKey][]int32
	doses    map[string][]DoseLimit
	ruleByID map[string]bool
}

type memberKey struct {
	use   ClassUse
	rxcui string
}

type pairKey struct{ a, b string }

func orderedPair(a, b string) pairKey {
	if b < a {
		a, b = b, a
	}
	return pairKey{a, b}
}

// ParseDocument reads one knowledge-base file. It checks the JSON syntax and the
// format name; references between files are checked by NewBase.
func ParseDocument(r io.Reader) (Document, error) {
	var d Document
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		var v ehrkit.Issues
		v.Add("", ehrkit.IssueStructure, "malformed knowledge-base document: %v", err)
		return Document{}, v.Err()
	}
	if d.Format != FormatV1 {
		var v ehrkit.Issues
		v.Add("format", ehrkit.IssueNotSupported, "unsupported knowledge-base format %q", d.Format)
		return Document{}, v.Err()
	}
	return d, nil
}

// LoadBase reads every *.json file at the root of fsys as a Document, in name
// order, and builds one Base from them. No such file is an error wrapping
// ehrkit.ErrNotFound.
func LoadBase(fsys fs.FS) (*Base, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("rx: list knowledge-base files: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("rx: no *.json knowledge-base files: %w", ehrkit.ErrNotFound)
	}
	docs := make([]Document, 0, len(names))
	var v ehrkit.Issues
	for _, name := range names {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("rx: open knowledge-base file %s: %w", name, err)
		}
		d, err := ParseDocument(f)
		_ = f.Close()
		v.Merge(name, err)
		docs = append(docs, d)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return NewBase(docs...)
}

// NewBase builds a Base from documents and checks them together: unique IDs,
// known severities and class uses, every referenced ingredient, class and
// source defined. It returns one *ehrkit.ValidationError naming every problem,
// with paths such as "doc[2].interactions[5].a.class".
func NewBase(docs ...Document) (*Base, error) {
	b := &Base{
		sources: map[string]Source{}, drugs: map[string]Drug{}, names: map[string]Drug{},
		classes: map[string]Class{}, member: map[memberKey][]Class{}, pairs: map[pairKey][]int32{},
		doses: map[string][]DoseLimit{}, ruleByID: map[string]bool{},
	}
	var v ehrkit.Issues
	// Definitions first, so references may point into any document.
	for i, d := range docs {
		p := ehrkit.Index("doc", i)
		for j, s := range d.Sources {
			sp := ehrkit.Index(p+".sources", j)
			v.Required(sp+".id", s.ID != "")
			v.Required(sp+".citation", s.Citation != "")
			_, dup := b.sources[s.ID]
			v.Check(!dup, sp+".id", ehrkit.IssueDuplicate, "source defined twice")
			b.sources[s.ID] = s
		}
		for j, in := range d.Ingredients {
			ip := ehrkit.Index(p+".ingredients", j)
			v.Required(ip+".rxcui", in.RxCUI != "")
			v.Required(ip+".name", in.Name != "")
			_, dup := b.drugs[in.RxCUI]
			v.Check(!dup, ip+".rxcui", ehrkit.IssueDuplicate, "code defined twice")
			drug := Drug{RxCUI: in.RxCUI, Name: in.Name, Ingredients: []Component{{RxCUI: in.RxCUI}}}
			b.drugs[in.RxCUI] = drug
			for _, n := range append([]string{in.Name}, in.Synonyms...) {
				b.names[drugname.Normalize(n)] = drug
			}
		}
		for j, c := range d.Classes {
			cp := ehrkit.Index(p+".classes", j)
			v.Required(cp+".id", c.ID != "")
			_, dup := b.classes[c.ID]
			v.Check(!dup, cp+".id", ehrkit.IssueDuplicate, "class defined twice")
			b.classes[c.ID] = c
		}
	}
	for i, d := range docs {
		p := ehrkit.Index("doc", i)
		for j, pr := range d.Products {
			b.addProduct(&v, ehrkit.Index(p+".products", j), pr)
		}
		for j, c := range d.Classes {
			b.addClass(&v, ehrkit.Index(p+".classes", j), c)
		}
		for j, r := range d.Interactions {
			b.addRule(&v, ehrkit.Index(p+".interactions", j), r)
		}
		for j, l := range d.DoseLimits {
			b.addDoseLimit(&v, ehrkit.Index(p+".doseLimits", j), l)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Base) checkSources(v *ehrkit.Issues, p string, ids []string) {
	v.Check(len(ids) > 0, p+".sources", ehrkit.IssueRequired, "every rule names its source")
	for k, id := range ids {
		_, ok := b.sources[id]
		v.Check(ok, ehrkit.Index(p+".sources", k), ehrkit.IssueValue, "unknown source")
	}
}

func (b *Base) checkIngredient(v *ehrkit.Issues, p, rxcui string) {
	d, ok := b.drugs[rxcui]
	v.Check(ok && d.RxCUI == d.Ingredients[0].RxCUI, p, ehrkit.IssueValue, "not an ingredient of the base")
}

func (b *Base) addProduct(v *ehrkit.Issues, p string, pr Product) {
	v.Required(p+".rxcui", pr.RxCUI != "")
	v.Required(p+".name", pr.Name != "")
	v.Check(len(pr.Ingredients) > 0, p+".ingredients", ehrkit.IssueRequired, "a product has ingredients")
	_, dup := b.drugs[pr.RxCUI]
	v.Check(!dup, p+".rxcui", ehrkit.IssueDuplicate, "code defined twice")
	for k, c := range pr.Ingredients {
		b.checkIngredient(v, ehrkit.Index(p+".ingredients", k)+".rxcui", c.RxCUI)
		if c.Strength != nil {
			_, ok := mgFactor[c.Strength.Unit]
			v.Check(ok, ehrkit.Index(p+".ingredients", k)+".strength.unit", ehrkit.IssueCodeInvalid, "unit is not a mass unit")
		}
	}
	b.checkSources(v, p, pr.Sources)
	drug := Drug{RxCUI: pr.RxCUI, Name: pr.Name, Ingredients: pr.Ingredients}
	b.drugs[pr.RxCUI] = drug
	b.names[drugname.Normalize(pr.Name)] = drug
}

func (b *Base) addClass(v *ehrkit.Issues, p string, c Class) {
	v.Required(p+".name", c.Name != "")
	v.Check(c.Use == UseInteraction || c.Use == UseAllergy || c.Use == UseTherapeutic, p+".use", ehrkit.IssueCodeInvalid, "unknown class use")
	for k, m := range c.Members {
		b.checkIngredient(v, ehrkit.Index(p+".members", k), m)
		key := memberKey{c.Use, m}
		if !slices.ContainsFunc(b.member[key], func(x Class) bool { return x.ID == c.ID }) {
			b.member[key] = append(b.member[key], c)
		}
	}
	b.checkSources(v, p, c.Sources)
	if c.Use == UseAllergy {
		members := make([]Component, len(c.Members))
		for k, m := range c.Members {
			members[k] = Component{RxCUI: m}
		}
		for _, n := range append([]string{c.Name}, c.Synonyms...) {
			b.names[drugname.Normalize(n)] = Drug{Name: c.Name, Ingredients: members, Class: c.ID}
		}
	}
}

// party expands one side of a rule to its ingredients.
func (b *Base) party(v *ehrkit.Issues, p string, pt Party) []string {
	switch {
	case pt.Class != "" && pt.RxCUI == "":
		c, ok := b.classes[pt.Class]
		v.Check(ok, p+".class", ehrkit.IssueValue, "unknown class")
		return c.Members
	case pt.RxCUI != "" && pt.Class == "":
		b.checkIngredient(v, p+".rxcui", pt.RxCUI)
		return []string{pt.RxCUI}
	}
	v.Add(p, ehrkit.IssueInvariant, "names exactly one of class and rxcui")
	return nil
}

func (b *Base) addRule(v *ehrkit.Issues, p string, r Interaction) {
	v.Required(p+".id", r.ID != "")
	v.Check(!b.ruleByID[r.ID], p+".id", ehrkit.IssueDuplicate, "rule defined twice")
	b.ruleByID[r.ID] = true
	v.Check(r.Severity.rank() < 4, p+".severity", ehrkit.IssueCodeInvalid, "unknown severity")
	v.Required(p+".summary", r.Summary != "")
	b.checkSources(v, p, r.Sources)
	as, bs := b.party(v, p+".a", r.A), b.party(v, p+".b", r.B)
	idx := int32(len(b.rules))
	b.rules = append(b.rules, r)
	for _, x := range as {
		for _, y := range bs {
			if x == y {
				continue
			}
			k := orderedPair(x, y)
			if !slices.Contains(b.pairs[k], idx) {
				b.pairs[k] = append(b.pairs[k], idx)
			}
		}
	}
}

func (b *Base) addDoseLimit(v *ehrkit.Issues, p string, l DoseLimit) {
	v.Required(p+".id", l.ID != "")
	b.checkIngredient(v, p+".rxcui", l.RxCUI)
	v.Check(l.MaxSingle != nil || l.MaxDaily != nil || l.MaxSinglePerKg != nil || l.MaxDailyPerKg != nil || l.MaxFrequency != nil,
		p, ehrkit.IssueRequired, "a dose limit gives at least one maximum")
	if f := l.MaxFrequency; f != nil {
		v.Check(f.Count > 0, p+".maxFrequency.count", ehrkit.IssueValue, "must be positive")
		v.Check(f.PeriodDays > 0, p+".maxFrequency.periodDays", ehrkit.IssueValue, "must be positive")
	}
	for name, a := range map[string]*Amount{"maxSingle": l.MaxSingle, "maxDaily": l.MaxDaily, "maxSinglePerKg": l.MaxSinglePerKg, "maxDailyPerKg": l.MaxDailyPerKg} {
		if a != nil {
			_, ok := mgFactor[a.Unit]
			v.Check(ok, p+"."+name+".unit", ehrkit.IssueCodeInvalid, "unit is not a mass unit")
			v.Check(a.Value.IsPositive(), p+"."+name+".value", ehrkit.IssueValue, "must be positive")
		}
	}
	v.Check(l.MaxAgeYears == 0 || l.MaxAgeYears > l.MinAgeYears, p+".maxAgeYears", ehrkit.IssueInvariant, "must exceed minAgeYears")
	if l.MinAgeDays != 0 || l.MaxAgeDays != 0 {
		v.Check(l.MaxAgeDays > l.MinAgeDays && l.MinAgeDays >= 0, p+".maxAgeDays", ehrkit.IssueInvariant, "must exceed minAgeDays, which is not negative")
		v.Check(l.MinAgeYears == 0 && l.MaxAgeYears == 0, p+".minAgeYears", ehrkit.IssueInvariant, "a band in days leaves the year bounds zero")
	}
	b.checkSources(v, p, l.Sources)
	b.doses[l.RxCUI] = append(b.doses[l.RxCUI], l)
}

// Drug implements KnowledgeBase.
func (b *Base) Drug(rxcui string) (Drug, bool) {
	d, ok := b.drugs[rxcui]
	return d, ok
}

// DrugNamed implements KnowledgeBase.
func (b *Base) DrugNamed(name string) (Drug, bool) {
	d, ok := b.names[drugname.Normalize(name)]
	return d, ok
}

// Interactions implements KnowledgeBase.
func (b *Base) Interactions(x, y string) []Interaction {
	idx := b.pairs[orderedPair(x, y)]
	if len(idx) == 0 {
		return nil
	}
	out := make([]Interaction, len(idx))
	for i, k := range idx {
		out[i] = b.rules[k]
	}
	return out
}

// Classes implements KnowledgeBase. The slice is shared: callers must not
// modify it.
func (b *Base) Classes(rxcui string, use ClassUse) []Class {
	return b.member[memberKey{use, rxcui}]
}

// DoseLimits implements KnowledgeBase.
func (b *Base) DoseLimits(rxcui string) []DoseLimit { return b.doses[rxcui] }

// Source implements KnowledgeBase.
func (b *Base) Source(id string) (Source, bool) {
	s, ok := b.sources[id]
	return s, ok
}

// Stats counts what the base holds.
type Stats struct {
	Sources, Ingredients, Products, Classes, Interactions, Pairs, DoseLimits int
}

// Stats reports the size of the base.
func (b *Base) Stats() Stats {
	s := Stats{Sources: len(b.sources), Classes: len(b.classes), Interactions: len(b.rules), Pairs: len(b.pairs)}
	for _, d := range b.drugs {
		if d.RxCUI == d.Ingredients[0].RxCUI && len(d.Ingredients) == 1 {
			s.Ingredients++
		} else {
			s.Products++
		}
	}
	for _, l := range b.doses {
		s.DoseLimits += len(l)
	}
	return s
}

// Rules returns the interaction rules of the base in load order.
func (b *Base) Rules() []Interaction { return slices.Clone(b.rules) }

//go:embed kb/*.json
var shippedFiles embed.FS

var shipped = sync.OnceValues(func() (*Base, error) {
	sub, err := fs.Sub(shippedFiles, "kb")
	if err != nil {
		return nil, err
	}
	return LoadBase(sub)
})

// Shipped returns ehrkit's starter knowledge base, embedded in the binary. It is
// built from public sources (the ONC high-priority and non-interruptive
// interaction lists, the FDA table of CYP inhibitors, inducers and substrates,
// FDA Established Pharmacologic Classes, FDA labels and RxNorm); every rule
// names its source. It panics if the embedded files are corrupt, which the
// package tests rule out.
func Shipped() *Base {
	b, err := shipped()
	if err != nil {
		panic(fmt.Sprintf("rx: shipped knowledge base: %v", err))
	}
	return b
}

// merged combines bases; see Merge.
type merged struct {
	parts      []KnowledgeBase
	suppressed map[string]bool
}

// Merge combines several knowledge bases into one. Drugs and names resolve in
// the first base that knows them; interactions, classes and dose limits are the
// union of every base, except those whose ID is in suppressed: a site turns a
// rule off centrally, whichever base it comes from.
func Merge(parts []KnowledgeBase, suppressed ...string) KnowledgeBase {
	m := &merged{parts: slices.Clone(parts), suppressed: map[string]bool{}}
	for _, id := range suppressed {
		m.suppressed[id] = true
	}
	return m
}

// Drug returns the drug from the first base that knows the code.
func (m *merged) Drug(rxcui string) (Drug, bool) {
	for _, p := range m.parts {
		if d, ok := p.Drug(rxcui); ok {
			return d, true
		}
	}
	return Drug{}, false
}

// DrugNamed returns the drug from the first base that knows the name, unless
// it is a suppressed allergy class.
func (m *merged) DrugNamed(name string) (Drug, bool) {
	for _, p := range m.parts {
		if d, ok := p.DrugNamed(name); ok && !m.suppressed[d.Class] {
			return d, true
		}
	}
	return Drug{}, false
}

// union gathers the items of every part that are not suppressed.
func union[T any](m *merged, get func(KnowledgeBase) []T, id func(T) string) []T {
	var out []T
	for _, p := range m.parts {
		for _, x := range get(p) {
			if !m.suppressed[id(x)] {
				out = append(out, x)
			}
		}
	}
	return out
}

// Interactions returns the rules of every base that are not suppressed.
func (m *merged) Interactions(a, b string) []Interaction {
	return union(m, func(p KnowledgeBase) []Interaction { return p.Interactions(a, b) }, func(r Interaction) string { return r.ID })
}

// Classes returns the classes of every base that are not suppressed.
func (m *merged) Classes(rxcui string, use ClassUse) []Class {
	return union(m, func(p KnowledgeBase) []Class { return p.Classes(rxcui, use) }, func(c Class) string { return c.ID })
}

// DoseLimits returns the limits of every base that are not suppressed.
func (m *merged) DoseLimits(rxcui string) []DoseLimit {
	return union(m, func(p KnowledgeBase) []DoseLimit { return p.DoseLimits(rxcui) }, func(l DoseLimit) string { return l.ID })
}

// Source returns the citation from the first base that has it.
func (m *merged) Source(id string) (Source, bool) {
	for _, p := range m.parts {
		if s, ok := p.Source(id); ok {
			return s, true
		}
	}
	return Source{}, false
}

// Class returns the class with the ID.
func (b *Base) Class(id string) (Class, bool) {
	c, ok := b.classes[id]
	return c, ok
}
