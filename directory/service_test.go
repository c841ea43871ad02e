package directory_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// npi completes nine digits with their NPI check digit (Luhn over the prefix
// 80840, CMS NPI standard).
func npi(nine string) string {
	return nine + strconv.Itoa(ehrkit.LuhnDigit("80840"+nine))
}

func npiID(value string) ehrkit.Identifier {
	return ehrkit.Identifier{System: ehrkit.SystemNPI, Value: value}
}

func requireIssues(t *testing.T, err error, want map[string]ehrkit.IssueCode) {
	t.Helper()
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	require.ErrorIs(t, err, ehrkit.ErrInvalid)
	for path, code := range want {
		assert.True(t, ve.Has(path, code), "want %s %s in %v", path, code, ve.Issues)
	}
	assert.Len(t, ve.Issues, len(want), "issues: %v", ve.Issues)
}

var cardiology = ehrkit.Coding{System: ehrkit.SystemSNOMED, Code: "394579002", Display: "Cardiology"}

func TestNPIOfCMSExample(t *testing.T) {
	// 1234567893 is the worked example of the CMS check-digit rule.
	require.Equal(t, "1234567893", npi("123456789"))
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want map[string]ehrkit.IssueCode
	}{
		{"practitioner without name, bad NPI, gender, qualification", directory.Practitioner{
			ID: "p1", Gender: "f",
			Identifiers:    []ehrkit.Identifier{npiID("1234567890"), npiID("1234567890")},
			Qualifications: []directory.Qualification{{Issuer: "bad id!"}},
		}.Validate(), map[string]ehrkit.IssueCode{
			"name": ehrkit.IssueRequired, "gender": ehrkit.IssueCodeInvalid,
			"identifier[0].value": ehrkit.IssueCodeInvalid, "identifier[1].value": ehrkit.IssueCodeInvalid,
			"identifier[1]":           ehrkit.IssueDuplicate,
			"qualification[0].code":   ehrkit.IssueRequired,
			"qualification[0].issuer": ehrkit.IssueValue,
		}},
		{"organization without name or identifier, part of itself", directory.Organization{ID: "o1", PartOf: "o1"}.Validate(),
			map[string]ehrkit.IssueCode{"name": ehrkit.IssueRequired, "partOf": ehrkit.IssueInvariant}},
		{"location without name, unknown status and mode", directory.Location{ID: "l1", Status: "open", Mode: "room"}.Validate(),
			map[string]ehrkit.IssueCode{"name": ehrkit.IssueRequired, "status": ehrkit.IssueCodeInvalid, "mode": ehrkit.IssueCodeInvalid}},
		{"role without practitioner, period reversed", directory.PractitionerRole{
			ID: "r1", Period: ehrkit.Period{Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		}.Validate(), map[string]ehrkit.IssueCode{"practitioner": ehrkit.IssueRequired, "period.end": ehrkit.IssueInvariant}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { requireIssues(t, c.err, c.want) })
	}
}

func seed(t *testing.T, ctx context.Context, d *directory.Service) (directory.Practitioner, directory.Organization, directory.Location) {
	t.Helper()
	org, err := d.Organizations.Create(ctx, directory.Organization{Active: true, Name: "Saint Mary Clinic", Identifiers: []ehrkit.Identifier{npiID(npi("987654321"))}})
	require.NoError(t, err)
	room, err := d.Locations.Create(ctx, directory.Location{
		Status: directory.LocationActive, Name: "Room 4", Organization: org.ID,
		PhysicalType: ehrkit.Concept(directory.PhysicalTypeSystem, directory.PhysicalRoom, "Room"),
	})
	require.NoError(t, err)
	doc, err := d.Practitioners.Create(ctx, directory.Practitioner{
		Active: true, Names: []ehrkit.HumanName{{Family: "Núñez", Given: []string{"José"}, Prefix: []string{"Dr."}}},
		Identifiers: []ehrkit.Identifier{npiID(npi("123456789"))},
	})
	require.NoError(t, err)
	_, err = d.Roles.Create(ctx, directory.PractitionerRole{
		Active: true, Practitioner: doc.ID, Organization: org.ID, Locations: []directory.LocationID{room.ID},
		Specialties: []ehrkit.CodeableConcept{{Coding: []ehrkit.Coding{cardiology}}},
	})
	require.NoError(t, err)
	return doc, org, room
}

