package patient

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// foldSpecial maps letters that Unicode decomposition leaves whole to their
// usual Latin transliteration: Turkish dotless ı, Vietnamese and Croatian đ,
// Scandinavian ø and æ, Polish ł, Icelandic þ, ligature œ and capital sharp s
// (lower-case ß is expanded to "ss" by case folding).
var foldSpecial = map[rune]string{
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
// "Nguyễn" and "nguyen".
func Fold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s) // the whole chain reduces to this for ASCII
	}
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if t, ok := foldSpecial[r]; ok {
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

// PhoneDigits normalises a telephone number for search and matching: the digits
// only, and of a longer number its last ten (the national number in the North
// American plan, and enough to tell numbers apart elsewhere), so that
// "+1 (555) 010-2030" and "555.010.2030" normalise alike.
func PhoneDigits(s string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if len(d) > 10 {
		d = d[len(d)-10:]
	}
	return d
}

// PostalCode normalises a postal code: upper case, without spaces or hyphens
// ("sw1a 1aa" is "SW1A1AA", "02139-4307" is "021394307"). Search matches it by
// prefix, so "02139" finds the ZIP+4 form.
func PostalCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, Fold(s))
}
