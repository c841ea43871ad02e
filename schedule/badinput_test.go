package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// TestBookBadInput: bad input to Book is refused with a
// *ehrkit.ValidationError naming the field, and nothing is written (the
// change feed does not move), on every backend.
func TestBookBadInput(t *testing.T) {
	huge := strings.Repeat("p", 10<<20)
	tests := []struct {
		name string
		req  BookRequest
		path string
		code ehrkit.IssueCode
	}{
		{"empty request", BookRequest{}, "start", ehrkit.IssueRequired},
		{"NUL in the type", book("vi\x00sit", "p1", at(monday, "09:00")), "type", ehrkit.IssueValue},
		{"invalid UTF-8 patient id", book("visit", "p\xff", at(monday, "09:00")), "patient", ehrkit.IssueValue},
		{"10 MB patient id", book("visit", patient.ID(huge), at(monday, "09:00")), "patient", ehrkit.IssueValue},
		{"unknown patient", book("visit", "nobody", at(monday, "09:00")), "patient", ehrkit.IssueValue},
		{"NUL in a resource id", book("visit", "p1", at(monday, "09:00"), ehrkit.Ref(Practitioner, "dr\x00a")), "resources[0].id", ehrkit.IssueValue},
		{"resource of no kind", book("visit", "p1", at(monday, "09:00"), ehrkit.Ref("Patient", "dr-a")), "resources[0].type", ehrkit.IssueCodeInvalid},
		{"start in the year 1600", book("visit", "p1", time.Date(1600, 3, 6, 9, 0, 0, 0, time.UTC)), "start", ehrkit.IssueValue},
		{"start in the past", book("visit", "p1", at(monday, "09:00").AddDate(0, 0, -14)), "start", ehrkit.IssueBusinessRule},
		{"start outside availability", book("visit", "p1", at(monday, "03:00")), "start", ehrkit.IssueBusinessRule},
	}
	run(t, func(t *testing.T, f fixture) {
		before := feedLen(t, f.store)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.svc.Book(bg, tt.req)
				requireIssue(t, err, tt.path, tt.code)
				assert.Equal(t, before, feedLen(t, f.store), "nothing written")
			})
		}
	})
}

// feedLen is the number of changes in the store's feed.
func feedLen(t *testing.T, s storage.Store) int {
	t.Helper()
	changes, err := s.Changes(bg, 0, storage.MaxChangeRead)
	require.NoError(t, err)
	return len(changes)
}
