package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// requireIssues checks that err is one *ehrkit.ValidationError with exactly the
// given "path code" issues.
func requireIssues(t *testing.T, err error, want ...string) {
	t.Helper()
	if len(want) == 0 {
		require.NoError(t, err)
		return
	}
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	require.ErrorIs(t, err, ehrkit.ErrInvalid)
	var got []string
	for _, is := range ve.Issues {
		got = append(got, fmt.Sprintf("%s %s", is.Path, is.Code))
	}
	assert.ElementsMatch(t, want, got)
}

func TestValidateRecord(t *testing.T) {
	long := strings.Repeat("x", storage.MaxTermValue+1)
	ok := storage.Record{Type: "MedicationRequest", ID: "A-z.0_9~:|@+=", Compartment: "p1",
		Labels: []string{"sensitive", "42CFRPart2"}, Terms: []storage.Term{{Name: "code", Value: long[:storage.MaxTermValue]}},
		Value: make([]byte, storage.MaxValueSize)}
	cases := []struct {
		name   string
		change func(r *storage.Record)
		want   []string
	}{
		{"valid", func(*storage.Record) {}, nil},
		{"empty type and id", func(r *storage.Record) { r.Type, r.ID = "", "" }, []string{"type value", "id value"}},
		{"lower-case type", func(r *storage.Record) { r.Type = "patient" }, []string{"type value"}},
		{"type of 65 characters", func(r *storage.Record) { r.Type = "P" + strings.Repeat("a", 64) }, []string{"type value"}},
		{"id of 128 characters", func(r *storage.Record) { r.ID = strings.Repeat("a", 128) }, nil},
		{"id of 129 characters", func(r *storage.Record) { r.ID = strings.Repeat("a", 129) }, []string{"id value"}},
		{"id with a slash", func(r *storage.Record) { r.ID = "a/b" }, []string{"id value"}},
		{"non-ASCII id", func(r *storage.Record) { r.ID = "ü" }, []string{"id value"}},
		{"compartment", func(r *storage.Record) { r.Compartment = "a b" }, []string{"compartment value"}},
		{"labels", func(r *storage.Record) { r.Labels = []string{"ok", "", "a b"} }, []string{"labels[1] value", "labels[2] value"}},
		{"terms", func(r *storage.Record) {
			r.Terms = []storage.Term{{Name: "ok"}, {Name: "9x"}, {Name: "t", Value: long}}
		}, []string{"terms[1].name value", "terms[2].value too-long"}},
		{"too many terms", func(r *storage.Record) { r.Terms = make([]storage.Term, storage.MaxTerms+1) }, nil},
		{"value", func(r *storage.Record) { r.Value = make([]byte, storage.MaxValueSize+1) }, []string{"value too-long"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.change(&r)
			err := storage.ValidateRecord(r)
			if tc.name == "too many terms" {
				var ve *ehrkit.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.True(t, ve.Has("terms", ehrkit.IssueTooLong))
				assert.True(t, ve.Has("terms[0].name", ehrkit.IssueValue))
				return
			}
			requireIssues(t, err, tc.want...)
		})
	}
	requireIssues(t, storage.ValidateKey("x", ""), "type value", "id value")
	requireIssues(t, storage.ValidateKey("Patient", "p1"))
}

