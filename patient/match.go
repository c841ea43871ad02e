package patient

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Level is how sure a match is.
type Level int

// Match levels, from none to certain.
const (
	LevelNone     Level = iota // below the possible threshold
	LevelPossible              // worth showing to a person
	LevelProbable              // likely the same patient; review before merging
	LevelCertain               // the same patient; Register refuses it
)

// String returns "none", "possible", "probable" or "certain".
func (l Level) String() string {
	switch l {
	case LevelPossible:
		return "possible"
	case LevelProbable:
		return "probable"
	case LevelCertain:
		return "certain"
	}
	return "none"
}

// Thresholds are the scores at which a comparison becomes a possible, probable
// or certain match.
type Thresholds struct {
	Certain  float64
	Probable float64
	Possible float64
}

// DefaultThresholds suit the weights of Compare: "certain" needs agreement on
// name and birth date plus phone, address, e-mail or an identifier; "probable"
// is name and birth date agreeing with a small difference allowed (a typo, a
// nickname, day and month transposed); "possible" is strong agreement on part.
// The synthetic population tests measure precision and recall at each level.
var DefaultThresholds = Thresholds{Certain: 14, Probable: 10.5, Possible: 7}

// Validate checks Certain > Probable > Possible.
func (t Thresholds) Validate() error {
	var v ehrkit.Issues
	v.Check(t.Certain > t.Probable, "certain", ehrkit.IssueInvariant, "must exceed probable")
	v.Check(t.Probable > t.Possible, "probable", ehrkit.IssueInvariant, "must exceed possible")
	return v.Err()
}

// Level classifies a score.
func (t Thresholds) Level(score float64) Level {
	switch {
	case score >= t.Certain:
		return LevelCertain
	case score >= t.Probable:
		return LevelProbable
	case score >= t.Possible:
		return LevelPossible
	}
	return LevelNone
}

// Outcome says how one field of two patients compared.
type Outcome string

// Field comparison outcomes.
const (
	OutcomeExact      Outcome = "exact"      // equal after normalisation
	OutcomeSimilar    Outcome = "similar"    // Jaro-Winkler similarity of at least 0.9 (a typo)
	OutcomePhonetic   Outcome = "phonetic"   // same NYSIIS code
	OutcomeNickname   Outcome = "nickname"   // given names used for one another
	OutcomeInitial    Outcome = "initial"    // one given name is the other's initial
	OutcomePartial    Outcome = "partial"    // part agrees (a part of a double family name, the postal code, one date component differs)
	OutcomeSwapped    Outcome = "swapped"    // given and family name exchanged
	OutcomeTransposed Outcome = "transposed" // day and month of the birth date exchanged
	OutcomeDifferent  Outcome = "different"  // both present, disagreeing
	OutcomeMissing    Outcome = "missing"    // absent on one side: no evidence
	OutcomeMultiple   Outcome = "multiple"   // likely two children of one multiple birth
)

// Compared fields, as FieldScore.Field names them.
const (
	FieldFamily     = "family"
	FieldGiven      = "given"
	FieldBirthDate  = "birthDate"
	FieldGender     = "gender"
	FieldIdentifier = "identifier"
	FieldPhone      = "phone"
	FieldEmail      = "email"
	FieldAddress    = "address"
	// FieldMultipleBirth is the line of the multiples guard: the score is set
	// to a "possible" match when two records look like twins (see Compare).
	FieldMultipleBirth = "multipleBirth"
)

// FieldScore is one line of a match explanation: the field, how it compared
// and the weight that added to (or, when negative, subtracted from) the score.
type FieldScore struct {
	Field   string
	Outcome Outcome
	Weight  float64
}

// Comparison is the result of comparing two patients: the total score and the
// per-field breakdown that explains it.
type Comparison struct {
	Score  float64
	Fields []FieldScore
	// LikelyMultiple says the two records look like children of one multiple
	// birth: Match reports them as possible, never probable or certain.
	LikelyMultiple bool
}

// Match is an existing patient that may be the candidate.
type Match struct {
	Patient Patient
	Comparison
	Level Level
}

