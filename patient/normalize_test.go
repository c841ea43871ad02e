package patient

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/cases"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"latin diacritics and hyphen", "José Müller-Lüdenscheidt", []string{"jose", "muller", "ludenscheidt"}},
		{"upper case", "MULLER", []string{"muller"}},
		{"spanish", "Agustín Ordóñez Mejía", []string{"agustin", "ordonez", "mejia"}},
		{"turkish dotless and dotted i", "Işıl İnce", []string{"isil", "ince"}},
		{"turkish capital dotless", "ILGIN", []string{"ilgin"}},
		{"german sharp s", "Straße", []string{"strasse"}},
		{"german capital sharp s", "STRAẞE", []string{"strasse"}},
		{"vietnamese", "Nguyễn Thị Đặng", []string{"nguyen", "thi", "dang"}},
		{"invalid byte before a letter with a diacritic", "\xf4ğ", []string{"g"}},
		{"scandinavian", "Søren Kjærgård", []string{"soren", "kjaergard"}},
		{"polish", "Łukasz Wałęsa", []string{"lukasz", "walesa"}},
		{"apostrophe joins", "O'Brien D’Angelo", []string{"obrien", "dangelo"}},
		{"punctuation splits", "Smith,  John (Jr.)", []string{"smith", "john", "jr"}},
		{"compatibility forms", "ﬁnn Ｍaria", []string{"finn", "maria"}},
		{"digits kept", "Louis XIV 2nd", []string{"louis", "xiv", "2nd"}},
		{"empty", " -- ", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Tokens(tt.in))
		})
	}
}

func TestPhoneDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+1 (555) 010-2030", "5550102030"},
		{"555.010.2030", "5550102030"},
		{"+44 20 7946 0958", "2079460958"},
		{"0102", "0102"},
		{"n/a", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, PhoneDigits(tt.in), tt.in)
	}
}

func TestPostalCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sw1a 1aa", "SW1A1AA"},
		{"02139-4307", "021394307"},
		{"75 008", "75008"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, PostalCode(tt.in), tt.in)
	}
}

// FuzzTokens checks that tokens are non-empty folded words without separators
// and that tokenising the joined tokens again is stable.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"José Müller-Lüdenscheidt", "Işıl", "Straße", "Nguyễn", "O'Brien", "\xff\xfe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokens(s)
		for _, tok := range toks {
			require.NotEmpty(t, tok)
			require.True(t, utf8.ValidString(tok))
			require.False(t, strings.ContainsAny(tok, " -'"), "separator in %q", tok)
		}
		require.Equal(t, toks, Tokens(strings.Join(toks, " ")))
		if !strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) {
			require.Equal(t, cases.Fold().String(s), Fold(s), "the ASCII fast path agrees with case folding")
		}
	})
}
