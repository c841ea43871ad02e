package patient

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRegisterBadInput: every kind of bad input to Register is refused with
// a *ehrkit.ValidationError naming the field, and nothing reaches the store
// (the change feed stays empty), on every backend. Update and Save run the
// same validation.
func TestRegisterBadInput(t *testing.T) {
	huge := strings.Repeat("x", 10<<20)
	tests := []struct {
		name string
		edit func(p *Patient)
		path string
		code ehrkit.IssueCode
	}{
		{"empty patient", func(p *Patient) { *p = Patient{} }, "name", ehrkit.IssueRequired},
		{"blank name", func(p *Patient) { p.Names = []ehrkit.HumanName{{Family: "  \t", Given: []string{" "}}} }, "name[0].family", ehrkit.IssueRequired},
		{"blank given name", func(p *Patient) { p.Names[0].Given = append(p.Names[0].Given, "  ") }, "name[0].given[1]", ehrkit.IssueValue},
		{"invalid UTF-8 in the family name", func(p *Patient) { p.Names[0].Family = "M\xfcller" }, "name[0].family", ehrkit.IssueValue},
		{"NUL in a given name", func(p *Patient) { p.Names[0].Given[0] = "An\x00na" }, "name[0].given[0]", ehrkit.IssueValue},
		{"control character in the city", func(p *Patient) { p.Addresses[0].City = "Berlin\x1b[2J" }, "address[0].city", ehrkit.IssueValue},
		{"NUL in an identifier", func(p *Patient) { p.Identifiers[0].Value = "123\x00" }, "identifier[0].value", ehrkit.IssueValue},
		{"10 MB family name", func(p *Patient) { p.Names[0].Family = huge }, "name[0].family", ehrkit.IssueTooLong},
		{"10 MB address line", func(p *Patient) { p.Addresses[0].Line = []string{huge} }, "address[0].line[0]", ehrkit.IssueTooLong},
		{"long name token", func(p *Patient) { p.Names[0].Given[0] = strings.Repeat("a", 2000) }, "name[0].given[0]", ehrkit.IssueTooLong},
		{"3 000 given names", func(p *Patient) {
			for i := range 3000 {
				p.Names[0].Given = append(p.Names[0].Given, string([]byte{'a' + byte(i%26), 'a' + byte(i/26%26), 'a' + byte(i/676)}))
			}
		}, "name", ehrkit.IssueTooLong},
		{"impossible birth date", func(p *Patient) { p.BirthDate = ehrkit.NewDate(1990, 2, 30) }, "birthDate", ehrkit.IssueValue},
		{"birth date in the future", func(p *Patient) { p.BirthDate = ehrkit.DateOf(testStart.AddDate(0, 0, 2)) }, "birthDate", ehrkit.IssueBusinessRule},
		{"birth year in the future", func(p *Patient) { p.BirthDate = ehrkit.YearOnly(testStart.Year() + 1) }, "birthDate", ehrkit.IssueBusinessRule},
		{"death in the future", func(p *Patient) { p.Deceased, p.DeceasedAt = true, testStart.Add(time.Hour) }, "deceasedDateTime", ehrkit.IssueBusinessRule},
	}
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := fullPatientNoID()
				tt.edit(&p)
				_, err := svc.Register(ctx, p)
				var ve *ehrkit.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.True(t, ve.Has(tt.path, tt.code), "want %s %s in %v", tt.path, tt.code, ve.Issues)
				changes, err := s.Changes(ctx, 0, 1)
				require.NoError(t, err)
				assert.Empty(t, changes, "nothing written")
			})
		}
		// A child born today in UTC+14 has tomorrow's UTC date, and stands.
		p := fullPatientNoID()
		p.BirthDate = ehrkit.DateOf(testStart.Add(aheadOfUTC))
		_, err := svc.Register(ctx, p, AllowDuplicate())
		require.NoError(t, err)
	})
}
