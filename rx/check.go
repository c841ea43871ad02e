package rx

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx/internal/drugname"
	"github.com/shopspring/decimal"
)

// Patient is the patient context of a check.
type Patient struct {
	// BirthDate gives the age that selects dose limits; zero when unknown, in
	// which case adult limits apply.
	BirthDate ehrkit.Date `json:"birthDate"`
	// WeightKg is the body weight for weight-based limits; zero when unknown.
	WeightKg decimal.Decimal `json:"weightKg"`
	// Allergies are the recorded allergens: ingredients, products or allergy
	// classes (by RxNorm code or, failing that, by name).
	Allergies []ehrkit.Coding `json:"allergies"`
}

// Proposed is a medication order to check.
type Proposed struct {
	Medication ehrkit.Coding `json:"medication"`
	// Dose is the amount per administration: a mass ("500 mg") or a count of
	// the product's dose form ("2 {tablet}"). Zero when not given.
	Dose ehrkit.Quantity `json:"dose"`
	// FrequencyPerDay is how many administrations a day; zero counts as one.
	FrequencyPerDay decimal.Decimal `json:"frequencyPerDay"`
	// Route ("oral" ...) selects route-specific dose limits; empty matches any.
	Route string `json:"route,omitempty"`
}

// Input is everything Check looks at.
type Input struct {
	Patient Patient         `json:"patient"`
	Active  []ehrkit.Coding `json:"active"`
	Orders  []Proposed      `json:"orders"`
	// ActiveOrders are active medications with their dose, route and
	// frequency. They are checked as Active is, and their doses count towards
	// each ingredient's cumulative daily dose across orders and products.
	ActiveOrders []Proposed `json:"activeOrders,omitempty"`
	// On is the date of the check, used with Patient.BirthDate for the age.
	On ehrkit.Date `json:"date"`
}

// AlertKind says what an alert is about.
type AlertKind string

// Alert kinds.
const (
	DrugDrug         AlertKind = "drug-drug"
	DrugAllergy      AlertKind = "drug-allergy"
	DuplicateTherapy AlertKind = "duplicate-therapy"
	DoseRange        AlertKind = "dose-range"
	// DoseUnchecked says that an ingredient of the order has a dose limit
	// for this patient but the dose could not be checked against it: its unit
	// is neither a mass (mg, g, ug, mcg) nor a count of tablets or capsules
	// ("mL", "lbs", a typo). It is interruptive: the prescriber confirms the
	// dose.
	DoseUnchecked AlertKind = "dose-unchecked"
)

// Alert is one finding about a proposed order.
type Alert struct {
	Kind     AlertKind `json:"kind"`
	Severity Severity  `json:"severity"`
	// Interruptive says whether the prescriber must be stopped and asked to
	// acknowledge or override; non-interruptive alerts are shown passively.
	Interruptive bool `json:"interruptive"`
	// Codes are the RxCUIs involved: the matching ingredients first, then the
	// products they came from.
	Codes      []string `json:"codes"`
	Message    string   `json:"message"`
	Mechanism  string   `json:"mechanism"`
	Management string   `json:"management"`
	// Source cites the knowledge behind the alert.
	Source string `json:"source"`
	// Rule is the ID of the knowledge-base rule, class or limit that fired.
	Rule string `json:"rule"`
	// Rules lists every rule behind a drug-drug alert, Rule first, when
	// several sources name the pair; empty for an alert of one rule.
	Rules []string `json:"rules,omitempty"`
	// Derived marks an alert inferred from pharmacological roles.
	Derived bool `json:"derived,omitempty"`
	// Order is the index in Input.Orders of the order the alert is about.
	Order int `json:"order"`
}

// Result is the outcome of Check.
type Result struct {
	Alerts []Alert `json:"alerts"`
	// Unresolved lists every coding (order, active medication or allergy) that
	// matched no drug by code or by name: it was not checked, and says so.
	Unresolved []ehrkit.Coding `json:"unresolved"`
}

// Interrupting returns the alerts that must interrupt the prescriber.
func (r Result) Interrupting() []Alert {
	var out []Alert
	for _, a := range r.Alerts {
		if a.Interruptive {
			out = append(out, a)
		}
	}
	return out
}

