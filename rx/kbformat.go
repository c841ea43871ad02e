package rx

import (
	"github.com/shopspring/decimal"
)

// FormatV1 names version 1 of ehrkit's knowledge-base file format. Every file
// of a base carries it in its "format" field.
const FormatV1 = "ehrkit-rx-kb/1"

// Document is one file of a knowledge base in ehrkit's own JSON format. A base
// is any number of documents (the shipped one splits sources, ingredients,
// products, classes, interactions and dose limits into separate files); they
// are read together, so a rule in one file may name a class or source defined
// in another. Vendors write their own files in the same format and load them
// with LoadBase.
type Document struct {
	Format       string        `json:"format"`
	Sources      []Source      `json:"sources,omitempty"`
	Ingredients  []Ingredient  `json:"ingredients,omitempty"`
	Products     []Product     `json:"products,omitempty"`
	Classes      []Class       `json:"classes,omitempty"`
	Interactions []Interaction `json:"interactions,omitempty"`
	DoseLimits   []DoseLimit   `json:"doseLimits,omitempty"`
}

// Source is the citation behind rules: every class, interaction, product and
// dose limit names at least one source by ID.
type Source struct {
	ID       string `json:"id"`
	Citation string `json:"citation"`
	URL      string `json:"url,omitempty"`
	Licence  string `json:"licence,omitempty"`
}

// Ingredient is an RxNorm ingredient (TTY=IN) with its name and synonyms used
// to resolve free-text drug names.
type Ingredient struct {
	RxCUI    string   `json:"rxcui"`
	Name     string   `json:"name"`
	Synonyms []string `json:"synonyms,omitempty"`
}

// Product is an RxNorm clinical or branded drug (SCD, SBD, GPCK ...) and its
// ingredients, so that an order for "Simvastatin 20 MG Oral Tablet" is
// checked as simvastatin.
type Product struct {
	RxCUI       string      `json:"rxcui"`
	Name        string      `json:"name"`
	Ingredients []Component `json:"ingredients"`
	Sources     []string    `json:"sources"`
}

// Component is one ingredient of a product with, when known, its strength per
// unit of the dose form (one tablet, one capsule).
type Component struct {
	RxCUI    string  `json:"rxcui"`
	Strength *Amount `json:"strength,omitempty"`
}

// Amount is a drug amount in a UCUM mass unit ("mg", "g", "ug").
type Amount struct {
	Value decimal.Decimal `json:"value"`
	Unit  string          `json:"unit"`
}

// ClassUse says what a class is for.
type ClassUse string

// Class uses.
const (
	// UseInteraction classes are the objects and precipitants of interaction
	// rules (e.g. "strong CYP3A4 inhibitors").
	UseInteraction ClassUse = "interaction"
	// UseAllergy classes group ingredients with allergic cross-sensitivity: an
	// allergy to one member alerts on every member.
	UseAllergy ClassUse = "allergy"
	// UseTherapeutic classes group ingredients whose combination is duplicate
	// therapy (two statins, two proton pump inhibitors ...).
	UseTherapeutic ClassUse = "therapeutic"
)

// Class is a named set of ingredients.
type Class struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Use     ClassUse `json:"use"`
	Members []string `json:"members"`
	// Synonyms are other names an allergy may be recorded under ("sulfa").
	Synonyms []string `json:"synonyms,omitempty"`
	Sources  []string `json:"sources"`
	Note     string   `json:"note,omitempty"`
}

// Severity grades an alert.
type Severity string

// Severities, most severe first.
const (
	Contraindicated Severity = "contraindicated"
	Major           Severity = "major"
	Moderate        Severity = "moderate"
	Minor           Severity = "minor"
)

// rank orders severities: a lower rank is more severe; unknown values rank last.
func (s Severity) rank() int {
	switch s {
	case Contraindicated:
		return 0
	case Major:
		return 1
	case Moderate:
		return 2
	case Minor:
		return 3
	}
	return 4
}

