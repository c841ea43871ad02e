package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/rx/internal/drugname"
)

// vaSource is the corpus source ID of the VA NDF-RT interactions.
const vaSource = "VA-NDFRT-2014"

// saltWords are the trailing words of a VA participant name that name a salt
// or ester of an ingredient ("sildenafil citrate"). A salted name whose base is
// an ingredient of the base is folded into that ingredient, so that an order
// coded with the ingredient's RxCUI meets the rule.
var saltWords = map[string]bool{
	"hydrochloride": true, "hcl": true, "dihydrochloride": true, "sodium": true, "na": true, "citrate": true,
	"bisulfate": true, "mesylate": true, "calcium": true, "oxalate": true, "maleate": true, "fumarate": true,
	"succinate": true, "tartrate": true, "besylate": true, "bromide": true, "so4": true, "sulfate": true,
	"xinafoate": true, "tromethamine": true, "epolamine": true, "acetate": true, "proxetil": true, "mucate": true,
}

// cations are bases that are not folded: "potassium chloride" stays its own
// ingredient, not "potassium".
var cations = map[string]bool{"potassium": true, "magnesium": true, "sodium": true, "calcium": true, "aluminum": true, "bismuth": true}

// vaGroups are VA participants that stand for a group of ingredients: a rule
// naming one applies to every member. Members are ingredients of the base.
var vaGroups = map[string]struct {
	id, name string
	members  []string
}{
	"digitalis": {"VA_DIGITALIS", "Digitalis glycosides (VA NDF-RT participant \"digitalis\")", []string{"digitalis", "digoxin"}},
	"ergot":     {"VA_ERGOT", "Ergot alkaloids (VA NDF-RT participant \"ergot\")", []string{"ergot", "ergotamine", "dihydroergotamine", "methylergonovine", "ergonovine"}},
}

// vaStats counts what the VA import did, for the documentation.
type vaStats struct {
	Rows, Rules, Merged, Skipped, NewIngredients, Folded int
}

// vaParticipant is one side of a VA row.
type vaParticipant struct{ name, rxcui string }

func vaParticipants(r map[string]string) (vaParticipant, vaParticipant) {
	a := vaParticipant{r["drug_a_name"], r["drug_a_rxcui"]}
	b := vaParticipant{r["drug_b_name"], r["drug_b_rxcui"]}
	// A participant without a mapping has no name either; the label
	// ("x/y") still names it.
	if a.name == "" {
		a.name = strings.TrimSuffix(r["label"], "/"+b.name)
	}
	if b.name == "" {
		b.name = strings.TrimPrefix(r["label"], a.name+"/")
	}
	return a, b
}

// fold returns the ingredient a salted name stands for, if any.
func (b *builder) fold(name string) (string, bool) {
	w := strings.Fields(name)
	if len(w) < 2 || !saltWords[w[len(w)-1]] || cations[w[0]] {
		return "", false
	}
	base := strings.Join(w[:len(w)-1], " ")
	c, ok := b.byName[drugname.Normalize(base)]
	return c, ok
}

// vaIngredients adds the VA participants to the ingredient table: known codes
// are kept, salts of known ingredients fold into them, the rest become new
// ingredients with the corpus's RxCUI. It returns the code each participant
// code stands for.
func (b *builder) vaIngredients(rows table, st *vaStats) map[string]string {
	var ps []vaParticipant
	seen := map[string]bool{}
	for _, r := range rows {
		x, y := vaParticipants(r)
		for _, p := range []vaParticipant{x, y} {
			if p.rxcui != "" && !seen[p.rxcui] {
				seen[p.rxcui] = true
				ps = append(ps, p)
			}
		}
	}
	// Plain names first, so that salts find their base.
	slices.SortStableFunc(ps, func(p, q vaParticipant) int {
		return strings.Count(p.name, " ") - strings.Count(q.name, " ")
	})
	code := map[string]string{}
	for _, p := range ps {
		if _, ok := b.ingr[p.rxcui]; ok {
			code[p.rxcui] = p.rxcui
			continue
		}
		if c, ok := b.fold(p.name); ok {
			code[p.rxcui] = c
			st.Folded++
			continue
		}
		if c, ok := b.byName[drugname.Normalize(p.name)]; ok {
			code[p.rxcui] = c
			continue
		}
		var syn []string
		if w := strings.Fields(p.name); len(w) > 1 && saltWords[w[len(w)-1]] && !cations[w[0]] {
			syn = append(syn, strings.Join(w[:len(w)-1], " "))
		}
		b.addIngredient(p.name, p.rxcui, syn...)
		code[p.rxcui] = p.rxcui
		st.NewIngredients++
	}
	return code
}