// Check runs every check of the proposed orders against the patient's active
// medications, allergies and each other: drug-drug interactions, drug-allergy
// (the allergen's ingredients and their allergy classes), duplicate therapy
// (same ingredient or same therapeutic class) and dose range. Products are
// expanded to their ingredients first; codes the base does not know are
// resolved by display name and otherwise reported in Result.Unresolved. Check
// is a pure function: it reads nothing but its arguments.
func Check(kb KnowledgeBase, in Input) Result {
	c := checker{kb: kb, in: in, seen: map[string]bool{}, memo: map[memoKey][]Alert{}}
	orders := make([]resolved, len(in.Orders))
	for i, o := range in.Orders {
		orders[i] = c.resolve(o.Medication, false)
	}
	active := c.resolveAll(in.Active, false)
	activeOrders := make([]resolved, len(in.ActiveOrders))
	for k, p := range in.ActiveOrders {
		if activeOrders[k] = c.resolve(p.Medication, false); activeOrders[k].ok {
			active = append(active, activeOrders[k])
		}
	}
	active = distinct(active)
	allergies := distinct(c.resolveAll(in.Patient.Allergies, true))
	// An order is checked against every later order. Orders naming the same
	// drug give the same findings, so each order meets each distinct later
	// drug once: left counts the orders of each drug still ahead.
	later := distinct(orders)
	left := map[string]int{}
	for _, o := range orders {
		left[o.key]++
	}
	for i, o := range orders {
		left[o.key]--
		if !o.ok {
			continue
		}
		for _, a := range active {
			c.against(i, o, a, false)
		}
		for _, other := range later {
			if other.ok && left[other.key] > 0 {
				c.against(i, o, other, false)
			}
		}
		for _, al := range allergies {
			c.against(i, o, al, true)
		}
		c.dose(i, o, in.Orders[i])
		c.pattern(i, o, in.Orders[i])
	}
	c.cumulative(orders, activeOrders)
	slices.SortStableFunc(c.alerts, func(x, y Alert) int {
		return cmp.Or(cmp.Compare(x.Order, y.Order), cmp.Compare(x.Severity.rank(), y.Severity.rank()),
			strings.Compare(string(x.Kind), string(y.Kind)), strings.Compare(x.Rule, y.Rule),
			slices.Compare(x.Codes, y.Codes))
	})
	if c.alerts == nil {
		c.alerts = []Alert{}
	}
	if c.unresolved == nil {
		c.unresolved = []ehrkit.Coding{}
	}
	return Result{Alerts: c.alerts, Unresolved: c.unresolved}
}

type checker struct {
	kb         KnowledgeBase
	in         Input
	alerts     []Alert
	seen       map[string]bool // identities of the alerts kept (see add)
	unresolved []ehrkit.Coding
	cites      map[string]string // rendered citations by source-ID list
	// memo holds the findings of each pair of drugs met, with Order zero;
	// buf collects the findings of the pair being checked.
	memo map[memoKey][]Alert
	buf  []Alert
}

// memoKey names a pair of drugs checked against each other, the second one
// as an allergen or as a medication.
type memoKey struct {
	order, other string
	allergen     bool
}

// add keeps an alert unless one of the same order, kind, rule and codes is
// kept already: the first one stands for all.
func (c *checker) add(a Alert) {
	id := fmt.Sprint(a.Order, "\x00", a.Kind, "\x00", a.Rule, "\x00", strings.Join(a.Codes, "\x00"))
	if c.seen[id] {
		return
	}
	c.seen[id] = true
	c.alerts = append(c.alerts, a)
}

// against checks order i, which is the drug o, against another drug: a
// medication (interactions and duplicates) or, when allergen is set, a
// recorded allergen. The findings of a pair of drugs are worked out once per
// check and given to every order of the drug.
func (c *checker) against(i int, o, other resolved, allergen bool) {
	k := memoKey{o.key, other.key, allergen}
	found, ok := c.memo[k]
	if !ok {
		c.buf = nil
		if allergen {
			c.allergy(o, other)
		} else {
			c.pair(o, other)
		}
		found = c.buf
		c.memo[k] = found
	}
	for _, a := range found {
		a.Order = i
		a.Codes, a.Rules = slices.Clone(a.Codes), slices.Clone(a.Rules)
		c.add(a)
	}
}

// resolved is a coding with the drug it names.
type resolved struct {
	Drug
	ok bool
	// key is the same for codings that resolved to the same drug.
	key string
}

// drugKey is what the pair and allergy checks read of a drug: its code,
// name, class and ingredients (strengths matter to dose checks only).
func drugKey(d Drug) string {
	parts := []string{d.RxCUI, d.Name, d.Class}
	for _, in := range d.Ingredients {
		parts = append(parts, in.RxCUI)
	}
	return strings.Join(parts, "\x00")
}

// distinct returns the resolved drugs with their first occurrences only.
func distinct(rs []resolved) []resolved {
	seen := map[string]bool{}
	var out []resolved
	for _, r := range rs {
		if r.ok && !seen[r.key] {
			seen[r.key] = true
			out = append(out, r)
		}
	}
	return out
}

