// Package textfold folds text for matching: case, compatibility forms and
// diacritics removed, with golang.org/x/text. The patient registry and the
// provider directory both index names with it, so a search folds alike in
// each.
package textfold

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// special maps letters that Unicode decomposition leaves whole to their usual
// Latin transliteration: Turkish dotless ı, Vietnamese and Croatian đ,
// Scandinavian ø and æ, Polish ł, Icelandic þ, ligature œ and capital sharp s
// (lower-case ß is expanded to "ss" by case folding).
var special = map[rune]string{
	'ı': "i", 'đ': "d", 'Đ': "d", 'ø': "o", 'Ø': "o", 'æ': "ae", 'Æ': "ae",
	'ł': "l", 'Ł': "l", 'þ': "th", 'Þ': "th", 'œ': "oe", 'Œ': "oe", 'ẞ': "ss", 'ð': "d", 'Ð': "d",
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isApostrophe reports whether r joins the parts of a name ("O'Brien" is one
// token, "obrien").
func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' || r == '`' }

// Fold returns s compatibility-decomposed (NFKD), without combining marks, case
// folded and with the letters listed above transliterated, so that "José",
// "JOSE" and "jose" fold alike, as do "Straße" and "STRASSE", "İnce" and "ince",
// "Nguyễn" and "nguyen". Each run of invalid UTF-8 bytes folds to U+FFFD.
func Fold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s) // the whole chain reduces to this for ASCII
	}
	// Invalid bytes become U+FFFD first: decomposing them as they are can
	// swallow the letter after them undecomposed ("\xf4ğ" kept its breve).
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if t, ok := special[r]; ok {
			b.WriteString(t)
			continue
		}
		b.WriteRune(r)
	}
	return cases.Fold().String(b.String())
}

// Tokens folds s (see Fold) and splits it into words at every character that
// is neither a letter nor a digit; apostrophes are dropped instead, so
// "Müller-Lüdenscheidt" gives "muller" and "ludenscheidt", and "O'Brien" gives
// "obrien".
func Tokens(s string) []string {
	folded := strings.Map(func(r rune) rune {
		if isApostrophe(r) {
			return -1
		}
		return r
	}, Fold(s))
	return strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
