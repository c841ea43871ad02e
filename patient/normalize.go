package patient

import (
	"strings"

	"github.com/ehrkit/ehrkit/internal/textfold"
)

// Fold returns s compatibility-decomposed (NFKD), without combining marks, case
// folded and with letters that decomposition leaves whole transliterated (ı,
// đ, ø, æ, ł, þ, œ, ẞ, ð), so that "José", "JOSE" and "jose" fold alike, as do
// "Straße" and "STRASSE", "İnce" and "ince", "Nguyễn" and "nguyen".
func Fold(s string) string { return textfold.Fold(s) }

// Tokens folds s (see Fold) and splits it into words at every character that
// is neither a letter nor a digit; apostrophes are dropped instead, so
// "Müller-Lüdenscheidt" gives "muller" and "ludenscheidt", and "O'Brien" gives
// "obrien".
func Tokens(s string) []string { return textfold.Tokens(s) }

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