func (c *checker) resolveAll(codings []ehrkit.Coding, classes bool) []resolved {
	out := make([]resolved, 0, len(codings))
	for _, cd := range codings {
		if r := c.resolve(cd, classes); r.ok {
			out = append(out, r)
		}
	}
	return out
}

// resolve finds the drug of a coding; an allergy class counts only where
// classes is true (allergens), never as a medication.
func (c *checker) resolve(cd ehrkit.Coding, classes bool) resolved {
	if d, ok := Resolve(c.kb, cd); ok && (classes || d.Class == "") {
		return resolved{Drug: d, ok: true, key: drugKey(d)}
	}
	c.unresolved = append(c.unresolved, cd)
	return resolved{}
}

// Resolve finds the drug a coding names: by RxNorm code (system RxNorm or
// empty), else by display name, else by reading the display as a clinical
// drug name ("Ibuprofen 800 MG Oral Tablet", "lopinavir / ritonavir") whose
// every component is a known ingredient.
func Resolve(kb KnowledgeBase, cd ehrkit.Coding) (Drug, bool) {
	if cd.Code != "" && (cd.System == "" || cd.System == ehrkit.SystemRxNorm) {
		if d, ok := kb.Drug(cd.Code); ok {
			return d, true
		}
	}
	if strings.TrimSpace(cd.Display) == "" {
		return Drug{}, false
	}
	if d, ok := kb.DrugNamed(cd.Display); ok {
		return d, true
	}
	parts := drugname.Split(strings.TrimPrefix(strings.TrimPrefix(drugname.Normalize(cd.Display), "allergy to "), "allergic to "))
	if len(parts) == 1 {
		// One component: any drug or allergy class its leading words name
		// ("Penicillin (substance)", "Warfarin Sodium 5 MG Oral Tablet").
		for _, cand := range drugname.Candidates(parts[0].Name) {
			if d, ok := kb.DrugNamed(cand); ok {
				return withStrength(d, parts[0]), true
			}
		}
		return Drug{}, false
	}
	d := Drug{Name: cd.Display}
	for _, p := range parts {
		in, ok := ingredientNamed(kb, p.Name)
		if !ok {
			return Drug{}, false
		}
		d.Ingredients = append(d.Ingredients, withStrength(in, p).Ingredients...)
	}
	return d, true
}

// withStrength gives a single-ingredient drug found by name the strength read
// from the name, when it is a mass.
func withStrength(d Drug, p drugname.Component) Drug {
	v, err := decimal.NewFromString(p.Value)
	if _, mass := mgFactor[p.Unit]; err != nil || !mass || len(d.Ingredients) != 1 || d.Class != "" {
		return d
	}
	return Drug{RxCUI: d.RxCUI, Name: d.Name, Ingredients: []Component{{RxCUI: d.Ingredients[0].RxCUI, Strength: &Amount{Value: v, Unit: p.Unit}}}}
}

// ingredientNamed finds the single ingredient a component name starts with
// ("warfarin sodium" is warfarin).
func ingredientNamed(kb KnowledgeBase, name string) (Drug, bool) {
	for _, cand := range drugname.Candidates(name) {
		if d, ok := kb.DrugNamed(cand); ok && len(d.Ingredients) == 1 && d.Class == "" {
			return d, true
		}
	}
	return Drug{}, false
}

func (c *checker) name(rxcui string) string {
	if d, ok := c.kb.Drug(rxcui); ok {
		return d.Name
	}
	return rxcui
}

// cite renders the citations of source IDs, once per check for each list.
func (c *checker) cite(ids []string) string {
	key := strings.Join(ids, "\x00")
	if s, ok := c.cites[key]; ok {
		return s
	}
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		if s, ok := c.kb.Source(id); ok {
			parts = append(parts, id+": "+s.Citation)
		} else {
			parts = append(parts, id)
		}
	}
	if c.cites == nil {
		c.cites = map[string]string{}
	}
	c.cites[key] = strings.Join(parts, "; ")
	return c.cites[key]
}

// codes lists the ingredients x and y, then the products of a and b.
func codes(x, y string, a, b resolved) []string {
	out := []string{x}
	if y != "" && y != x {
		out = append(out, y)
	}
	for _, d := range []resolved{a, b} {
		if d.RxCUI != "" && !slices.Contains(out, d.RxCUI) {
			out = append(out, d.RxCUI)
		}
	}
	return out
}