func TestService(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		d := directory.NewService(s)
		doc, org, room := seed(t, ctx, d)

		t.Run("get and update with the version read", func(t *testing.T) {
			got, err := d.Practitioners.Get(ctx, doc.ID)
			require.NoError(t, err)
			require.Equal(t, int64(1), got.Version)
			require.Equal(t, npi("123456789"), got.NPI())
			got.Telecom = []ehrkit.ContactPoint{{System: "phone", Value: "555-0100", Use: "work"}}
			updated, err := d.Practitioners.Update(ctx, got)
			require.NoError(t, err)
			require.Equal(t, int64(2), updated.Version)
			_, err = d.Practitioners.Update(ctx, got) // stale: version 1
			require.ErrorIs(t, err, ehrkit.ErrConflict)
		})

		t.Run("an id is created once", func(t *testing.T) {
			_, err := d.Organizations.Create(ctx, directory.Organization{ID: org.ID, Name: "Other"})
			requireIssues(t, err, map[string]ehrkit.IssueCode{"id": ehrkit.IssueDuplicate})
		})

		t.Run("an NPI belongs to one practitioner until released", func(t *testing.T) {
			_, err := d.Practitioners.Create(ctx, directory.Practitioner{
				Names:       []ehrkit.HumanName{{Family: "Other"}},
				Identifiers: []ehrkit.Identifier{{System: "urn:x", Value: "1"}, npiID(npi("123456789"))},
			})
			requireIssues(t, err, map[string]ehrkit.IssueCode{"identifier[1]": ehrkit.IssueDuplicate})
			cur, err := d.Practitioners.Get(ctx, doc.ID)
			require.NoError(t, err)
			cur.Identifiers = nil
			_, err = d.Practitioners.Update(ctx, cur)
			require.NoError(t, err)
			other, err := d.Practitioners.Create(ctx, directory.Practitioner{
				Names: []ehrkit.HumanName{{Family: "Other"}}, Identifiers: []ehrkit.Identifier{npiID(npi("123456789"))},
			})
			require.NoError(t, err)
			found, _, err := d.Practitioners.Search(ctx, directory.Query{NPI: npi("123456789")})
			require.NoError(t, err)
			require.Len(t, found, 1)
			require.Equal(t, other.ID, found[0].ID)
			cur, err = d.Practitioners.Get(ctx, doc.ID)
			require.NoError(t, err)
			cur.Identifiers = []ehrkit.Identifier{npiID(npi("123456789"))}
			_, err = d.Practitioners.Update(ctx, cur)
			requireIssues(t, err, map[string]ehrkit.IssueCode{"identifier[0]": ehrkit.IssueDuplicate})
		})

		t.Run("references must exist and part-of forms no cycle", func(t *testing.T) {
			_, err := d.Roles.Create(ctx, directory.PractitionerRole{Practitioner: "nobody", Organization: "no-org", Locations: []directory.LocationID{room.ID, "no-room"}})
			requireIssues(t, err, map[string]ehrkit.IssueCode{
				"practitioner": ehrkit.IssueValue, "organization": ehrkit.IssueValue, "location[1]": ehrkit.IssueValue,
			})
			_, err = d.Locations.Create(ctx, directory.Location{Name: "Bed 1", PartOf: "no-room", Organization: "no-org"})
			requireIssues(t, err, map[string]ehrkit.IssueCode{"partOf": ehrkit.IssueValue, "managingOrganization": ehrkit.IssueValue})
			dept, err := d.Organizations.Create(ctx, directory.Organization{Name: "Cardiology department", PartOf: org.ID})
			require.NoError(t, err)
			parent, err := d.Organizations.Get(ctx, org.ID)
			require.NoError(t, err)
			parent.PartOf = dept.ID
			_, err = d.Organizations.Update(ctx, parent)
			requireIssues(t, err, map[string]ehrkit.IssueCode{"partOf": ehrkit.IssueInvariant})
		})

		t.Run("a refused write in a transaction leaves nothing", func(t *testing.T) {
			err := s.Update(ctx, func(tx storage.Tx) error {
				if _, err := d.Organizations.Save(ctx, tx, directory.Organization{ID: "org-tx", Name: "Lab Partners"}); err != nil {
					return err
				}
				_, err := d.Roles.Save(ctx, tx, directory.PractitionerRole{ID: "role-tx", Practitioner: "nobody", Organization: "org-tx"})
				return err
			})
			requireIssues(t, err, map[string]ehrkit.IssueCode{"practitioner": ehrkit.IssueValue})
			_, err = d.Organizations.Get(ctx, "org-tx")
			require.ErrorIs(t, err, ehrkit.ErrNotFound)
		})

		t.Run("search", func(t *testing.T) {
			found, _, err := d.Practitioners.Search(ctx, directory.Query{Name: "JOSE nun"})
			require.NoError(t, err)
			require.Len(t, found, 1)
			require.Equal(t, doc.ID, found[0].ID)
			rooms, _, err := d.Locations.Search(ctx, directory.Query{Organization: org.ID, Type: ehrkit.Coding{System: directory.PhysicalTypeSystem, Code: directory.PhysicalRoom}})
			require.NoError(t, err)
			require.Len(t, rooms, 1)
			require.True(t, rooms[0].Is(directory.PhysicalRoom))
			orgs, _, err := d.Organizations.Search(ctx, directory.Query{Name: "saint", Active: true})
			require.NoError(t, err)
			require.Len(t, orgs, 1)
			_, _, err = d.Practitioners.Search(ctx, directory.Query{Specialty: cardiology, Organization: org.ID, NPI: "123"})
			requireIssues(t, err, map[string]ehrkit.IssueCode{
				"specialty": ehrkit.IssueNotSupported, "organization": ehrkit.IssueNotSupported, "npi": ehrkit.IssueValue,
			})
		})

		t.Run("find staff by specialty and place", func(t *testing.T) {
			staff, err := d.FindStaff(ctx, directory.Query{Specialty: cardiology, Location: room.ID}, time.Now())
			require.NoError(t, err)
			require.Len(t, staff, 1)
			require.Equal(t, doc.ID, staff[0].Practitioner.ID)
			require.Len(t, staff[0].Roles, 1)
			none, err := d.FindStaff(ctx, directory.Query{Specialty: cardiology, Name: "smith"}, time.Now())
			require.NoError(t, err)
			require.Empty(t, none)
		})
	})
}

// TestConcurrentClaims creates practitioners with one NPI from several
// goroutines at once: exactly one holds it, on every backend.
func TestConcurrentClaims(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		d := directory.NewService(s, directory.WithMaxAttempts(200))
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = d.Practitioners.Create(ctx, directory.Practitioner{
					Names: []ehrkit.HumanName{{Family: "Claim" + strconv.Itoa(i)}}, Identifiers: []ehrkit.Identifier{npiID(npi("555000111"))},
				})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			var ve *ehrkit.ValidationError
			switch {
			case err == nil:
				won++
			case errors.As(err, &ve):
				require.True(t, ve.Has("identifier[0]", ehrkit.IssueDuplicate), "%v", ve.Issues)
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		require.Equal(t, 1, won)
		found, _, err := d.Practitioners.Search(ctx, directory.Query{NPI: npi("555000111")})
		require.NoError(t, err)
		require.Len(t, found, 1)
	})
}
