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

func outcomes(c Comparison) map[string]Outcome {
	m := map[string]Outcome{}
	for _, f := range c.Fields {
		m[f.Field] = f.Outcome
	}
	return m
}

func TestCompare(t *testing.T) {
	base := address(phone(person("William", "Johnson", "1980-03-07", GenderMale), "555-010-2030"), "12 Oak Ave", "Austin", "78701")
	with := func(f func(p *Patient)) Patient {
		p := base
		p.Names = []ehrkit.HumanName{{Use: "official", Family: base.Names[0].Family, Given: []string{base.Names[0].Given[0]}}}
		f(&p)
		return p
	}
	tests := []struct {
		name  string
		other Patient
		want  map[string]Outcome
		level Level
	}{
		{"identical", base, map[string]Outcome{FieldFamily: OutcomeExact, FieldGiven: OutcomeExact, FieldBirthDate: OutcomeExact, FieldGender: OutcomeExact, FieldPhone: OutcomeExact, FieldAddress: OutcomeExact}, LevelCertain},
		{"family typo", with(func(p *Patient) { p.Names[0].Family = "Jonhson" }), map[string]Outcome{FieldFamily: OutcomeSimilar}, LevelCertain},
		{"family phonetic", with(func(p *Patient) { p.Names[0].Family = "Jonson" }), map[string]Outcome{FieldFamily: OutcomeSimilar}, LevelCertain},
		{"nickname", with(func(p *Patient) { p.Names[0].Given = []string{"Bill"} }), map[string]Outcome{FieldGiven: OutcomeNickname}, LevelCertain},
		{"initial", with(func(p *Patient) { p.Names[0].Given = []string{"W."} }), map[string]Outcome{FieldGiven: OutcomeInitial}, LevelProbable},
		{"swapped names", with(func(p *Patient) { p.Names[0].Family, p.Names[0].Given = "William", []string{"Johnson"} }), map[string]Outcome{FieldFamily: OutcomeSwapped, FieldGiven: OutcomeSwapped}, LevelCertain},
		{"day and month transposed", with(func(p *Patient) { p.BirthDate = ehrkit.MustDate("1980-07-03") }), map[string]Outcome{FieldBirthDate: OutcomeTransposed}, LevelCertain},
		{"birth year typo", with(func(p *Patient) { p.BirthDate = ehrkit.MustDate("1981-03-07") }), map[string]Outcome{FieldBirthDate: OutcomePartial}, LevelProbable},
		{"moved house", with(func(p *Patient) {
			p.Telecom, p.Addresses = nil, nil
			*p = address(phone(*p, "555-999-0000"), "9 Pine Rd", "Dallas", "75201")
		}), map[string]Outcome{FieldPhone: OutcomeDifferent, FieldAddress: OutcomeDifferent}, LevelProbable},
		{"same postal code only", with(func(p *Patient) {
			p.Addresses = nil
			*p = address(*p, "1 Other St", "Austin", "78701")
		}), map[string]Outcome{FieldAddress: OutcomePartial}, LevelCertain},
		{"double family name part", with(func(p *Patient) { p.Names[0].Family = "Smith-Johnson" }), map[string]Outcome{FieldFamily: OutcomePartial}, LevelCertain},
		{"twin at the same address", with(func(p *Patient) { p.Names[0].Given = []string{"Robert"} }), map[string]Outcome{FieldGiven: OutcomeDifferent, FieldMultipleBirth: OutcomeMultiple}, LevelPossible}, // for a person to review
		{"father and son", with(func(p *Patient) { p.BirthDate = ehrkit.MustDate("1955-10-21"); p.Telecom = nil }), map[string]Outcome{FieldBirthDate: OutcomeDifferent, FieldPhone: OutcomeMissing}, LevelNone},
		{"stranger born the same day", address(phone(person("Ana", "Silva", "1980-03-07", GenderFemale), "555-123-4567"), "3 Bay St", "Miami", "33101"), map[string]Outcome{FieldFamily: OutcomeDifferent, FieldGender: OutcomeDifferent}, LevelNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare(base, tt.other, SystemMRN)
			got := outcomes(c)
			for f, o := range tt.want {
				assert.Equal(t, o, got[f], f)
			}
			sum := 0.0
			for _, f := range c.Fields {
				sum += f.Weight
			}
			assert.InDelta(t, c.Score, sum, 1e-9, "score is the sum of the breakdown")
			assert.Equal(t, tt.level, DefaultThresholds.Level(c.Score), "score %.1f", c.Score)
			assert.InDelta(t, c.Score, Compare(tt.other, base, SystemMRN).Score, 1e-9, "symmetric")
		})
	}
}