// pair checks order o against another drug: interactions and duplicates.
func (c *checker) pair(o, other resolved) {
	for _, x := range o.Ingredients {
		for _, y := range other.Ingredients {
			if x.RxCUI == y.RxCUI {
				c.buf = append(c.buf, Alert{
					Kind: DuplicateTherapy, Severity: Moderate, Interruptive: true,
					Codes:      codes(x.RxCUI, "", o, other),
					Message:    fmt.Sprintf("Duplicate therapy: %s is already ordered or taken", c.name(x.RxCUI)),
					Management: "Confirm that both orders are intended, or stop one of them.",
					Source:     "Same RxNorm ingredient after product expansion", Rule: "SAME-INGREDIENT",
				})
				continue
			}
			c.interactions(x.RxCUI, y.RxCUI, o, other)
			c.sameClass(x.RxCUI, y.RxCUI, o, other)
		}
	}
}

// interactions alerts on the rules between two ingredients. Rules stated by
// several sources for one pair make one alert (see mergeRules); rules derived
// from enzyme roles show only when no source states the pair.
func (c *checker) interactions(x, y string, o, other resolved) {
	rules := c.kb.Interactions(x, y)
	if len(rules) == 0 {
		return
	}
	var stated []Interaction
	for _, r := range rules {
		if !r.Derived {
			stated = append(stated, r)
		}
	}
	if len(stated) > 0 {
		c.buf = append(c.buf, c.ruleAlert(x, y, o, other, mergeRules(stated)))
		return
	}
	for _, r := range rules {
		c.buf = append(c.buf, c.ruleAlert(x, y, o, other, mergedRule{Interaction: r}))
	}
}

// mergedRule is the rule an alert shows: the most severe of the rules naming a
// pair, with the IDs and sources of all of them.
type mergedRule struct {
	Interaction
	ids []string
}

// mergeRules combines the stated rules of one ingredient pair: the most severe
// rule leads (the first loaded among equals) and gives the texts it has, the
// others fill texts it lacks; every source is cited. The alert interrupts when
// the lead rule is contraindicated or major and some rule interrupts; a
// moderate or minor alert interrupts when some rule does and no rule is
// passive (the ONC non-interruptive list, which judges one class-level
// mechanism, downgrades the pairs it names but not a pair another source
// grades major or contraindicated).
func mergeRules(rules []Interaction) mergedRule {
	if len(rules) == 1 {
		return mergedRule{Interaction: rules[0]}
	}
	rules = slices.Clone(rules)
	slices.SortStableFunc(rules, func(a, b Interaction) int { return cmp.Compare(a.Severity.rank(), b.Severity.rank()) })
	m := mergedRule{Interaction: rules[0]}
	m.Sources = nil
	passive, interrupt := false, false
	for _, r := range rules {
		m.ids = append(m.ids, r.ID)
		for _, s := range r.Sources {
			if !slices.Contains(m.Sources, s) {
				m.Sources = append(m.Sources, s)
			}
		}
		m.Mechanism = cmp.Or(m.Mechanism, r.Mechanism)
		m.Management = cmp.Or(m.Management, r.Management)
		passive = passive || r.Passive
		interrupt = interrupt || r.Interruptive
	}
	m.Interruptive = m.Severity == Contraindicated || (interrupt && (m.Severity == Major || !passive))
	return m
}

func (c *checker) ruleAlert(x, y string, o, other resolved, r mergedRule) Alert {
	return Alert{
		Kind: DrugDrug, Severity: r.Severity, Interruptive: r.Interruptive,
		Codes:     codes(x, y, o, other),
		Message:   capitalise(c.name(x)) + " with " + c.name(y) + ": " + r.Summary,
		Mechanism: r.Mechanism, Management: r.Management, Source: c.cite(r.Sources),
		Rule: r.ID, Rules: r.ids, Derived: r.Derived,
	}
}

func (c *checker) sameClass(x, y string, o, other resolved) {
	for _, cl := range c.shared(x, y, UseTherapeutic) {
		c.buf = append(c.buf, Alert{
			Kind: DuplicateTherapy, Severity: Moderate, Interruptive: true,
			Codes:      codes(x, y, o, other),
			Message:    fmt.Sprintf("Duplicate therapy: %s and %s are both %s", c.name(x), c.name(y), strings.ToLower(cl.Name)),
			Management: "Confirm that two drugs of one class are intended, or stop one of them.",
			Source:     c.cite(cl.Sources), Rule: cl.ID,
		})
	}
}

