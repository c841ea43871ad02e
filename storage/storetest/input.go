package storetest

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

func testMalformedRecord(t *testing.T, h Harness) {
	s, _ := open(t, h)
	long := strings.Repeat("x", storage.MaxTermValue+1)
	cases := []struct {
		rule string
		rec  storage.Record
		want []ehrkit.Issue
	}{
		{"an empty type and id are rejected", storage.Record{}, []ehrkit.Issue{issue("type", ehrkit.IssueValue), issue("id", ehrkit.IssueValue)}},
		{"a lower-case type is rejected", rec("patient", "p1"), []ehrkit.Issue{issue("type", ehrkit.IssueValue)}},
		{"a type with punctuation is rejected", rec("Pa/tient", "p1"), []ehrkit.Issue{issue("type", ehrkit.IssueValue)}},
		{"an id with a space is rejected", rec("Patient", "p 1"), []ehrkit.Issue{issue("id", ehrkit.IssueValue)}},
		{"an id with a slash is rejected", rec("Patient", "a/b"), []ehrkit.Issue{issue("id", ehrkit.IssueValue)}},
		{"an id of 129 characters is rejected", rec("Patient", strings.Repeat("a", 129)), []ehrkit.Issue{issue("id", ehrkit.IssueValue)}},
		{"a non-ASCII id is rejected", rec("Patient", "pé"), []ehrkit.Issue{issue("id", ehrkit.IssueValue)}},
		{"a malformed compartment is rejected", withComp(rec("Patient", "p1"), "p 1"), []ehrkit.Issue{issue("compartment", ehrkit.IssueValue)}},
		{"a malformed label is rejected", storage.Record{Type: "Patient", ID: "p1", Labels: []string{"ok", "not ok"}}, []ehrkit.Issue{issue("labels[1]", ehrkit.IssueValue)}},
		{"a malformed term name and an oversize term value are rejected", rec("Patient", "p1", term("name", "x"), term("1bad", "y"), term("t", long)), []ehrkit.Issue{issue("terms[1].name", ehrkit.IssueValue), issue("terms[2].value", ehrkit.IssueTooLong)}},
		{"every offending field is named in one error", storage.Record{Type: "x", ID: "", Compartment: "a b", Labels: []string{""}, Terms: []storage.Term{{Name: "", Value: long}}},
			[]ehrkit.Issue{issue("type", ehrkit.IssueValue), issue("id", ehrkit.IssueValue), issue("compartment", ehrkit.IssueValue), issue("labels[0]", ehrkit.IssueValue), issue("terms[0].name", ehrkit.IssueValue), issue("terms[0].value", ehrkit.IssueTooLong)}},
	}
	for _, tc := range cases {
		_, err := tryPut(s, tc.rec, 0)
		validation(t, err, "Put: "+tc.rule, tc.want...)
		_, err = tryPut(s, tc.rec, storage.Any)
		validation(t, err, "Put with expect Any: "+tc.rule, tc.want...)
	}
	assert.Empty(t, changesSince(t, s, 0), "rule: rejected writes append nothing to the change feed")
	page, err := s.Query(context.Background(), storage.Query{Type: "Patient"})
	require.NoError(t, err, "rule: Query succeeds")
	assert.Empty(t, page.Records, "rule: nothing malformed is stored")
}

func testMalformedKey(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	want := []ehrkit.Issue{issue("type", ehrkit.IssueValue), issue("id", ehrkit.IssueValue)}
	_, err := s.Get(ctx, "bad type", "bad id")
	validation(t, err, "Get with a malformed type and id", want...)
	_, err = s.GetVersion(ctx, "bad type", "bad id", 1)
	validation(t, err, "GetVersion with a malformed type and id", want...)
	_, err = s.History(ctx, "bad type", "bad id")
	validation(t, err, "History with a malformed type and id", want...)
	err = s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Get(ctx, "bad type", "bad id")
		validation(t, err, "Tx.Get with a malformed type and id", want...)
		err = tx.Delete(ctx, "bad type", "bad id", storage.Any)
		validation(t, err, "Delete with a malformed type and id", want...)
		return nil
	})
	require.NoError(t, err, "rule: the transaction commits")
}

