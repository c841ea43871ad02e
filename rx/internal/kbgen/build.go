package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/rx/internal/drugname"
	"github.com/shopspring/decimal"
)

// table is a CSV file read into rows keyed by column name.
type table []map[string]string

func readCSV(dir, name string) (table, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty", name)
	}
	out := make(table, 0, len(rows)-1)
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = strings.TrimSpace(r[i])
		}
		out = append(out, m)
	}
	return out, nil
}

func splitIDs(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// builder accumulates the documents and the ingredient index used to resolve
// names in the curated tables.
type builder struct {
	byName   map[string]string // normalised ingredient name -> RxCUI
	ingr     map[string]*rx.Ingredient
	order    []string
	used     map[string]bool // source IDs referenced
	problems []string
	vaStats  vaStats
}

func (b *builder) addIngredient(name, rxcui string, synonyms ...string) {
	if rxcui == "" || name == "" {
		return
	}
	n := strings.ToLower(name)
	if in, ok := b.ingr[rxcui]; ok {
		if n != in.Name && !slices.Contains(in.Synonyms, n) {
			in.Synonyms = append(in.Synonyms, n)
		}
	} else {
		b.ingr[rxcui] = &rx.Ingredient{RxCUI: rxcui, Name: n}
		b.order = append(b.order, rxcui)
	}
	for _, s := range synonyms {
		if !slices.Contains(b.ingr[rxcui].Synonyms, s) {
			b.ingr[rxcui].Synonyms = append(b.ingr[rxcui].Synonyms, s)
		}
	}
	for _, s := range append([]string{n}, synonyms...) {
		if _, ok := b.byName[drugname.Normalize(s)]; !ok {
			b.byName[drugname.Normalize(s)] = rxcui
		}
	}
}

// code resolves an ingredient name, recording a problem when it is unknown.
func (b *builder) code(name string) string {
	if c, ok := b.byName[drugname.Normalize(name)]; ok {
		return c
	}
	b.problems = append(b.problems, "unknown ingredient "+name)
	return ""
}

func (b *builder) codes(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if c := b.code(n); c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func (b *builder) cite(ids ...string) []string {
	for _, id := range ids {
		b.used[id] = true
	}
	return ids
}

func build(dir string) (map[string]rx.Document, error) {
	_, docs, err := generate(dir)
	return docs, err
}

// generate builds the documents and returns the builder with its counts.
func generate(dir string) (*builder, map[string]rx.Document, error) {
	b := &builder{byName: map[string]string{}, ingr: map[string]*rx.Ingredient{}, used: map[string]bool{}}
	ingredients, err := readCSV(dir, "ingredients.csv")
	if err != nil {
		return nil, nil, err
	}
	for _, r := range ingredients {
		b.addIngredient(r["ingredient"], r["rxnorm_in_rxcui"])
	}
	members, err := readCSV(dir, "class_members.csv")
	if err != nil {
		return nil, nil, err
	}
	for _, r := range members {
		b.addIngredient(r["ingredient"], r["rxnorm_in_rxcui"])
	}
	for _, e := range extraIngredients {
		b.addIngredient(e.name, e.rxcui, e.synonyms...)
	}

	va, vaSt, err := b.vaDocument(dir)
	if err != nil {
		return nil, nil, err
	}
	b.vaStats = vaSt
	onc, err := b.oncDocument(dir, members)
	if err != nil {
		return nil, nil, err
	}
	cyp, err := b.cypDocument(dir)
	if err != nil {
		return nil, nil, err
	}
	labels := b.labelDocument()
	classes := b.classDocument()
	products := b.productDocument()
	doses := b.doseDocument()
	sources, err := b.sourceDocument(dir)
	if err != nil {
		return nil, nil, err
	}
	if len(b.problems) > 0 {
		return nil, nil, fmt.Errorf("%s", strings.Join(b.problems, "; "))
	}
	ing := rx.Document{Format: rx.FormatV1}
	for _, c := range b.order {
		ing.Ingredients = append(ing.Ingredients, *b.ingr[c])
	}
	docs := map[string]rx.Document{
		"sources.json": sources, "ingredients.json": ing, "onc.json": onc, "cyp.json": cyp,
		"classes.json": classes, "products.json": products, "doses.json": doses,
		"va.json": va, "labels.json": labels,
	}
	// The generated base must load: check it the way the package does.
	all := make([]rx.Document, 0, len(docs))
	for _, d := range docs {
		all = append(all, d)
	}
	if _, err := rx.NewBase(all...); err != nil {
		return nil, nil, fmt.Errorf("generated base does not load: %w", err)
	}
	return b, docs, nil
}

// oncDocument turns the ONC high-priority and non-interruptive lists into
// interaction classes and rules, with the texts of this package.
func (b *builder) oncDocument(dir string, members table) (rx.Document, error) {
	d := rx.Document{Format: rx.FormatV1}
	classes, err := readCSV(dir, "classes.csv")
	if err != nil {
		return d, err
	}
	byClass := map[string][]string{}
	for _, m := range members {
		if c := m["rxnorm_in_rxcui"]; c != "" && !slices.Contains(byClass[m["class_id"]], c) {
			byClass[m["class_id"]] = append(byClass[m["class_id"]], c)
		}
	}
	for cls, names := range classAdditions {
		byClass[cls] = append(byClass[cls], b.codes(names)...)
	}
	for _, c := range classes {
		id := c["class_id"]
		d.Classes = append(d.Classes, rx.Class{
			ID: id, Name: c["class_name"], Use: rx.UseInteraction, Members: nonNil(byClass[id]),
			Sources: b.cite(splitIDs(c["source_ids"])...), Note: classNotes[id],
		})
	}
	hp, err := readCSV(dir, "onc_high_priority_rules.csv")
	if err != nil {
		return d, err
	}
	for _, r := range hp {
		t, ok := highPriorityTexts[r["rule_id"]]
		if !ok {
			return d, fmt.Errorf("no text written for %s", r["rule_id"])
		}
		d.Interactions = append(d.Interactions, rx.Interaction{
			ID: r["rule_id"], A: rx.Party{Class: r["object_class_id"]}, B: rx.Party{Class: r["precipitant_class_id"]},
			Severity: rx.Severity(r["severity"]), Interruptive: r["interruptive"] == "yes",
			Summary: t.summary, Mechanism: t.mechanism, Management: t.management,
			Sources: b.cite(splitIDs(r["source_ids"])...),
		})
	}
	ni, err := readCSV(dir, "onc_non_interruptive_rules.csv")
	if err != nil {
		return d, err
	}
	for _, r := range ni {
		if r["interruptive"] != "no" {
			return d, fmt.Errorf("%s: expected a non-interruptive rule", r["rule_id"])
		}
		d.Interactions = append(d.Interactions, rx.Interaction{
			ID: r["rule_id"], A: rx.Party{Class: r["class_a_id"]}, B: rx.Party{Class: r["class_b_id"]},
			Severity: rx.Minor, Interruptive: false, Passive: true,
			Summary: fmt.Sprintf("a known, usually manageable interaction between %s and %s, shown without interrupting the prescriber",
				r["class_a_name"], r["class_b_name"]),
			Mechanism:  "Class-level interaction that an expert panel judged safe to display passively",
			Management: "No change is usually needed; the combination stays visible for pharmacist review and monitoring.",
			Sources:    b.cite(splitIDs(r["source_ids"])...),
		})
	}
	return d, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// cypDocument derives mechanism-based rules from the FDA table: for each
// enzyme, inhibitors and inducers against its sensitive substrates.
func (b *builder) cypDocument(dir string) (rx.Document, error) {
	d := rx.Document{Format: rx.FormatV1}
	rows, err := readCSV(dir, "fda_cyp_strong_moderate_sensitive.csv")
	if err != nil {
		return d, err
	}
	members := map[string][]string{}
	var enzymes []string
	for _, r := range rows {
		enz, role, strength := r["enzyme_or_transporter"], r["role"], r["strength"]
		if !slices.Contains(enzymes, enz) {
			enzymes = append(enzymes, enz)
		}
		id := cypClassID(enz, role, strength)
		for _, c := range splitIDs(r["rxcui(s)"]) {
			if _, ok := b.ingr[c]; !ok {
				continue // a code of a combination or salt the base does not hold as an ingredient
			}
			if !slices.Contains(members[id], c) {
				members[id] = append(members[id], c)
			}
		}
	}
	src := b.cite("FDA-HCP-CYP-T1")
	for _, enz := range enzymes {
		for _, role := range []string{"inhibitor", "inducer", "substrate"} {
			for _, strength := range []string{"strong", "moderate", "sensitive", "moderately_sensitive"} {
				id := cypClassID(enz, role, strength)
				if len(members[id]) == 0 {
					continue
				}
				d.Classes = append(d.Classes, rx.Class{
					ID: id, Name: fmt.Sprintf("%s %s %ss (FDA table)", strings.ReplaceAll(strength, "_", " "), enz, role),
					Use: rx.UseInteraction, Members: members[id], Sources: src,
				})
			}
		}
		sub := cypClassID(enz, "substrate", "sensitive")
		if len(members[sub]) == 0 {
			continue
		}
		for _, p := range []struct {
			role, strength string
			sev            rx.Severity
			effect         string
		}{
			{"inhibitor", "strong", rx.Major, "raise"},
			{"inhibitor", "moderate", rx.Moderate, "raise"},
			{"inducer", "strong", rx.Major, "lower"},
			{"inducer", "moderate", rx.Moderate, "lower"},
		} {
			prec := cypClassID(enz, p.role, p.strength)
			if len(members[prec]) == 0 {
				continue
			}
			change := "higher exposure and dose-related toxicity"
			advice := "Prefer an alternative that the enzyme does not clear, or lower the substrate's dose and monitor, as its label directs."
			if p.effect == "lower" {
				change = "lower exposure and loss of effect"
				advice = "Prefer an alternative, or raise the substrate's dose and monitor its effect, as its label directs."
			}
			d.Interactions = append(d.Interactions, rx.Interaction{
				ID: "FDA-CYP-" + enz + "-" + p.strength + "-" + p.role, A: rx.Party{Class: sub}, B: rx.Party{Class: prec},
				Severity: p.sev, Interruptive: false, Derived: true,
				Summary: fmt.Sprintf("Derived from enzyme roles: a %s %s %s may %s the levels of a sensitive %s substrate (%s)",
					p.strength, enz, p.role, p.effect, enz, change),
				Mechanism:  fmt.Sprintf("Pharmacokinetic, derived: %s %s of %s (FDA table of substrates, inhibitors and inducers); not a curated interaction", p.strength, map[string]string{"inhibitor": "inhibition", "inducer": "induction"}[p.role], enz),
				Management: advice,
				Sources:    src,
			})
		}
	}
	return d, nil
}

func cypClassID(enz, role, strength string) string {
	return "FDA_" + enz + "_" + strings.ToUpper(role) + "_" + strings.ToUpper(strength)
}

func (b *builder) classDocument() rx.Document {
	d := rx.Document{Format: rx.FormatV1}
	for _, c := range curatedClasses {
		d.Classes = append(d.Classes, rx.Class{
			ID: c.id, Name: c.name, Use: c.use, Members: b.codes(c.members), Synonyms: c.synonyms, Sources: b.cite(c.sources...), Note: c.note,
		})
	}
	return d
}

func (b *builder) productDocument() rx.Document {
	d := rx.Document{Format: rx.FormatV1}
	for _, p := range curatedProducts {
		var comps []rx.Component
		for _, c := range drugname.Split(p.name) {
			code := ""
			for _, cand := range drugname.Candidates(c.Name) {
				if x, ok := b.byName[cand]; ok {
					code = x
					break
				}
			}
			if code == "" {
				b.problems = append(b.problems, "product "+p.rxcui+": no ingredient for "+c.Name)
				continue
			}
			comp := rx.Component{RxCUI: code}
			if c.Value != "" {
				comp.Strength = &rx.Amount{Value: decimal.RequireFromString(c.Value), Unit: c.Unit}
			}
			comps = append(comps, comp)
		}
		d.Products = append(d.Products, rx.Product{RxCUI: p.rxcui, Name: p.name, Ingredients: comps, Sources: b.cite(p.sources...)})
	}
	return d
}

func (b *builder) doseDocument() rx.Document {
	d := rx.Document{Format: rx.FormatV1}
	for _, l := range curatedDoses {
		code := b.code(l.ingredient)
		lim := rx.DoseLimit{
			ID: "ADULT-" + strings.ToUpper(strings.ReplaceAll(l.ingredient, " ", "-")), RxCUI: code, Route: l.route,
			MinAgeYears: 18, Sources: b.cite(l.source), Note: l.note,
		}
		if l.single != "" {
			lim.MaxSingle = &rx.Amount{Value: decimal.RequireFromString(l.single), Unit: "mg"}
		}
		if l.daily != "" {
			lim.MaxDaily = &rx.Amount{Value: decimal.RequireFromString(l.daily), Unit: "mg"}
		}
		d.DoseLimits = append(d.DoseLimits, lim)
	}
	mg := func(s string) *rx.Amount {
		if s == "" {
			return nil
		}
		return &rx.Amount{Value: decimal.RequireFromString(s), Unit: "mg"}
	}
	for _, x := range extraDoses {
		lim := rx.DoseLimit{
			ID: x.id, RxCUI: b.code(x.ingredient), Route: x.route, MinAgeYears: x.minAge, MaxAgeYears: x.maxAge, MinAgeDays: x.minDays, MaxAgeDays: x.maxDays,
			MaxSingle: mg(x.single), MaxDaily: mg(x.daily), MaxSinglePerKg: mg(x.singlePerKg), MaxDailyPerKg: mg(x.dailyPerKg),
			Sources: b.cite(x.source), Note: x.note,
		}
		if x.freqCount > 0 {
			lim.MaxFrequency = &rx.Frequency{Count: x.freqCount, PeriodDays: x.freqPeriodDays}
		}
		d.DoseLimits = append(d.DoseLimits, lim)
	}
	return d
}

// sourceDocument writes the citations of every source used: the corpus's
// bibliographic entries and the project's own.
func (b *builder) sourceDocument(dir string) (rx.Document, error) {
	d := rx.Document{Format: rx.FormatV1}
	rows, err := readCSV(dir, "sources.csv")
	if err != nil {
		return d, err
	}
	known := map[string]rx.Source{}
	for _, r := range rows {
		url := ""
		if f := strings.Fields(r["locator"]); len(f) > 0 && strings.HasPrefix(f[0], "http") {
			url = f[0]
		}
		known[r["source_id"]] = rx.Source{ID: r["source_id"], Citation: r["citation"], URL: url, Licence: r["licence_or_terms"]}
	}
	for _, s := range slices.Concat(ownSources, labelSources, doseSources) {
		known[s.ID] = s
	}
	for id := range b.used {
		s, ok := known[id]
		if !ok {
			return d, fmt.Errorf("no citation for source %s", id)
		}
		d.Sources = append(d.Sources, s)
	}
	slices.SortFunc(d.Sources, func(x, y rx.Source) int { return strings.Compare(x.ID, y.ID) })
	return d, nil
}