// shared returns the classes of the use that hold both ingredients.
func (c *checker) shared(x, y string, use ClassUse) []Class {
	theirs := c.kb.Classes(y, use)
	if len(theirs) == 0 {
		return nil
	}
	var out []Class
	for _, cl := range c.kb.Classes(x, use) {
		if slices.ContainsFunc(theirs, func(t Class) bool { return t.ID == cl.ID }) {
			out = append(out, cl)
		}
	}
	return out
}

// Texts of class allergy alerts.
const (
	classMechanism  = "Allergic cross-sensitivity within the class"
	classManagement = "Choose a drug outside the class, or confirm the allergy history and override with a reason."
)

// allergy checks order o against one recorded allergen.
func (c *checker) allergy(o, al resolved) {
	for _, x := range o.Ingredients {
		for _, y := range al.Ingredients {
			switch {
			case al.Class != "" && x.RxCUI != y.RxCUI:
				// A class allergen alerts on its members only (the case below).
			case al.Class != "":
				cl := c.classNamed(al.Class, x.RxCUI)
				c.buf = append(c.buf, Alert{
					Kind: DrugAllergy, Severity: Major, Interruptive: true,
					Codes:      codes(x.RxCUI, "", o, resolved{}),
					Message:    fmt.Sprintf("Allergy to %s: %s belongs to the class", strings.ToLower(al.Name), c.name(x.RxCUI)),
					Mechanism:  classMechanism,
					Management: classManagement,
					Source:     c.cite(cl.Sources), Rule: al.Class,
				})
			case x.RxCUI == y.RxCUI:
				c.buf = append(c.buf, Alert{
					Kind: DrugAllergy, Severity: Contraindicated, Interruptive: true,
					Codes:      codes(x.RxCUI, "", o, al),
					Message:    fmt.Sprintf("Recorded allergy to %s, an ingredient of this order", c.name(x.RxCUI)),
					Mechanism:  "Same ingredient as the recorded allergen",
					Management: "Do not give; choose another drug.",
					Source:     "Patient's recorded allergy; ingredient identity from RxNorm", Rule: "ALLERGY-SAME-INGREDIENT",
				})
			default:
				c.crossSensitivity(x.RxCUI, y.RxCUI, o, al)
			}
		}
	}
}

func (c *checker) classNamed(id, member string) Class {
	for _, cl := range c.kb.Classes(member, UseAllergy) {
		if cl.ID == id {
			return cl
		}
	}
	return Class{ID: id}
}

func (c *checker) crossSensitivity(x, y string, o, al resolved) {
	for _, cl := range c.shared(x, y, UseAllergy) {
		c.buf = append(c.buf, Alert{
			Kind: DrugAllergy, Severity: Major, Interruptive: true,
			Codes:      codes(x, y, o, al),
			Message:    fmt.Sprintf("Recorded allergy to %s: %s is in the same class (%s)", c.name(y), c.name(x), strings.ToLower(cl.Name)),
			Mechanism:  classMechanism,
			Management: classManagement,
			Source:     c.cite(cl.Sources), Rule: cl.ID,
		})
	}
}

// doseForms are the units that count dose-form units (tablets, capsules).
var doseForms = map[string]bool{
	"1": true, "{tablet}": true, "{tbl}": true, "tablet": true, "tablets": true, "tab": true,
	"{capsule}": true, "capsule": true, "capsules": true, "cap": true,
}

// perIngredient returns the amount in mg of each ingredient in one dose, for
// the ingredients it can be told for.
func perIngredient(o resolved, dose ehrkit.Quantity) map[string]decimal.Decimal {
	if !dose.Value.IsPositive() {
		return nil
	}
	unit := strings.ToLower(dose.Unit)
	out := map[string]decimal.Decimal{}
	if f, ok := mgFactor[unit]; ok {
		if len(o.Ingredients) == 1 {
			out[o.Ingredients[0].RxCUI] = dose.Value.Mul(f)
		}
		return out
	}
	if !doseForms[unit] {
		return out
	}
	for _, comp := range o.Ingredients {
		if comp.Strength != nil {
			out[comp.RxCUI] = dose.Value.Mul(comp.Strength.Value).Mul(mgFactor[comp.Strength.Unit])
		}
	}
	return out
}

// ageYears is the patient's age at the check, or -1 when unknown.
func (c *checker) ageYears() int {
	p := c.in.Patient
	if p.BirthDate.IsZero() || c.in.On.IsZero() {
		return -1
	}
	return p.BirthDate.AgeAt(c.in.On)
}