// Field weights: log-odds style points, positive for agreement that is rare
// between different people, negative for disagreement that is rare within one
// person's records.
const (
	wFamilyExact, wFamilySimilar, wFamilyPhonetic, wFamilyPartial, wFamilyDifferent            = 4.0, 3.0, 2.5, 2.5, -3.0
	wGivenExact, wGivenNickname, wGivenSimilar, wGivenPhonetic, wGivenInitial, wGivenDifferent = 3.0, 2.5, 2.0, 1.5, 0.5, -2.0
	wSwapPenalty                                                                               = 0.5
	wBirthExact, wBirthTransposed, wBirthPartial, wBirthDifferent                              = 4.0, 2.5, 1.0, -4.0
	wGenderSame, wGenderDifferent                                                              = 0.5, -2.0
	wIdentifierSame, wIdentifierDifferent                                                      = 8.0, -4.0
	wPhoneSame, wEmailSame, wAddressSame, wPostalSame                                          = 2.5, 2.0, 2.0, 1.0
	similarJW                                                                                  = 0.9
)

// Compare scores how likely a and b are the same person from their names (every
// name of each, best pair), birth date, gender, identifiers, phones, e-mail
// addresses and addresses. Identifiers of the localSystems (the MRN systems,
// which differ between duplicate records by construction) count when they agree
// and are ignored when they differ; identifiers of other systems that differ
// (two national ids) count against. It is a pure function.
func Compare(a, b Patient, localSystems ...string) Comparison {
	var c Comparison
	c.add(compareNames(a, b)...)
	c.add(compareBirthDates(a.BirthDate, b.BirthDate))
	c.add(compareGender(a.Gender, b.Gender))
	c.add(compareIdentifiers(a.Identifiers, b.Identifiers, localSystems))
	c.add(compareSets(FieldPhone, a.phones(), b.phones(), wPhoneSame))
	c.add(compareSets(FieldEmail, a.emails(), b.emails(), wEmailSame))
	c.add(compareAddresses(a.Addresses, b.Addresses))
	if likelyMultiple(a, b, c) {
		c.LikelyMultiple = true
		c.add(FieldScore{FieldMultipleBirth, OutcomeMultiple, multipleScore - c.Score})
	}
	return c
}

// multipleScore is the score of a likely multiple birth: between the default
// possible and probable thresholds.
var multipleScore = (DefaultThresholds.Possible + DefaultThresholds.Probable) / 2

