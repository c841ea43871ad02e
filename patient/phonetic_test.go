package patient

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNYSIIS(t *testing.T) {
	tests := []struct{ in, want string }{
		// Worked through the published rules.
		{"MACINTOSH", "MCANT"},
		{"KNUTH", "NAT"},
		{"JOHNSON", "JANSAN"},
		{"WILLIAMS", "WALAN"},
		{"BROWN", "BRAN"},
		{"Browne", "BRAN"},
		{"Schmidt", "SNAD"},
		{"Phillips", "FALAP"},
		{"Kelly", "CALY"},
		{"Evans", "EVAN"},
		{"Stevens", "STAFAN"},
		{"Hart", "HAD"},
		// Folding first: diacritics, case, Turkish, German, Vietnamese.
		{"Müller", "MALAR"},
		{"MULLER", "MALAR"},
		{"Işık", "ISAC"},
		{"Großmann", "GRASNA"},
		{"Nguyễn", "NGAYAN"},
		{"", ""},
		{"123", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, NYSIIS(tt.in))
		})
	}
}

func TestNYSIISGroupsSoundAlikes(t *testing.T) {
	for _, pair := range [][2]string{{"Jonson", "Johnson"}, {"Stephens", "Stevens"}, {"Catherine", "Katherine"}, {"Mejía", "Mejia"}} {
		assert.Equal(t, NYSIIS(pair[0]), NYSIIS(pair[1]), "%s / %s", pair[0], pair[1])
	}
	assert.NotEqual(t, NYSIIS("Smith"), NYSIIS("Jones"))
}

func TestJaroWinkler(t *testing.T) {
	// Reference values from Winkler (1990) as commonly reproduced.
	tests := []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.9611},
		{"dwayne", "duane", 0.84},
		{"dixon", "dicksonx", 0.8133},
		{"same", "same", 1},
		{"", "", 1},
		{"abc", "", 0},
		{"abc", "xyz", 0},
	}
	for _, tt := range tests {
		assert.InDelta(t, tt.want, JaroWinkler(tt.a, tt.b), 0.0005, "%s/%s", tt.a, tt.b)
		assert.InDelta(t, JaroWinkler(tt.a, tt.b), JaroWinkler(tt.b, tt.a), 1e-12, "symmetric")
	}
}

// FuzzNYSIIS checks the code's shape: upper-case letters only, at most six.
func FuzzNYSIIS(f *testing.F) {
	for _, s := range []string{"MACINTOSH", "Müller", "Işık", "sch", "ev", "h", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code := NYSIIS(s)
		require.LessOrEqual(t, len(code), 6)
		for _, c := range code {
			require.True(t, c >= 'A' && c <= 'Z', "%q", code)
		}
		j := JaroWinkler(s, code)
		require.True(t, j >= 0 && j <= 1)
	})
}