// ageDays is the patient's age in days at the check, or -1 unless both the
// birth date and the check date are known to the day.
func (c *checker) ageDays() int {
	b, on := c.in.Patient.BirthDate, c.in.On
	if b.Precision() != ehrkit.PrecisionDay || on.Precision() != ehrkit.PrecisionDay {
		return -1
	}
	return int(on.Start(time.UTC).Sub(b.Start(time.UTC)).Hours() / 24)
}

// applies reports whether a limit is for this patient and route. A patient of
// unknown age is treated as an adult.
// An order without a route meets the limits without a route and the oral
// ones, oral being the usual route of an order that does not say.
func (c *checker) applies(l DoseLimit, route string) bool {
	if r := NormalizeRoute(l.Route); r != "" && r != cmp.Or(NormalizeRoute(route), "oral") {
		return false
	}
	return c.forAge(l)
}

// forAge reports whether a limit is for the patient's age.
func (c *checker) forAge(l DoseLimit) bool {
	if l.MaxAgeDays > 0 {
		days := c.ageDays()
		return days >= l.MinAgeDays && days < l.MaxAgeDays
	}
	age := c.ageYears()
	if age < 0 {
		return l.MinAgeYears >= 18 || (l.MinAgeYears == 0 && l.MaxAgeYears == 0)
	}
	return age >= l.MinAgeYears && (l.MaxAgeYears == 0 || age < l.MaxAgeYears)
}

// cap is the smallest of a fixed and a weight-based maximum, in mg.
func (c *checker) cap(fixed, perKg *Amount) (decimal.Decimal, bool) {
	var limit decimal.Decimal
	ok := false
	if fixed != nil {
		limit, ok = fixed.Value.Mul(mgFactor[fixed.Unit]), true
	}
	if w := c.in.Patient.WeightKg; perKg != nil && w.IsPositive() {
		v := perKg.Value.Mul(mgFactor[perKg.Unit]).Mul(w)
		if !ok || v.LessThan(limit) {
			limit, ok = v, true
		}
	}
	return limit, ok
}

func (c *checker) dose(i int, o resolved, p Proposed) {
	if !p.Dose.Value.IsPositive() {
		return
	}
	amounts := perIngredient(o, p.Dose)
	freq := p.FrequencyPerDay
	if !freq.IsPositive() {
		freq = decimal.NewFromInt(1)
	}
	for _, comp := range o.Ingredients {
		single, ok := amounts[comp.RxCUI]
		if !ok {
			if !convertible(p.Dose.Unit) {
				c.doseUnchecked(i, o, comp.RxCUI, p)
			}
			continue
		}
		daily := single.Mul(freq)
		var worstSingle, worstDaily exceeded
		for _, l := range c.kb.DoseLimits(comp.RxCUI) {
			if !c.applies(l, p.Route) {
				continue
			}
			c.needsWeight(i, o, comp.RxCUI, l)
			if max, ok := c.cap(l.MaxSingle, l.MaxSinglePerKg); ok && single.GreaterThan(max) {
				worstSingle.keep(l, max)
			}
			if max, ok := c.cap(l.MaxDaily, l.MaxDailyPerKg); ok && daily.GreaterThan(max) {
				worstDaily.keep(l, max)
			}
		}
		if worstSingle.found {
			c.doseAlert(i, o, comp.RxCUI, worstSingle.limit, "single", single, worstSingle.max)
		}
		if worstDaily.found {
			c.doseAlert(i, o, comp.RxCUI, worstDaily.limit, "daily", daily, worstDaily.max)
		}
	}
}

// convertible reports whether a dose unit is a mass or a count of dose-form
// units, the units perIngredient converts.
func convertible(unit string) bool {
	unit = strings.ToLower(unit)
	_, mass := mgFactor[unit]
	return mass || doseForms[unit]
}

// doseUnchecked alerts that the unit of a dose cannot be converted to an
// amount of an ingredient, when a limit would have applied.
func (c *checker) doseUnchecked(i int, o resolved, rxcui string, p Proposed) {
	for _, l := range c.kb.DoseLimits(rxcui) {
		if !c.applies(l, p.Route) {
			continue
		}
		c.add(Alert{
			Kind: DoseUnchecked, Severity: Moderate, Interruptive: true, Order: i,
			Codes:      codes(rxcui, "", o, resolved{}),
			Message:    fmt.Sprintf("Dose not checked: unit %q cannot be converted to an amount of %s", p.Dose.Unit, c.name(rxcui)),
			Mechanism:  "Dose unit not convertible to the unit of the dose limit",
			Management: "Give the dose as a mass (mg, g, mcg) or as a count of tablets or capsules of a product of known strength, or check it by hand.",
			Source:     c.cite(l.Sources), Rule: l.ID + "/unit",
		})
		return
	}
}