func testMalformedQuery(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	long := strings.Repeat("x", storage.MaxTermValue+1)
	cases := []struct {
		rule string
		q    storage.Query
		want []ehrkit.Issue
	}{
		{"a query needs a type or a compartment", storage.Query{}, []ehrkit.Issue{issue("type", ehrkit.IssueRequired)}},
		{"a malformed type is rejected", storage.Query{Type: "obs"}, []ehrkit.Issue{issue("type", ehrkit.IssueValue)}},
		{"a malformed compartment is rejected", storage.Query{Compartment: "p 1"}, []ehrkit.Issue{issue("compartment", ehrkit.IssueValue)}},
		{"a negative limit is rejected", storage.Query{Type: "Obs", Limit: -1}, []ehrkit.Issue{issue("limit", ehrkit.IssueValue)}},
		{"a limit above MaxLimit is rejected", storage.Query{Type: "Obs", Limit: storage.MaxLimit + 1}, []ehrkit.Issue{issue("limit", ehrkit.IssueValue)}},
		{"a malformed sort key is rejected", storage.Query{Type: "Obs", SortBy: "no sort"}, []ehrkit.Issue{issue("sortBy", ehrkit.IssueValue)}},
		{"malformed filters are rejected, each by its index", storage.Query{Type: "Obs", Filters: []storage.Filter{
			{Term: "code", Op: storage.Eq, Value: "a"}, {Term: "", Op: storage.Eq}, {Term: "code", Op: "like"}, {Term: "code", Op: storage.Prefix, Value: long}}},
			[]ehrkit.Issue{issue("filters[1].term", ehrkit.IssueValue), issue("filters[2].op", ehrkit.IssueCodeInvalid), issue("filters[3].value", ehrkit.IssueTooLong)}},
		{"every offending field is named in one error", storage.Query{Type: "o", Compartment: "a b", Limit: -5, SortBy: "?", Cursor: "junk", Filters: []storage.Filter{{Term: "?", Op: "?"}}},
			[]ehrkit.Issue{issue("type", ehrkit.IssueValue), issue("compartment", ehrkit.IssueValue), issue("limit", ehrkit.IssueValue), issue("sortBy", ehrkit.IssueValue), issue("cursor", ehrkit.IssueValue), issue("filters[0].term", ehrkit.IssueValue), issue("filters[0].op", ehrkit.IssueCodeInvalid)}},
	}
	for _, tc := range cases {
		_, err := s.Query(ctx, tc.q)
		validation(t, err, "Query: "+tc.rule, tc.want...)
		err = s.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Query(ctx, tc.q)
			validation(t, err, "Tx.Query: "+tc.rule, tc.want...)
			return nil
		})
		require.NoError(t, err, "rule: the transaction commits")
	}
}

func testMalformedEvent(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	err := s.Update(ctx, func(tx storage.Tx) error {
		return tx.Emit(ctx, storage.Event{Compartment: "p 1", Payload: make([]byte, storage.MaxValueSize+1)})
	})
	validation(t, err, "Emit of a malformed event", issue("topic", ehrkit.IssueRequired), issue("compartment", ehrkit.IssueValue), issue("payload", ehrkit.IssueTooLong))
	assert.Empty(t, changesSince(t, s, 0), "rule: a rejected event appends nothing to the change feed")
}

func testValueSize(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	_, err := tryPut(s, storage.Record{Type: "Blob", ID: "big", Value: make([]byte, storage.MaxValueSize+1)}, 0)
	validation(t, err, "a value larger than MaxValueSize is rejected", issue("value", ehrkit.IssueTooLong))
	_, err = s.Get(ctx, "Blob", "big")
	assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: a rejected value is not stored")

	max := bytes.Repeat([]byte{0xA5}, storage.MaxValueSize)
	put(t, s, storage.Record{Type: "Blob", ID: "max", Value: max}, 0)
	got, err := s.Get(ctx, "Blob", "max")
	require.NoError(t, err, "rule: a value of exactly MaxValueSize is stored")
	sameBytes(t, max, got.Value, "rule: a value of MaxValueSize round-trips")
}

// scripts are term and value texts in several scripts, with combining marks,
// emoji and characters that are special in SQL LIKE patterns.
var scripts = []string{
	"100%_sure",
	"Zoë",
	"Ångström",
	"Ñandú",
	"müller",
	"Ελληνικά",
	"Дмитрий",
	"עברית",
	"العربية",
	"हिन्दी",
	"ไทย",
	"山田太郎",
	"김민준",
	"🩺🧬",
	"👩🏽‍⚕️",
}

