package rx_test

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/membound"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
)

// badInputBound is what refusing any bad order below may allocate beyond the
// input: validation walks the order once, before any store access.
const badInputBound = 1 << 20

// feedLen is the number of changes in the store's feed.
func feedLen(t *testing.T, s storage.Store) int {
	t.Helper()
	changes, err := s.Changes(t.Context(), 0, storage.MaxChangeRead)
	require.NoError(t, err)
	return len(changes)
}

// TestOrderEntryBadInput: every kind of bad input to Draft (order entry) and
// Sign is refused with a *ehrkit.ValidationError naming the field, nothing
// is written (the change feed does not move), and memory stays bounded, on
// every backend. An order carries no calendar date (its times are the
// service's clock), so no impossible-date row.
func TestOrderEntryBadInput(t *testing.T) {
	huge := strings.Repeat("x", 10<<20)
	drafts := []struct {
		name string
		edit func(o *rx.Order)
		path string
		code ehrkit.IssueCode
	}{
		{"empty order", func(o *rx.Order) { *o = rx.Order{} }, "patient", ehrkit.IssueRequired},
		{"10 MB note", func(o *rx.Order) { o.Note = huge }, "note", ehrkit.IssueTooLong},
		{"10 MB instructions", func(o *rx.Order) { o.Medication.Instructions = huge }, "medication.instructions", ehrkit.IssueTooLong},
		{"invalid UTF-8 in the note", func(o *rx.Order) { o.Note = "take w\xffith food" }, "note", ehrkit.IssueValue},
		{"NUL in the instructions", func(o *rx.Order) { o.Medication.Instructions = "one\x00 daily" }, "medication.instructions", ehrkit.IssueValue},
		{"NUL in the route", func(o *rx.Order) { o.Medication.Route = "or\x00al" }, "medication.route", ehrkit.IssueValue},
		{"NUL in the patient id", func(o *rx.Order) { o.Patient = "p\x001" }, "patient", ehrkit.IssueValue},
		{"negative dose", func(o *rx.Order) { o.Medication.Dose = ehrkit.Qty("-1", "{tablet}") }, "medication.dose.value", ehrkit.IssueValue},
		{"negative quantity", func(o *rx.Order) { o.Medication.Quantity = ehrkit.Qty("-30", "{tablet}") }, "medication.quantity.value", ehrkit.IssueValue},
		{"negative frequency", func(o *rx.Order) { o.Medication.FrequencyPerDay = decimal.NewFromInt(-2) }, "medication.frequencyPerDay", ehrkit.IssueValue},
		{"negative duration", func(o *rx.Order) { o.Medication.DurationDays = -30 }, "medication.durationDays", ehrkit.IssueValue},
		{"negative refills", func(o *rx.Order) { o.Medication.Refills = -1 }, "medication.refills", ehrkit.IssueValue},
	}
	signs := []struct {
		name, id, reason string
		path             string
		code             ehrkit.IssueCode
	}{
		{"empty id", "", "", "id", ehrkit.IssueValue},
		{"10 MB id", huge, "", "id", ehrkit.IssueValue},
		{"NUL in the id", "o-\x00", "", "id", ehrkit.IssueValue},
		{"invalid UTF-8 id", "o-\xff", "", "id", ehrkit.IssueValue},
		{"10 MB override reason", "", huge, "override.reason", ehrkit.IssueTooLong},
		{"NUL in the override reason", "", "benefit\x00 outweighs risk", "override.reason", ehrkit.IssueValue},
	}
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		ctx := user("u-dr", "physician")
		for _, tt := range drafts {
			t.Run("Draft "+tt.name, func(t *testing.T) {
				before := feedLen(t, s)
				o := medOrder(simvastatin, "Simvastatin 20 MG Oral Tablet")
				tt.edit(&o)
				var err error
				membound.Check(t, badInputBound, func() { _, err = svc.Draft(ctx, o) })
				var ve *ehrkit.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.True(t, ve.Has(tt.path, tt.code), "want %s %s in %v", tt.path, tt.code, ve.Issues)
				assert.Equal(t, before, feedLen(t, s), "nothing written")
			})
		}
		// Simvastatin and clarithromycin are contraindicated together
		// (simvastatin label section 4): signing the second needs an override.
		first, err := svc.Draft(ctx, medOrder(simvastatin, ""))
		require.NoError(t, err)
		_, err = svc.Sign(ctx, first.ID, "")
		require.NoError(t, err)
		second, err := svc.Draft(ctx, medOrder(clarithromycin, ""))
		require.NoError(t, err)
		for _, tt := range signs {
			t.Run("Sign "+tt.name, func(t *testing.T) {
				before := feedLen(t, s)
				id := tt.id
				if tt.reason != "" {
					id = second.ID
				}
				var err error
				membound.Check(t, badInputBound, func() { _, err = svc.Sign(ctx, id, tt.reason) })
				var ve *ehrkit.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.True(t, ve.Has(tt.path, tt.code), "want %s %s in %v", tt.path, tt.code, ve.Issues)
				assert.Equal(t, before, feedLen(t, s), "nothing written")
			})
		}
		got, err := svc.Get(ctx, second.ID)
		require.NoError(t, err)
		assert.Equal(t, rx.Draft, got.Status, "the order refused at signing is still a draft")
	})
}