// exceeded keeps the most restrictive of the limits a dose is over, so that
// an older patient's 30 mg of citalopram is reported once, against the 20 mg
// limit for their age, not again against the general 40 mg.
type exceeded struct {
	found bool
	limit DoseLimit
	max   decimal.Decimal
}

func (e *exceeded) keep(l DoseLimit, max decimal.Decimal) {
	if !e.found || max.LessThan(e.max) {
		*e = exceeded{true, l, max}
	}
}

// needsWeight alerts once per order and ingredient that a child's dose could
// not be checked against a weight-based limit because no weight is recorded.
func (c *checker) needsWeight(i int, o resolved, rxcui string, l DoseLimit) {
	if (l.MaxSinglePerKg == nil && l.MaxDailyPerKg == nil) || c.in.Patient.WeightKg.IsPositive() {
		return
	}
	if age := c.ageYears(); age < 0 || age >= 18 {
		return
	}
	c.add(Alert{
		Kind: DoseRange, Severity: Moderate, Interruptive: true, Order: i,
		Codes:      codes(rxcui, "", o, resolved{}),
		Message:    fmt.Sprintf("Dose of %s not checked: the limit for a child of this age is per kilogram and no body weight is recorded", c.name(rxcui)),
		Mechanism:  "Weight-based dose limit without a weight",
		Management: "Record the child's weight and re-check the order.",
		Source:     c.cite(l.Sources), Rule: RuleNoWeight,
	})
}

// RuleNoWeight is the rule of the alert saying that a child's dose was not
// checked for want of a body weight.
const RuleNoWeight = "DOSE-NOT-CHECKED-NO-WEIGHT"

// pattern alerts on an order given more often than a limit's MaxFrequency
// allows (methotrexate daily instead of weekly). An order without a frequency
// is not checked for its pattern.
func (c *checker) pattern(i int, o resolved, p Proposed) {
	if !p.FrequencyPerDay.IsPositive() {
		return
	}
	for _, comp := range o.Ingredients {
		for _, l := range c.kb.DoseLimits(comp.RxCUI) {
			f := l.MaxFrequency
			if f == nil || !c.applies(l, p.Route) {
				continue
			}
			per := p.FrequencyPerDay.Mul(decimal.NewFromInt(int64(f.PeriodDays)))
			if !per.GreaterThan(decimal.NewFromInt(int64(f.Count))) {
				continue
			}
			c.add(Alert{
				Kind: DoseRange, Severity: Major, Interruptive: true, Order: i,
				Codes: codes(comp.RxCUI, "", o, resolved{}),
				Message: fmt.Sprintf("%s is ordered %s times in %d days; at most %d administrations in %d days are expected",
					capitalise(c.name(comp.RxCUI)), per.Round(2).String(), f.PeriodDays, f.Count, f.PeriodDays),
				Mechanism:  "Dosing frequency outside the labelled pattern",
				Management: "Check the frequency (for example weekly, not daily) before signing.",
				Source:     c.cite(l.Sources), Rule: l.ID + "/frequency",
			})
		}
	}
}

// contribution is one order's daily amount of an ingredient.
type contribution struct {
	order int // index in Input.Orders; -1 for an active order
	daily decimal.Decimal
}

// cumulative sums each ingredient's daily dose over every proposed and active
// order that states a dose (all products and routes: a combination tablet's
// acetaminophen counts with a plain one) and alerts, on each proposed order
// that contributes, when two or more orders together exceed the ingredient's
// daily maximum for the patient. Limits of every route for the patient's age
// apply, the most permissive of them deciding, so that routes do not double
// count.
func (c *checker) cumulative(orders, activeOrders []resolved) {
	by := map[string][]contribution{}
	var ingredients []string
	add := func(order int, r resolved, p Proposed) {
		if !r.ok {
			return
		}
		freq := p.FrequencyPerDay
		if !freq.IsPositive() {
			freq = decimal.NewFromInt(1)
		}
		for rxcui, single := range perIngredient(r, p.Dose) {
			if _, ok := by[rxcui]; !ok {
				ingredients = append(ingredients, rxcui)
			}
			by[rxcui] = append(by[rxcui], contribution{order, single.Mul(freq)})
		}
	}
	for i, o := range orders {
		add(i, o, c.in.Orders[i])
	}
	for k, o := range activeOrders {
		add(-1, o, c.in.ActiveOrders[k])
	}
	slices.Sort(ingredients)
	for _, rxcui := range ingredients {
		cs := by[rxcui]
		if len(cs) < 2 || !slices.ContainsFunc(cs, func(x contribution) bool { return x.order >= 0 }) {
			continue
		}
		total := decimal.Zero
		for _, x := range cs {
			total = total.Add(x.daily)
		}
		var lim DoseLimit
		var max decimal.Decimal
		found := false
		for _, l := range c.kb.DoseLimits(rxcui) {
			if !c.forAge(l) {
				continue
			}
			if m, ok := c.cap(l.MaxDaily, l.MaxDailyPerKg); ok && (!found || m.GreaterThan(max)) {
				lim, max, found = l, m, true
			}
		}
		if !found || !total.GreaterThan(max) {
			continue
		}
		for _, x := range cs {
			if x.order < 0 {
				continue
			}
			c.add(Alert{
				Kind: DoseRange, Severity: Major, Interruptive: true, Order: x.order,
				Codes: codes(rxcui, "", orders[x.order], resolved{}),
				Message: fmt.Sprintf("The total daily dose of %s across %d orders, %s mg, is above the maximum of %s mg",
					c.name(rxcui), len(cs), total.String(), max.String()),
				Mechanism:  "Cumulative dose of one ingredient from several orders or combination products",
				Management: "Count every product that contains the ingredient; stop one or lower the doses.",
				Source:     c.cite(lim.Sources), Rule: lim.ID + "/cumulative",
			})
		}
	}
}