func testUnicode(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	var recs []storage.Record
	for i, text := range scripts {
		// Ids are ASCII (ValidID); everything else carries the text.
		id := string(rune('a' + i))
		recs = append(recs, storage.Record{
			Type: "Name", ID: id, Compartment: "p1",
			Terms: []storage.Term{term("name", text), term("first", string([]rune(text)[:1]))},
			Value: []byte(`{"name":"` + text + `"}`),
		})
	}
	putAll(t, s, recs...)
	err := s.Update(ctx, func(tx storage.Tx) error {
		return tx.Emit(ctx, storage.Event{Topic: "name.added", Key: "key-" + scripts[13], Payload: []byte(strings.Join(scripts, "|"))})
	})
	require.NoError(t, err, "rule: an event with a unicode key and payload is accepted")

	for _, want := range recs {
		got, err := s.Get(ctx, "Name", want.ID)
		if assert.NoError(t, err, "rule: Get returns a record with unicode content") {
			sameBytes(t, want.Value, got.Value, "rule: unicode values round-trip byte-exact")
			assert.ElementsMatch(t, want.Terms, got.Terms, "rule: unicode term values round-trip")
		}
		page, err := s.Query(ctx, storage.Query{Type: "Name", Filters: []storage.Filter{{Term: "name", Op: storage.Eq, Value: want.Terms[0].Value}}})
		if assert.NoError(t, err, "rule: Query succeeds") {
			assert.Equal(t, []string{storage.Describe(want)}, ids(page.Records), "rule: eq matches a unicode value exactly (%s)", want.Terms[0].Value)
		}
		first := want.Terms[1].Value
		var wantPrefix []string
		for _, r := range recs {
			if strings.HasPrefix(r.Terms[0].Value, first) {
				wantPrefix = append(wantPrefix, storage.Describe(r))
			}
		}
		page, err = s.Query(ctx, storage.Query{Type: "Name", Filters: []storage.Filter{{Term: "name", Op: storage.Prefix, Value: first}}})
		if assert.NoError(t, err, "rule: Query succeeds") {
			assert.Equal(t, wantPrefix, ids(page.Records), "rule: prefix matches by bytes, including multi-byte characters (%s)", first)
		}
	}
	// Case and accents are significant: terms are compared as byte strings.
	for _, v := range []string{"zoë", "Zoe", "ZOË", "ångström"} {
		page, err := s.Query(ctx, storage.Query{Type: "Name", Filters: []storage.Filter{{Term: "name", Op: storage.Eq, Value: v}}})
		if assert.NoError(t, err, "rule: Query succeeds") {
			assert.Empty(t, page.Records, "rule: eq compares bytes, not folded text (%s)", v)
		}
	}
	var wantOrder []string
	for _, text := range sorted(scripts) {
		for _, r := range recs {
			if r.Terms[0].Value == text {
				wantOrder = append(wantOrder, storage.Describe(r))
			}
		}
	}
	got := queryAll(t, s, storage.Query{Type: "Name", SortBy: "name", Limit: 4})
	assert.Equal(t, wantOrder, ids(got), "rule: terms sort as byte strings (no collation)")
	page, err := s.Query(ctx, storage.Query{Type: "Name", Filters: []storage.Filter{{Term: "name", Op: storage.Gt, Value: "Ω"}}, Limit: storage.MaxLimit})
	if assert.NoError(t, err, "rule: Query succeeds") {
		var want []string
		for _, r := range recs {
			if r.Terms[0].Value > "Ω" {
				want = append(want, storage.Describe(r))
			}
		}
		assert.Equal(t, want, ids(page.Records), "rule: gt compares unicode values as byte strings")
	}
	cs := changesSince(t, s, 0)
	if assert.NotEmpty(t, cs, "rule: the feed holds the event") {
		ev := cs[len(cs)-1]
		assert.Equal(t, "key-"+scripts[13], ev.Key, "rule: event keys round-trip")
		sameBytes(t, []byte(strings.Join(scripts, "|")), ev.Payload, "rule: event payloads round-trip byte-exact")
	}
}

// testLargeValue stores a 1 MB value of arbitrary bytes (NUL, invalid UTF-8,
// unicode text): values are opaque bytes and round-trip exactly.
func testLargeValue(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	value := make([]byte, 0, 1<<20)
	text := []byte(strings.Join(scripts, " "))
	for len(value) < 1<<20 {
		if rng.IntN(2) == 0 {
			value = append(value, text...)
		} else {
			for range 256 {
				value = append(value, byte(rng.Uint32()))
			}
		}
	}
	value = append(value[:1<<20-2], 0, 0xff)
	put(t, s, storage.Record{Type: "Blob", ID: "mb", Value: value}, 0)
	got, err := s.Get(ctx, "Blob", "mb")
	require.NoError(t, err, "rule: Get returns a 1 MB value")
	sameBytes(t, value, got.Value, "rule: a 1 MB value of arbitrary bytes round-trips byte-exact through Get")
	hist, err := s.History(ctx, "Blob", "mb")
	require.NoError(t, err, "rule: History succeeds")
	sameBytes(t, value, hist[0].Value, "rule: a 1 MB value round-trips byte-exact through History")
	page, err := s.Query(ctx, storage.Query{Type: "Blob"})
	require.NoError(t, err, "rule: Query succeeds")
	require.Len(t, page.Records, 1, "rule: Query finds the record")
	sameBytes(t, value, page.Records[0].Value, "rule: a 1 MB value round-trips byte-exact through Query")
	put(t, s, storage.Record{Type: "Blob", ID: "empty"}, 0)
	got, err = s.Get(ctx, "Blob", "empty")
	require.NoError(t, err, "rule: an empty value is stored")
	assert.Empty(t, got.Value, "rule: an empty value round-trips")
}
