package patient

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIdentify: a feed's identifiers name one current patient or none; a
// merged record gives way to its survivor, an unknown gender agrees with any,
// a disagreeing birth date or two patients named are never guessed through.
func TestIdentify(t *testing.T) {
	const sys = "urn:oid:1.2.3.4"
	ident := func(v string) ehrkit.Identifier { return ehrkit.Identifier{System: sys, Value: v} }
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := admin()
		svc := newTestService(t, s)
		withID := func(p Patient, v string) Patient {
			p.Identifiers = []ehrkit.Identifier{ident(v)}
			return p
		}
		ann, err := svc.Register(ctx, withID(person("Ann", "Lee", "1980-02-03", GenderFemale), "A1"))
		require.NoError(t, err)
		_, err = svc.Register(ctx, withID(person("Bob", "Ray", "1975-07-09", GenderMale), "B1"))
		require.NoError(t, err)
		dup, err := svc.Register(ctx, withID(person("Cy", "Orr", "1990-01-01", GenderMale), "C1"))
		require.NoError(t, err)
		cy, err := svc.Register(ctx, withID(person("Cyrus", "Orr", "1990-01-01", GenderMale), "C2"))
		require.NoError(t, err)
		_, err = svc.Merge(ctx, dup.ID, cy.ID)
		require.NoError(t, err)

		tests := []struct {
			name   string
			idents []ehrkit.Identifier
			birth  string
			gender Gender
			want   ID
			reason string
		}{
			{"one identifier, demographics agree", []ehrkit.Identifier{ident("A1")}, "1980-02-03", GenderFemale, ann.ID, ""},
			{"unknown gender agrees", []ehrkit.Identifier{ident("A1")}, "", GenderUnknown, ann.ID, ""},
			{"birth date differs", []ehrkit.Identifier{ident("A1")}, "1980-03-02", "", "", UnmatchedDemographics},
			{"gender differs", []ehrkit.Identifier{ident("B1")}, "", GenderFemale, "", UnmatchedDemographics},
			{"two patients named", []ehrkit.Identifier{ident("A1"), ident("B1")}, "", "", "", UnmatchedAmbiguous},
			{"nobody", []ehrkit.Identifier{ident("Z9")}, "", "", "", UnmatchedNone},
			{"no usable identifier", []ehrkit.Identifier{{Value: "A1"}}, "", "", "", UnmatchedNone},
			{"a merged record's identifier names the survivor", []ehrkit.Identifier{ident("C1")}, "1990-01-01", GenderMale, cy.ID, ""},
		}
		for _, tt := range tests {
			var birth ehrkit.Date
			if tt.birth != "" {
				birth = ehrkit.MustDate(tt.birth)
			}
			got, reason, err := Identify(ctx, s, Named{Identifiers: tt.idents, BirthDate: birth, Gender: tt.gender})
			require.NoError(t, err, tt.name)
			assert.Equal(t, tt.want, got, tt.name)
			assert.Equal(t, tt.reason, reason, tt.name)
		}
	})
}
