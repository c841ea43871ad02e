// Package drugname normalises drug names and splits RxNorm-style clinical drug
// names ("Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet")
// into their components. The knowledge-base generator and the rx engine share
// it, so that a name resolves the same way when the base is built and when an
// order is checked.
package drugname

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

var fold = cases.Fold()

// Normalize folds case, removes diacritics, turns punctuation other than "/",
// "." and "%" into spaces and collapses runs of spaces, so that "oxyCODONE
// Hydrochloride" and "oxycodone  hydrochloride" compare equal.
func Normalize(s string) string {
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = fold.String(out)
	var b strings.Builder
	space := false
	for _, r := range out {
		keep := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '/' || r == '.' || r == '%'
		if !keep {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Component is one ingredient part of a clinical drug name.
type Component struct {
	// Name is the normalised words before the strength, e.g. "warfarin sodium".
	Name string
	// Value and Unit are the strength as written ("5", "mg"); empty when the
	// component carries no strength.
	Value string
	Unit  string
}

// Split cuts a normalised or raw drug name into its " / "-separated
// components ("lopinavir/ritonavir" without spaces too, when the parts carry
// no strength) and reads each one's leading name and strength. A leading
// quantity prefix such as "24 HR" or "10 ML" is skipped; words after the
// strength (dose form, brand) are dropped.
func Split(name string) []Component {
	var parts []string
	for _, p := range strings.Split(Normalize(name), " / ") {
		if strings.Contains(p, "/") && !strings.ContainsAny(p, "0123456789") {
			parts = append(parts, strings.Split(p, "/")...)
			continue
		}
		parts = append(parts, p)
	}
	out := make([]Component, 0, len(parts))
	for _, p := range parts {
		words := strings.Fields(p)
		for len(words) >= 2 && isNumber(words[0]) && (words[1] == "hr" || words[1] == "ml" || words[1] == "actuat") {
			words = words[2:]
		}
		var c Component
		var nameWords []string
		for i, w := range words {
			if num, unit, ok := strength(w, words[i+1:]); ok {
				c.Value, c.Unit = num, unit
				break
			}
			nameWords = append(nameWords, w)
		}
		c.Name = strings.Join(nameWords, " ")
		if c.Name != "" {
			out = append(out, c)
		}
	}
	return out
}

// Candidates returns the names to try for a component, longest first:
// "warfarin sodium" gives "warfarin sodium", then "warfarin".
func Candidates(name string) []string {
	words := strings.Fields(name)
	out := make([]string, 0, len(words))
	for n := len(words); n > 0; n-- {
		out = append(out, strings.Join(words[:n], " "))
	}
	return out
}

// strength reads a strength starting at w: either "20" followed by a unit
// word, or a glued "20mg".
func strength(w string, rest []string) (value, unit string, ok bool) {
	if isNumber(w) {
		if len(rest) > 0 && isUnit(rest[0]) {
			return w, rest[0], true
		}
		return "", "", false
	}
	i := strings.IndexFunc(w, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
	if i > 0 && isNumber(w[:i]) && isUnit(w[i:]) {
		return w[:i], w[i:], true
	}
	return "", "", false
}

func isNumber(s string) bool {
	if s == "" || s == "." {
		return false
	}
	dots := 0
	for _, r := range s {
		switch {
		case r == '.':
			dots++
		case !unicode.IsDigit(r):
			return false
		}
	}
	return dots <= 1
}

func isUnit(s string) bool {
	switch s {
	case "mg", "g", "mcg", "ug", "unt", "unit", "units", "meq", "mg/ml", "mg/actuat", "%", "ml":
		return true
	}
	return false
}
