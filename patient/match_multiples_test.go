package patient

import (
	"context"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newborn is a newborn at the family's address and phone with the given
// names as registered.
func newborn(family string, given ...string) Patient {
	p := Patient{
		Names:     []ehrkit.HumanName{{Use: "temp", Family: family, Given: given}},
		BirthDate: ehrkit.MustDate("2026-02-20"), // days before the tests' clock (testStart)
		Gender:    GenderFemale,
	}
	return address(phone(p, "555-010-2030"), "12 Oak Ave", "Austin", "78701")
}

// TestMultiplesGuard: twins share birth date, family name, address and phone.
// Different given names, or temporary newborn names with different
// birth-order suffixes (the naming conventions of The Joint Commission's
// 2018 newborn identification requirement NPSG.01.01.01 EP 3: "Babygirl A",
// mother's-name form "Wendysgirl A"), make them a possible match, likely a
// multiple birth; the same temporary name and suffix is the same child.
func TestMultiplesGuard(t *testing.T) {
	twin := func(given string) Patient {
		p := person(given, "Okafor", "2019-04-02", GenderFemale)
		return address(phone(p, "555-010-2030"), "12 Oak Ave", "Austin", "78701")
	}
	tests := []struct {
		name     string
		a, b     Patient
		multiple bool
		level    Level
	}{
		{"twins with different given names", twin("Amara"), twin("Chioma"), true, LevelPossible},
		{"Babygirl A and Babygirl B", newborn("Smith", "Babygirl", "A"), newborn("Smith", "Babygirl", "B"), true, LevelPossible},
		{"Babygirl A and Babygirl B in one given name", newborn("Smith", "Babygirl A"), newborn("Smith", "Babygirl B"), true, LevelPossible},
		{"Baby Girl 1 and Baby Girl 2", newborn("Smith", "Baby Girl 1"), newborn("Smith", "Baby Girl 2"), true, LevelPossible},
		{"Twin 1 and Twin 2", newborn("Smith", "Twin1"), newborn("Smith", "Twin2"), true, LevelPossible},
		{"Wendysgirl A and Wendysgirl B", newborn("Smith", "Wendysgirl", "A"), newborn("Smith", "Wendysgirl", "B"), true, LevelPossible},
		{"the same newborn entered twice", newborn("Smith", "Babygirl", "A"), newborn("Smith", "Babygirl", "A"), false, LevelCertain},
		{"a temporary name and the child's name: maybe renamed", newborn("Smith", "Babygirl", "A"), newborn("Smith", "Emma"), false, LevelProbable},
		{"a nickname is the same person", twin("Alexandra"), twin("Sasha"), false, LevelCertain},
		{"a typo is the same person", twin("Amara"), twin("Amarra"), false, LevelCertain},
		{"one letter apart counts as a typo, not a twin", twin("Jo"), twin("Bo"), false, LevelProbable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []Comparison{Compare(tt.a, tt.b), Compare(tt.b, tt.a)} {
				assert.Equal(t, tt.multiple, c.LikelyMultiple)
				assert.Equal(t, tt.level, DefaultThresholds.Level(c.Score), "score %.1f", c.Score)
				assert.Equal(t, tt.multiple, outcomes(c)[FieldMultipleBirth] == OutcomeMultiple)
			}
		})
	}
}

// TestTwinsRegister: the second twin registers (a possible match is shown,
// never refused), on every backend; the same newborn entered again is refused.
func TestTwinsRegister(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		a, err := svc.Register(ctx, newborn("Smith", "Babygirl", "A"))
		require.NoError(t, err)
		b, err := svc.Register(ctx, newborn("Smith", "Babygirl", "B"))
		require.NoError(t, err, "the second twin is not a duplicate")
		assert.NotEqual(t, a.ID, b.ID)
		matches, err := svc.Match(ctx, newborn("Smith", "Babygirl", "B"))
		require.NoError(t, err)
		levels := map[ID]Level{}
		for _, m := range matches {
			levels[m.Patient.ID] = m.Level
		}
		assert.Equal(t, LevelPossible, levels[a.ID], "the twin is shown as possible")
		assert.Equal(t, LevelCertain, levels[b.ID])
		_, err = svc.Register(ctx, newborn("Smith", "Babygirl", "A"))
		var dup *DuplicateError
		require.ErrorAs(t, err, &dup)
	})
}
