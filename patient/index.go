package patient

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"unicode/utf8"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Record types the registry writes besides RecordType.
const (
	// IdentifierRecordType holds one record per identifier system|value in use;
	// creating it with expected version 0 is what makes identifiers unique. It
	// belongs to the patient's compartment.
	IdentifierRecordType = "PatientIdentifier"
	// CounterRecordType holds the last MRN number assigned per MRN system.
	CounterRecordType = "PatientCounter"
	// MergeRecordType holds one merge: what it changed and the versions before,
	// so that Unmerge can restore them. It belongs to no compartment.
	MergeRecordType = "PatientMerge"
)

// Index term names on patient records, for callers building their own
// storage.Query over patients.
const (
	TermName        = "name"        // folded name tokens (see Tokens)
	TermNamePrefix  = "nameprefix"  // the first one, two, ... five letters of each name token, so a name prefix search starts from an equality
	TermNamePair    = "namepair"    // the first two and the first three letters of two different name tokens, sorted ("jo sm", "joh smi"), for every two tokens of two letters or more, so a name search of two words starts from an equality few patients share
	TermPhonetic    = "phonetic"    // NYSIIS codes of the name tokens
	TermBirthDate   = "birthdate"   // birth date in FHIR form ("1970", "1970-05-01"), sortable
	TermBirthPeriod = "birthperiod" // year ("1970") and, below year precision, month ("1970-05") of birth, so a year or month search starts from an equality
	TermGender      = "gender"      // administrative gender code
	TermIdentifier  = "identifier"  // "system|value"
	TermPhone       = "phone"       // PhoneDigits of phone and sms contact points
	TermEmail       = "email"       // folded e-mail address
	TermPostal      = "postal"      // PostalCode of every address
	TermStatus      = "status"      // StatusCurrent or StatusMerged
	TermBlock       = "block"       // matching blocking keys
)

// Values of TermStatus.
const (
	StatusCurrent = "current" // a patient record in use
	StatusMerged  = "merged"  // a record merged into another (see Patient.ReplacedBy)
)

var patients = storage.Kind[Patient]{
	Type:    RecordType,
	Version: 1,
	Meta: func(p *Patient) storage.Meta {
		return storage.Meta{ID: string(p.ID), Compartment: string(p.ID), Terms: p.terms()}
	},
}

// identifierKey is the value of an IdentifierRecordType record.
type identifierKey struct {
	Patient ID `json:"patient"`
}

var identifierKeys = storage.Kind[identifierKey]{
	Type: IdentifierRecordType, Version: 1,
	Meta: func(k *identifierKey) storage.Meta { return storage.Meta{Compartment: string(k.Patient)} },
}

// identifierKeyID is the record id of the key of identifier token system|value:
// a hash, since system URIs hold characters record ids may not.
func identifierKeyID(token string) string { return "pi-" + hashHex(token, 20) }

func hashHex(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:n])
}

// terms computes the index terms of p, sorted and without repeats.
func (p Patient) terms() []storage.Term {
	var t []storage.Term
	add := func(name, value string) {
		if value != "" {
			t = append(t, storage.Term{Name: name, Value: value})
		}
	}
	tokens := p.nameTokens()
	for _, tok := range tokens {
		add(TermName, tok)
		for _, p := range namePrefixes(tok) {
			add(TermNamePrefix, p)
		}
		add(TermPhonetic, NYSIIS(tok))
	}
	for _, pair := range namePairs(tokens) {
		add(TermNamePair, pair)
	}
	add(TermBirthDate, p.BirthDate.String())
	for _, period := range birthPeriods(p.BirthDate) {
		add(TermBirthPeriod, period)
	}
	add(TermGender, string(p.Gender))
	for _, id := range p.Identifiers {
		add(TermIdentifier, id.Token())
	}
	for _, c := range p.Telecom {
		switch c.System {
		case "phone", "sms":
			add(TermPhone, PhoneDigits(c.Value))
		case "email":
			add(TermEmail, Fold(c.Value))
		}
	}
	for _, a := range p.Addresses {
		add(TermPostal, PostalCode(a.PostalCode))
	}
	status := StatusCurrent
	if p.ReplacedBy() != "" {
		status = StatusMerged
	}
	add(TermStatus, status)
	for _, b := range p.blockingKeys() {
		add(TermBlock, b)
	}
	slices.SortFunc(t, func(a, b storage.Term) int {
		if a.Name != b.Name {
			return cmp.Compare(a.Name, b.Name)
		}
		return cmp.Compare(a.Value, b.Value)
	})
	return slices.Compact(t)
}

// namePairs returns the TermNamePair values of a patient's name tokens: for
// every two different tokens of at least two runes, the pair of their first
// two runes and the pair of their first three (two search words that begin
// no one token begin two different tokens).
func namePairs(tokens []string) []string {
	var long []string
	for _, tok := range tokens {
		if utf8.RuneCountInString(tok) >= 2 && !slices.Contains(long, tok) {
			long = append(long, tok)
		}
	}
	var out []string
	for i, a := range long {
		for _, b := range long[i+1:] {
			for n := 2; n <= namePairPrefixLen; n++ {
				out = append(out, namePairValue(a, b, n))
			}
		}
	}
	return out
}

// birthPeriods returns the TermBirthPeriod values of a birth date: its year
// and, below year precision, its month; none for a zero date.
func birthPeriods(d ehrkit.Date) []string {
	s := d.String()
	switch d.Precision() {
	case ehrkit.PrecisionYear:
		return []string{s}
	case ehrkit.PrecisionMonth, ehrkit.PrecisionDay:
		return []string{s[:4], s[:7]}
	}
	return nil
}

// blockingKeys returns the keys under which p is a matching candidate: the
// full birth date ("bd:1970-05-01") and, for every name, the pair of phonetic
// codes of the first given name and the family name in sorted order
// ("np:JAN:SNATH"), which survives first and last name being swapped.
// Identifiers, phone numbers and e-mail addresses block through their own terms.
func (p Patient) blockingKeys() []string {
	var out []string
	if p.BirthDate.Precision() == ehrkit.PrecisionDay {
		out = append(out, "bd:"+p.BirthDate.String())
	}
	for _, n := range p.Names {
		if len(n.Given) == 0 || n.Family == "" {
			continue
		}
		out = append(out, namePairKey(NYSIIS(n.Given[0]), NYSIIS(n.Family)))
	}
	return out
}

func namePairKey(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return "np:" + a + ":" + b
}