// routes maps route names, abbreviations and SNOMED CT route codes to the
// route names dose limits use.
var routes = map[string]string{
	"oral": "oral", "po": "oral", "p.o.": "oral", "by mouth": "oral", "orally": "oral", "26643006": "oral",
	"intravenous": "intravenous", "iv": "intravenous", "i.v.": "intravenous", "47625008": "intravenous",
	"intramuscular": "intramuscular", "im": "intramuscular", "i.m.": "intramuscular", "78421000": "intramuscular",
	"subcutaneous": "subcutaneous", "sc": "subcutaneous", "subq": "subcutaneous", "sq": "subcutaneous", "34206005": "subcutaneous",
	"rectal": "rectal", "pr": "rectal", "37161004": "rectal",
	"topical": "topical", "6064005": "topical",
}

// NormalizeRoute returns the route name dose limits use for a route name,
// abbreviation or SNOMED CT code ("PO" and "26643006" are "oral"); a route it
// does not know is returned folded to lower case.
func NormalizeRoute(route string) string {
	r := strings.ToLower(strings.TrimSpace(route))
	if n, ok := routes[r]; ok {
		return n
	}
	return r
}

func (c *checker) doseAlert(i int, o resolved, rxcui string, l DoseLimit, which string, got, max decimal.Decimal) {
	c.add(Alert{
		Kind: DoseRange, Severity: Major, Interruptive: true, Order: i,
		Codes:      codes(rxcui, "", o, resolved{}),
		Message:    fmt.Sprintf("The %s dose of %s, %s mg, is above the maximum of %s mg", which, c.name(rxcui), got.String(), max.String()),
		Mechanism:  "Dose above the labelled maximum",
		Management: "Check the dose, unit and frequency; lower the dose unless the excess is intended.",
		Source:     c.cite(l.Sources), Rule: l.ID + "/" + which,
	})
}

// Validate checks the shape of an input: every coding names a code or a
// display, doses are positive with a unit, frequency and weight are not
// negative. Unknown codes are not errors: Check reports them as unresolved.
func (in Input) Validate() error {
	var v ehrkit.Issues
	coding := func(path string, c ehrkit.Coding) {
		v.Check(strings.TrimSpace(c.Code) != "" || strings.TrimSpace(c.Display) != "", path, ehrkit.IssueRequired, "needs a code or a display")
	}
	for i, c := range in.Patient.Allergies {
		coding(ehrkit.Index("patient.allergies", i), c)
	}
	v.Check(!in.Patient.WeightKg.IsNegative(), "patient.weightKg", ehrkit.IssueValue, "must not be negative")
	for i, c := range in.Active {
		coding(ehrkit.Index("active", i), c)
	}
	for i, o := range in.Orders {
		p := ehrkit.Index("orders", i)
		coding(p+".medication", o.Medication)
		if !o.Dose.Value.IsZero() || o.Dose.Unit != "" {
			v.Check(o.Dose.Value.IsPositive(), p+".dose.value", ehrkit.IssueValue, "must be positive")
			v.Required(p+".dose.unit", o.Dose.Unit != "")
		}
		v.Check(!o.FrequencyPerDay.IsNegative(), p+".frequencyPerDay", ehrkit.IssueValue, "must not be negative")
	}
	return v.Err()
}

// capitalise upper-cases the first letter of a message.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