// likelyMultiple is the multiples guard. Twins share a birth date, a family
// name, an address and a phone, which would make them a certain match; what
// tells them apart is the given name. Two records with the same full birth
// date and an agreeing family name are likely children of one multiple birth
// when their given names differ outright (not a typo, nickname or initial), or
// when both carry a temporary newborn name with different birth-order
// suffixes ("Babygirl A" and "Babygirl B", "Twin 1" and "Twin 2", "Wendysgirl
// A" and "Wendysgirl B"). The same temporary name with the same suffix is the
// same child.
func likelyMultiple(a, b Patient, c Comparison) bool {
	if a.BirthDate.IsZero() || a.BirthDate.Precision() != ehrkit.PrecisionDay || a.BirthDate != b.BirthDate {
		return false
	}
	var family, given Outcome
	for _, f := range c.Fields {
		switch f.Field {
		case FieldFamily:
			family = f.Outcome
		case FieldGiven:
			given = f.Outcome
		}
	}
	switch family {
	case OutcomeExact, OutcomeSimilar, OutcomePhonetic, OutcomePartial:
	default:
		return false
	}
	sa, tempA := newbornSuffix(a)
	sb, tempB := newbornSuffix(b)
	switch {
	case tempA && tempB:
		return sa != "" && sb != "" && sa != sb
	case tempA || tempB:
		return false // a temporary name and a real one: possibly the same child renamed
	}
	if given != OutcomeDifferent {
		return false
	}
	// One keyboard slip (a letter deleted, doubled, replaced or two
	// exchanged) in a short name is a typo of one child's record, not a twin.
	for _, x := range a.foldedNames() {
		for _, y := range b.foldedNames() {
			if x.given != "" && y.given != "" && editDistance(x.given, y.given) <= 1 {
				return false
			}
		}
	}
	return true
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent letters.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// newbornWords are the words of temporary newborn names.
var newbornWords = map[string]bool{
	"baby": true, "babygirl": true, "babyboy": true, "girl": true, "boy": true, "twin": true, "triplet": true,
	"infant": true, "newborn": true, "female": true, "male": true,
}

// newbornSuffix reports whether p's given name is a temporary newborn name
// (a newborn word, or a word ending in "girl" or "boy" such as the mother's
// name form "Wendysgirl") and returns its birth-order suffix (a letter, a
// digit or a roman numeral), "" when it has none.
func newbornSuffix(p Patient) (string, bool) {
	for _, n := range p.Names {
		words := Tokens(strings.Join(n.Given, " "))
		if len(words) == 0 {
			continue
		}
		temp := false
		for _, w := range words {
			w = strings.TrimRightFunc(w, unicode.IsDigit) // "twin2"
			if newbornWords[w] || (len(w) > 4 && (strings.HasSuffix(w, "girl") || strings.HasSuffix(w, "boy"))) {
				temp = true
			}
		}
		if !temp {
			continue
		}
		last := words[len(words)-1]
		if len(words) > 1 && isBirthOrder(last) {
			return last, true
		}
		// A suffix glued to the word: "babygirla" is not split, "twin2" is.
		if i := strings.IndexFunc(last, unicode.IsDigit); i > 0 {
			return last[i:], true
		}
		return "", true
	}
	return "", false
}

func isBirthOrder(w string) bool {
	switch w {
	case "i", "ii", "iii", "iv":
		return true
	}
	if len(w) == 1 {
		return (w[0] >= 'a' && w[0] <= 'h') || (w[0] >= '1' && w[0] <= '9')
	}
	return false
}

func (c *Comparison) add(fs ...FieldScore) {
	for _, f := range fs {
		c.Fields = append(c.Fields, f)
		c.Score += f.Weight
	}
}

// foldedName is a name reduced to what matching compares.
type foldedName struct{ given, family string }

func (p Patient) foldedNames() []foldedName {
	var out []foldedName
	for _, n := range p.Names {
		f := foldedName{family: strings.Join(Tokens(n.Family), "")}
		if len(n.Given) > 0 {
			f.given = strings.Join(Tokens(n.Given[0]), "")
		}
		if f.given != "" || f.family != "" {
			out = append(out, f)
		}
	}
	return out
}

// compareNames scores the best pairing of a's and b's names, each pairing
// taken straight or with given and family swapped.
func compareNames(a, b Patient) []FieldScore {
	best := []FieldScore{{FieldFamily, OutcomeMissing, 0}, {FieldGiven, OutcomeMissing, 0}}
	bestScore := 0.0
	first := true
	for _, x := range a.foldedNames() {
		for _, y := range b.foldedNames() {
			straight := []FieldScore{compareFamily(x.family, y.family), compareGiven(x.given, y.given)}
			swapped := []FieldScore{compareFamily(x.family, y.given), compareGiven(x.given, y.family)}
			for i := range swapped {
				if swapped[i].Weight > 0 {
					swapped[i].Outcome, swapped[i].Weight = OutcomeSwapped, swapped[i].Weight-wSwapPenalty/2
				}
			}
			for _, cand := range [][]FieldScore{straight, swapped} {
				if s := cand[0].Weight + cand[1].Weight; first || s > bestScore {
					best, bestScore, first = cand, s, false
				}
			}
		}
	}
	return best
}

func compareFamily(a, b string) FieldScore {
	f := FieldScore{Field: FieldFamily}
	switch {
	case a == "" || b == "":
		f.Outcome = OutcomeMissing
	case a == b:
		f.Outcome, f.Weight = OutcomeExact, wFamilyExact
	case JaroWinkler(a, b) >= similarJW:
		f.Outcome, f.Weight = OutcomeSimilar, wFamilySimilar
	case NYSIIS(a) == NYSIIS(b):
		f.Outcome, f.Weight = OutcomePhonetic, wFamilyPhonetic
	case len(a) >= 3 && len(b) >= 3 && (strings.HasPrefix(a, b) || strings.HasPrefix(b, a) || strings.HasSuffix(a, b) || strings.HasSuffix(b, a)):
		f.Outcome, f.Weight = OutcomePartial, wFamilyPartial
	default:
		f.Outcome, f.Weight = OutcomeDifferent, wFamilyDifferent
	}
	return f
}

func compareGiven(a, b string) FieldScore {
	f := FieldScore{Field: FieldGiven}
	switch {
	case a == "" || b == "":
		f.Outcome = OutcomeMissing
	case a == b:
		f.Outcome, f.Weight = OutcomeExact, wGivenExact
	case Nicknames(a, b):
		f.Outcome, f.Weight = OutcomeNickname, wGivenNickname
	case JaroWinkler(a, b) >= similarJW:
		f.Outcome, f.Weight = OutcomeSimilar, wGivenSimilar
	case NYSIIS(a) == NYSIIS(b):
		f.Outcome, f.Weight = OutcomePhonetic, wGivenPhonetic
	case (len(a) == 1 || len(b) == 1) && a[0] == b[0]:
		f.Outcome, f.Weight = OutcomeInitial, wGivenInitial
	default:
		f.Outcome, f.Weight = OutcomeDifferent, wGivenDifferent
	}
	return f
}

func compareBirthDates(a, b ehrkit.Date) FieldScore {
	f := FieldScore{Field: FieldBirthDate}
	switch {
	case a.IsZero() || b.IsZero():
		f.Outcome = OutcomeMissing
	case a == b:
		f.Outcome, f.Weight = OutcomeExact, wBirthExact
	case a.Precision() != ehrkit.PrecisionDay || b.Precision() != ehrkit.PrecisionDay:
		// A partial date agrees with every date it contains.
		if strings.HasPrefix(a.String(), b.String()) || strings.HasPrefix(b.String(), a.String()) {
			f.Outcome, f.Weight = OutcomePartial, wBirthPartial
		} else {
			f.Outcome, f.Weight = OutcomeDifferent, wBirthDifferent
		}
	case a.Year() == b.Year() && int(a.Month()) == b.Day() && a.Day() == int(b.Month()):
		f.Outcome, f.Weight = OutcomeTransposed, wBirthTransposed
	case sameCount(a, b) == 2:
		f.Outcome, f.Weight = OutcomePartial, wBirthPartial
	default:
		f.Outcome, f.Weight = OutcomeDifferent, wBirthDifferent
	}
	return f
}

// sameCount counts the equal components (year, month, day) of two dates.
func sameCount(a, b ehrkit.Date) int {
	n := 0
	for _, same := range []bool{a.Year() == b.Year(), a.Month() == b.Month(), a.Day() == b.Day()} {
		if same {
			n++
		}
	}
	return n
}

func compareGender(a, b Gender) FieldScore {
	f := FieldScore{Field: FieldGender}
	switch {
	case a == "" || b == "" || a == GenderUnknown || b == GenderUnknown:
		f.Outcome = OutcomeMissing
	case a == b:
		f.Outcome, f.Weight = OutcomeExact, wGenderSame
	default:
		f.Outcome, f.Weight = OutcomeDifferent, wGenderDifferent
	}
	return f
}

func compareIdentifiers(a, b []ehrkit.Identifier, localSystems []string) FieldScore {
	f := FieldScore{Field: FieldIdentifier, Outcome: OutcomeMissing}
	tokens := map[string]bool{}
	systems := map[string]bool{}
	for _, id := range b {
		tokens[id.Token()] = true
		systems[id.System] = true
	}
	for _, id := range a {
		switch {
		case tokens[id.Token()]:
			f.Outcome, f.Weight = OutcomeExact, wIdentifierSame
			return f
		case systems[id.System] && !slices.Contains(localSystems, id.System) && id.Use != "old":
			f.Outcome, f.Weight = OutcomeDifferent, wIdentifierDifferent
		}
	}
	return f
}

// compareSets scores agreement of normalised values: any shared value counts;
// different values are no evidence (people change numbers and e-mails).
func compareSets(field string, a, b []string, weight float64) FieldScore {
	f := FieldScore{Field: field, Outcome: OutcomeMissing}
	if len(a) == 0 || len(b) == 0 {
		return f
	}
	f.Outcome = OutcomeDifferent
	for _, x := range a {
		if slices.Contains(b, x) {
			f.Outcome, f.Weight = OutcomeExact, weight
		}
	}
	return f
}

func compareAddresses(a, b []ehrkit.Address) FieldScore {
	f := compareSets(FieldAddress, addressKeys(a), addressKeys(b), wAddressSame)
	if f.Outcome == OutcomeDifferent {
		if g := compareSets(FieldAddress, postalCodes(a), postalCodes(b), wPostalSame); g.Outcome == OutcomeExact {
			f.Outcome, f.Weight = OutcomePartial, g.Weight
		}
	}
	return f
}

func (p Patient) phones() []string {
	var out []string
	for _, c := range p.Telecom {
		if c.System == "phone" || c.System == "sms" {
			if d := PhoneDigits(c.Value); d != "" {
				out = append(out, d)
			}
		}
	}
	return out
}

func (p Patient) emails() []string {
	var out []string
	for _, c := range p.Telecom {
		if c.System == "email" {
			out = append(out, Fold(c.Value))
		}
	}
	return out
}

// addressKeys renders each address with lines as folded tokens plus the postal code.
func addressKeys(as []ehrkit.Address) []string {
	var out []string
	for _, a := range as {
		if len(a.Line) == 0 {
			continue
		}
		out = append(out, strings.Join(Tokens(strings.Join(a.Line, " ")), " ")+"|"+PostalCode(a.PostalCode))
	}
	return out
}

func postalCodes(as []ehrkit.Address) []string {
	var out []string
	for _, a := range as {
		if pc := PostalCode(a.PostalCode); pc != "" {
			out = append(out, pc)
		}
	}
	return out
}

// blockLimit caps the candidates read per blocking key. A block this large
// means a very common name pair or birth date; the other blocks still apply.
const blockLimit = storage.MaxLimit

// Match returns the existing patients that may be candidate, at LevelPossible
// or above, best first (ties by id), each with its score and per-field
// breakdown. It does not scan the registry: it reads only the patients sharing a
// blocking key with the candidate (full birth date, the same date with day and
// month transposed, the phonetic pair of given and family name in either
// order, an identifier, a phone number, an e-mail address). Merged records and
// the candidate itself (same id) are left out.
func (s *Service) Match(ctx context.Context, candidate Patient) ([]Match, error) {
	seen := map[string]bool{string(candidate.ID): true}
	var out []Match
	for _, f := range candidate.blockFilters() {
		page, err := s.store.Query(ctx, storage.Query{Type: RecordType, Limit: blockLimit, Filters: []storage.Filter{f}})
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			if seen[rec.ID] {
				continue
			}
			seen[rec.ID] = true
			p, err := decode(rec)
			if err != nil {
				return nil, err
			}
			if p.ReplacedBy() != "" {
				continue
			}
			c := Compare(candidate, p, s.mrn.System)
			l := s.thresholds.Level(c.Score)
			if c.LikelyMultiple {
				l = LevelPossible // whatever the thresholds: shown, never refused
			}
			if l >= LevelPossible {
				out = append(out, Match{Patient: p, Comparison: c, Level: l})
			}
		}
	}
	slices.SortFunc(out, func(a, b Match) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Patient.ID, b.Patient.ID)
	})
	return out, nil
}

// blockFilters returns one equality filter per blocking key of p.
func (p Patient) blockFilters() []storage.Filter {
	var fs []storage.Filter
	eq := func(term, value string) {
		f := storage.Filter{Term: term, Op: storage.Eq, Value: value}
		if value != "" && !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	for _, k := range p.blockingKeys() {
		eq(TermBlock, k)
	}
	if d := p.BirthDate; d.Precision() == ehrkit.PrecisionDay && d.Day() <= 12 && d.Day() != int(d.Month()) {
		if t := ehrkit.NewDate(d.Year(), time.Month(d.Day()), int(d.Month())); t.Validate() == nil {
			eq(TermBlock, "bd:"+t.String())
		}
	}
	for _, id := range p.Identifiers {
		eq(TermIdentifier, id.Token())
	}
	for _, ph := range p.phones() {
		eq(TermPhone, ph)
	}
	for _, e := range p.emails() {
		eq(TermEmail, e)
	}
	return fs
}