func TestCompareIdentifiers(t *testing.T) {
	a := person("Ana", "Silva", "1980-01-02", GenderFemale)
	b := a
	a.Identifiers = []ehrkit.Identifier{{System: SystemMRN, Value: "M1"}, {System: ehrkit.SystemSSN, Value: "1"}}
	b.Identifiers = []ehrkit.Identifier{{System: SystemMRN, Value: "M2"}, {System: ehrkit.SystemSSN, Value: "2"}}
	assert.Equal(t, OutcomeDifferent, outcomes(Compare(a, b, SystemMRN))[FieldIdentifier], "national ids differ")
	b.Identifiers[1].Value = "1"
	assert.Equal(t, OutcomeExact, outcomes(Compare(a, b, SystemMRN))[FieldIdentifier])
	b.Identifiers = b.Identifiers[:1]
	assert.Equal(t, OutcomeMissing, outcomes(Compare(a, b, SystemMRN))[FieldIdentifier], "a local MRN that differs is no evidence")
}

func TestNicknames(t *testing.T) {
	assert.True(t, Nicknames("William", "Bill"))
	assert.True(t, Nicknames("José", "Pepe"))
	assert.True(t, Nicknames("Katherine", "Cathy"))
	assert.False(t, Nicknames("William", "William"), "equal names are not nicknames")
	assert.False(t, Nicknames("William", "Robert"))
	assert.False(t, Nicknames("Zed", "Zed2"))
}

func TestThresholds(t *testing.T) {
	th := Thresholds{Certain: 3, Probable: 2, Possible: 1}
	require.NoError(t, th.Validate())
	for score, want := range map[float64]Level{3: LevelCertain, 2.5: LevelProbable, 1: LevelPossible, 0.9: LevelNone} {
		assert.Equal(t, want, th.Level(score), "%v", score)
	}
	assert.Equal(t, "certain", LevelCertain.String())
	assert.Equal(t, "none", LevelNone.String())
}

func TestServiceMatch(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		reg := func(p Patient) Patient {
			out, err := svc.Register(ctx, p, AllowDuplicate())
			require.NoError(t, err)
			return out
		}
		orig := reg(address(phone(person("Katherine", "Ordóñez", "1962-04-09", GenderFemale), "555-222-3333"), "5 Elm St", "Salem", "01970"))
		swapped := reg(person("Ordonez", "Kathy", "1962-04-09", GenderFemale))
		reg(person("Katherine", "Ordóñez", "1990-01-01", GenderFemale)) // namesake, other generation
		for range 20 {
			reg(person("Zoe", "Unrelated", "1962-04-09", GenderFemale)) // same block (birth date), no match
		}
		ms, err := svc.Match(ctx, address(phone(person("Cathy", "Ordonez", "1962-09-04", GenderFemale), "+1 555 222 3333"), "5 Elm Street", "Salem", "01970"))
		require.NoError(t, err)
		require.Len(t, ms, 2)
		assert.Equal(t, orig.ID, ms[0].Patient.ID)
		assert.Equal(t, swapped.ID, ms[1].Patient.ID)
		assert.GreaterOrEqual(t, ms[0].Score, ms[1].Score)
		assert.Equal(t, OutcomeTransposed, outcomes(ms[0].Comparison)[FieldBirthDate])
		assert.Contains(t, ms[0].String(), string(orig.ID))
		assert.NotContains(t, ms[0].String(), "Ordóñez")

		self, err := svc.Match(ctx, orig)
		require.NoError(t, err)
		for _, m := range self {
			assert.NotEqual(t, orig.ID, m.Patient.ID, "a patient does not match itself")
		}
	})
}