func TestValidateQuery(t *testing.T) {
	q := storage.Query{Type: "Obs", Filters: []storage.Filter{{Term: "code", Op: storage.Eq, Value: "x"}}, Limit: 2}
	q.Cursor = storage.EncodeCursor(q, storage.Position{ID: "a"})
	long := strings.Repeat("x", storage.MaxTermValue+1)
	cases := []struct {
		name string
		q    storage.Query
		want []string
	}{
		{"valid", q, nil},
		{"compartment only", storage.Query{Compartment: "p1", SortBy: storage.SortUpdated}, nil},
		{"neither type nor compartment", storage.Query{}, []string{"type required"}},
		{"malformed type and compartment", storage.Query{Type: "o", Compartment: "a b"}, []string{"type value", "compartment value"}},
		{"limits", storage.Query{Type: "Obs", Limit: storage.MaxLimit + 1}, []string{"limit value"}},
		{"negative limit", storage.Query{Type: "Obs", Limit: -1}, []string{"limit value"}},
		{"sort", storage.Query{Type: "Obs", SortBy: "a b"}, []string{"sortBy value"}},
		{"filters", storage.Query{Type: "Obs", Filters: []storage.Filter{{Term: "", Op: "x", Value: long}}},
			[]string{"filters[0].term value", "filters[0].op code-invalid", "filters[0].value too-long"}},
		{"cursor of another query", storage.Query{Type: "Cond", Cursor: q.Cursor}, []string{"cursor value"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { requireIssues(t, storage.ValidateQuery(tc.q), tc.want...) })
	}
	assert.Equal(t, storage.DefaultLimit, storage.PageSize(storage.Query{}))
	assert.Equal(t, 7, storage.PageSize(storage.Query{Limit: 7}))
}

func TestValidateEvent(t *testing.T) {
	requireIssues(t, storage.ValidateEvent(storage.Event{Topic: "schedule.reminder", Key: "k", Compartment: "p1", Payload: []byte("{}")}))
	requireIssues(t, storage.ValidateEvent(storage.Event{Compartment: "a b", Key: strings.Repeat("k", storage.MaxTermValue+1), Payload: make([]byte, storage.MaxValueSize+1)}),
		"topic required", "compartment value", "key too-long", "payload too-long")
}

func TestErrors(t *testing.T) {
	cause := errors.New("driver: disk full")
	err := storage.Errorf("put", "Patient", "p1", ehrkit.ErrConflict, "wrapped: %w", cause)
	assert.ErrorIs(t, err, ehrkit.ErrConflict)
	assert.ErrorIs(t, err, cause, "the cause stays reachable")
	var se *storage.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "put", se.Op)
	assert.Equal(t, "Patient", se.Type)
	assert.Equal(t, "p1", se.ID)

	assert.ErrorIs(t, storage.NotFound("get", "Patient", "p1"), ehrkit.ErrNotFound)
	conflict := storage.Conflict("put", "Patient", "p1", 1, 2)
	assert.ErrorIs(t, conflict, ehrkit.ErrConflict)
	assert.NotErrorIs(t, conflict, ehrkit.ErrNotFound)
	assert.ErrorIs(t, storage.Closed("get"), storage.ErrClosed)

	ctx, cancel := context.WithCancel(context.Background())
	assert.NoError(t, storage.Ctx(ctx, "get"))
	cancel()
	assert.ErrorIs(t, storage.Ctx(ctx, "get"), context.Canceled)

	// Error text names the operation and the record, never a value.
	v := storage.ValidateRecord(storage.Record{Type: "Patient", ID: "p1", Labels: []string{"Jane Doe"}})
	wrapped := &storage.Error{Op: "put", Type: "Patient", ID: "p1", Kind: ehrkit.ErrInvalid, Cause: v}
	assert.NotContains(t, wrapped.Error(), "Jane")
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, wrapped, &ve, "a validation cause is reachable with errors.As")
	assert.True(t, ve.Has("labels[0]", ehrkit.IssueValue))
}

func TestRecordHelpers(t *testing.T) {
	r := storage.Record{Type: "Patient", ID: "p1", Labels: []string{"sensitive"}}
	assert.True(t, r.HasLabel("sensitive"))
	assert.False(t, r.HasLabel("R"))
	assert.Equal(t, "Patient/p1", storage.Describe(r))
}

func TestFeedPosition(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(memstore.WithClock(ehrkit.NewFakeClock(testTime)))
	feed, err := storage.NewFeed(s, "mailer", 0)
	require.NoError(t, err)
	after, version, err := feed.Position(ctx)
	require.NoError(t, err)
	assert.Zero(t, after, "a new consumer starts at the beginning")
	assert.Zero(t, version)

	n, err := feed.Poll(ctx, func(context.Context, []storage.Change) error {
		t.Fatal("the handler is not called without changes")
		return nil
	})
	require.NoError(t, err)
	assert.Zero(t, n)

	err = s.Update(ctx, func(tx storage.Tx) error {
		for i := range 150 {
			if err := tx.Emit(ctx, storage.Event{Topic: "t", Key: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	n, err = feed.Poll(ctx, func(context.Context, []storage.Change) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, 100, n, "batch 0 means 100")

	// Two pollers of one name: the one holding a stale checkpoint version loses.
	stale, err := storage.NewFeed(s, "mailer", 10)
	require.NoError(t, err)
	_, err = stale.Poll(ctx, func(ctx context.Context, _ []storage.Change) error {
		_, err := feed.Poll(ctx, func(context.Context, []storage.Change) error { return nil })
		return err
	})
	assert.ErrorIs(t, err, ehrkit.ErrConflict)

	// A corrupt checkpoint is reported, not silently reset.
	err = s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{Type: storage.CheckpointType, ID: "mailer", Value: []byte("junk")}, storage.Any)
		return err
	})
	require.NoError(t, err)
	_, _, err = feed.Position(ctx)
	assert.ErrorIs(t, err, ehrkit.ErrInvalid)

	require.NoError(t, s.Close())
	_, err = feed.Poll(ctx, func(context.Context, []storage.Change) error { return nil })
	assert.ErrorIs(t, err, storage.ErrClosed)
}