// vaDocument turns the VA NDF-RT interactions into ingredient-pair rules.
// Severity: VA "critical" becomes major and interruptive, "significant"
// becomes moderate and passive. Rows naming the same pair after salts are
// folded merge into one rule (highest severity, every VA concept listed).
func (b *builder) vaDocument(dir string) (rx.Document, vaStats, error) {
	d := rx.Document{Format: rx.FormatV1}
	var st vaStats
	rows, err := readCSV(dir, "va_ndfrt_interactions.csv")
	if err != nil {
		return d, st, err
	}
	st.Rows = len(rows)
	code := b.vaIngredients(rows, &st)
	groups := map[string]bool{}
	party := func(p vaParticipant) (rx.Party, bool) {
		if g, ok := vaGroups[p.name]; ok {
			groups[p.name] = true
			return rx.Party{Class: g.id}, true
		}
		if c, ok := code[p.rxcui]; ok {
			return rx.Party{RxCUI: c}, true
		}
		if c, ok := b.byName[drugname.Normalize(p.name)]; ok {
			return rx.Party{RxCUI: c}, true
		}
		if c, ok := b.uniqueStartingWith(p.name); ok {
			return rx.Party{RxCUI: c}, true
		}
		return rx.Party{}, false
	}
	texts := b.resolveTexts()
	type key struct{ a, b rx.Party }
	index := map[key]int{}
	for _, r := range rows {
		x, y := vaParticipants(r)
		pa, okA := party(x)
		pb, okB := party(y)
		if !okA || !okB || pa == pb {
			st.Skipped++
			continue
		}
		if pb.Class+pb.RxCUI < pa.Class+pa.RxCUI {
			pa, pb = pb, pa
		}
		sev, intr := rx.Moderate, false
		switch r["severity"] {
		case "critical":
			sev, intr = rx.Major, true
		case "significant":
		default:
			return d, st, fmt.Errorf("%s: unknown VA severity %q", r["interaction_nui"], r["severity"])
		}
		k := key{pa, pb}
		if i, ok := index[k]; ok {
			st.Merged++
			rule := &d.Interactions[i]
			if sev == rx.Major {
				rule.Severity, rule.Interruptive = sev, intr
			}
			continue
		}
		t := texts.find(b, pa, pb)
		summary := t.summary
		if summary == "" {
			summary = fmt.Sprintf("An interaction the US Veterans Affairs drug file grades %s", r["severity"])
		}
		index[k] = len(d.Interactions)
		d.Interactions = append(d.Interactions, rx.Interaction{
			ID: "VA-" + r["interaction_nui"], A: pa, B: pb, Severity: sev, Interruptive: intr,
			Summary: summary, Mechanism: t.mechanism, Management: t.management,
			Sources: b.cite(splitIDs(r["source_ids"])...),
		})
	}
	st.Rules = len(d.Interactions)
	for name := range groups {
		g := vaGroups[name]
		d.Classes = append(d.Classes, rx.Class{
			ID: g.id, Name: g.name, Use: rx.UseInteraction, Members: b.codes(g.members), Sources: b.cite(vaSource),
			Note: "The VA file names the group; ehrkit lists its members so the rules reach orders of each.",
		})
	}
	slices.SortFunc(d.Classes, func(x, y rx.Class) int { return strings.Compare(x.ID, y.ID) })
	return d, st, nil
}

// partyCodes returns the ingredients of a party.
func (b *builder) partyCodes(p rx.Party) []string {
	if p.RxCUI != "" {
		return []string{p.RxCUI}
	}
	for _, g := range vaGroups {
		if g.id == p.Class {
			return b.known(g.members)
		}
	}
	return nil
}

// uniqueStartingWith finds the one ingredient whose name is the given name
// followed by a salt or ester ("dabigatran" is "dabigatran etexilate"), for
// VA participants the 2014 mapping left without a code.
func (b *builder) uniqueStartingWith(name string) (string, bool) {
	prefix := drugname.Normalize(name) + " "
	found := ""
	for n, c := range b.byName {
		if strings.HasPrefix(n, prefix) && len(strings.Fields(n)) == len(strings.Fields(prefix))+1 {
			if found != "" && found != c {
				return "", false
			}
			found = c
		}
	}
	return found, found != ""
}
