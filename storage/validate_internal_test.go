package storage

import (
	"regexp"
	"strings"
	"testing"
)

// TestNameRules checks the table-driven name checks against the regular
// expressions that state the rules, on every string of up to two bytes and on
// longer ones at and around each length limit.
func TestNameRules(t *testing.T) {
	rules := []struct {
		name  string
		check func(string) bool
		re    *regexp.Regexp
	}{
		{"type", ValidType, regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,63}$`)},
		{"id", ValidID, regexp.MustCompile(`^[A-Za-z0-9\-._~:|@+=]{1,128}$`)},
		{"term", validTerm, regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.:\-]{0,63}$`)},
		{"label", validLabel, regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,63}$`)},
	}
	inputs := []string{""}
	for a := range 256 {
		inputs = append(inputs, string([]byte{byte(a)}))
		for b := range 256 {
			inputs = append(inputs, string([]byte{byte(a), byte(b)}))
		}
	}
	for _, n := range []int{63, 64, 65, 127, 128, 129} {
		for _, first := range []string{"A", "a", "_", "4", "-"} {
			inputs = append(inputs, first+strings.Repeat("b", n-1), first+strings.Repeat("b", n-2)+"\n", first+strings.Repeat("é", n/2))
		}
	}
	for _, r := range rules {
		for _, in := range inputs {
			if got, want := r.check(in), r.re.MatchString(in); got != want {
				t.Errorf("%s %q: got %v, want %v", r.name, in, got, want)
			}
		}
	}
}