// Party is one side of an interaction rule: a class or a single ingredient.
type Party struct {
	Class string `json:"class,omitempty"`
	RxCUI string `json:"rxcui,omitempty"`
}

// Interaction is a drug-drug rule between two parties. The rule is symmetric:
// it fires whichever drug is ordered first.
type Interaction struct {
	ID           string   `json:"id"`
	A            Party    `json:"a"`
	B            Party    `json:"b"`
	Severity     Severity `json:"severity"`
	Interruptive bool     `json:"interruptive"`
	Summary      string   `json:"summary"`
	Mechanism    string   `json:"mechanism,omitempty"`
	Management   string   `json:"management,omitempty"`
	// Derived marks a rule inferred from pharmacological roles (such as a
	// strong inhibitor and a sensitive substrate of one enzyme) rather than
	// stated as an interaction by its source. A stated rule for the same pair
	// of ingredients takes precedence over derived ones.
	Derived bool `json:"derived,omitempty"`
	// Passive marks a rule whose source judged the pair safe to show without
	// interrupting (the ONC non-interruptive list): when rules of several
	// sources name one pair, a passive rule keeps the merged alert from
	// interrupting unless another rule makes the pair contraindicated.
	Passive bool     `json:"passive,omitempty"`
	Sources []string `json:"sources"`
}

// DoseLimit is the largest dose of one ingredient for one population and route.
// An age range (MinAgeYears/MaxAgeYears) selects the population; the
// per-kilogram fields make a limit weight-based (for a child, a weight-based
// limit without a recorded weight raises a "dose not checked" alert rather than
// passing silently). Fixed and per-kilogram maxima combine: the smaller one
// applies. MaxFrequency catches dosing patterns that are dangerous in
// themselves (methotrexate daily instead of weekly).
type DoseLimit struct {
	ID    string `json:"id"`
	RxCUI string `json:"rxcui"`
	// Route is the route the limit applies to ("oral", ...); empty for any.
	Route string `json:"route,omitempty"`
	// MinAgeYears (inclusive) and MaxAgeYears (exclusive, 0 for none) bound the
	// population by age.
	MinAgeYears int `json:"minAgeYears,omitempty"`
	MaxAgeYears int `json:"maxAgeYears,omitempty"`
	// MinAgeDays (inclusive) and MaxAgeDays (exclusive) bound a neonatal or
	// young-infant population by age in days, where years are too coarse. A
	// limit with MaxAgeDays set leaves the year bounds zero, and applies only
	// to a patient whose birth date is known to the day.
	MinAgeDays int     `json:"minAgeDays,omitempty"`
	MaxAgeDays int     `json:"maxAgeDays,omitempty"`
	MaxSingle  *Amount `json:"maxSingle,omitempty"`
	MaxDaily   *Amount `json:"maxDaily,omitempty"`
	// MaxSinglePerKg and MaxDailyPerKg are amounts per kilogram of body weight.
	MaxSinglePerKg *Amount `json:"maxSinglePerKg,omitempty"`
	MaxDailyPerKg  *Amount `json:"maxDailyPerKg,omitempty"`
	// MaxFrequency is the largest number of administrations in a period.
	MaxFrequency *Frequency `json:"maxFrequency,omitempty"`
	Sources      []string   `json:"sources"`
	Note         string     `json:"note,omitempty"`
}

// Frequency is a number of administrations in a period of days: {3, 7} is
// three administrations a week.
type Frequency struct {
	Count      int `json:"count"`
	PeriodDays int `json:"periodDays"`
}

// mgFactor converts a UCUM mass unit to milligrams.
var mgFactor = map[string]decimal.Decimal{
	"mg": decimal.NewFromInt(1), "g": decimal.NewFromInt(1000),
	"ug": decimal.New(1, -3), "mcg": decimal.New(1, -3),
}
