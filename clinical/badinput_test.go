package clinical_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/membound"
	"github.com/ehrkit/ehrkit/storage"
)

// badInputBound is what refusing any bad note or form response below may
// allocate beyond the input: validation walks the value once and writes
// nothing.
const badInputBound = 1 << 20

// huge is a 10 MB string, ten times ehrkit.MaxText.
var huge = strings.Repeat("x", 10<<20)

// refusedUnwritten asserts that err is a *ehrkit.ValidationError listing
// want ("path code") and that the store's change feed did not move.
func refusedUnwritten(t *testing.T, s storage.Store, err error, want string) {
	t.Helper()
	assert.Contains(t, issues(t, err), want)
	changes, err := s.Changes(t.Context(), 0, storage.MaxChangeRead)
	require.NoError(t, err)
	assert.Equal(t, 2, len(changes), "nothing written beyond the two test patients")
}

// TestNoteBadInput: every kind of bad input to CreateNote is refused with a
// *ehrkit.ValidationError naming the field, nothing is written, and memory
// stays bounded, on every backend. A note carries no calendar date or
// quantity of its own (its times are the service's clock).
func TestNoteBadInput(t *testing.T) {
	valid := func() clinical.Note {
		return clinical.Note{Patient: "p1", Type: loinc(clinical.LOINCProgressNote, "Progress note"),
			Author: ehrkit.Ref("Practitioner", "prac-1"), Title: "Visit", Text: "Cough for three days."}
	}
	tests := []struct {
		name string
		edit func(n *clinical.Note)
		want string
	}{
		{"empty note", func(n *clinical.Note) { *n = clinical.Note{} }, "patient required"},
		{"10 MB text", func(n *clinical.Note) { n.Text = huge }, "text too-long"},
		{"invalid UTF-8 in the title", func(n *clinical.Note) { n.Title = "Vis\xffit" }, "title value"},
		{"NUL in the text", func(n *clinical.Note) { n.Text = "Cough\x00 for three days." }, "text value"},
		{"NUL in the author id", func(n *clinical.Note) { n.Author = ehrkit.Ref("Practitioner", "prac\x00-1") }, "author.id value"},
	}
	runEnv(t, func(t *testing.T, e env) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				n := valid()
				tt.edit(&n)
				var err error
				membound.Check(t, badInputBound, func() { _, err = e.svc.CreateNote(e.ctx, n) })
				refusedUnwritten(t, e.store, err, tt.want)
			})
		}
	})
}

// TestFormResponseBadInput: every kind of bad input to SubmitResponse is
// refused with a *ehrkit.ValidationError naming the item, nothing is written
// (no response, no extracted observation), and memory stays bounded, on
// every backend.
func TestFormResponseBadInput(t *testing.T) {
	deep := clinical.ResponseItem{LinkID: "reason", Answers: []clinical.Value{clinical.TextValue("x")}}
	for range 100_000 {
		deep = group("measurements", deep)
	}
	tests := []struct {
		name string
		edit func(r *clinical.FormResponse)
		want string
	}{
		{"empty response", func(r *clinical.FormResponse) { *r = clinical.FormResponse{} }, "id value"},
		{"10 MB answer", func(r *clinical.FormResponse) { r.Items[0].Answers[0].Text = huge }, "items[0].answers[0].text too-long"},
		{"invalid UTF-8 in an answer", func(r *clinical.FormResponse) { r.Items[0].Answers[0].Text = "Co\xffugh" }, "items[0].answers[0].text value"},
		{"NUL in an answer", func(r *clinical.FormResponse) { r.Items[0].Answers[0].Text = "Co\x00ugh" }, "items[0].answers[0].text value"},
		// 2023 is no leap year (ISO 8601 calendar): there is no 30 February.
		{"impossible onset date", func(r *clinical.FormResponse) { r.Items[1].Answers[0].Date = ehrkit.NewDate(2023, 2, 30) }, "item[onset].answer[0].date value"},
		{"negative weight", func(r *clinical.FormResponse) { r.Items[2].Items[1].Answers[0].Quantity = qty("-150", "[lb_av]") }, "item[measurements].item[weight].answer[0].quantity.value value"},
		{"100 000 nested groups", func(r *clinical.FormResponse) { r.Items = append(r.Items, deep) }, "item[measurements].item[measurements] structure"},
	}
	runEnv(t, func(t *testing.T, e env) {
		require.NoError(t, e.svc.InstallBuiltinForms(e.ctx))
		before, err := e.store.Changes(t.Context(), 0, storage.MaxChangeRead)
		require.NoError(t, err)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := validIntake()
				r.ID, r.Encounter = "", ""
				tt.edit(&r)
				var err error
				membound.Check(t, badInputBound, func() { _, _, err = e.svc.SubmitResponse(e.ctx, r) })
				assert.Contains(t, issues(t, err), tt.want)
				after, err := e.store.Changes(t.Context(), 0, storage.MaxChangeRead)
				require.NoError(t, err)
				assert.Equal(t, len(before), len(after), "nothing written")
			})
		}
	})
}
