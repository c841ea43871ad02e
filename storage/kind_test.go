package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// noteV1 is the first shape of a stored type; noteV2 added Author later and
// noteV3 renamed Text to Body (which needs an Upgrade).
type noteV1 struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type noteV2 struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Author string `json:"author"`
}

type noteV3 struct {
	ID     string `json:"id"`
	Body   string `json:"body"`
	Author string `json:"author"`
}

var notesV1 = storage.Kind[noteV1]{Type: "Note", Version: 1, Meta: func(n *noteV1) storage.Meta {
	return storage.Meta{ID: n.ID, Compartment: "p1", Labels: []string{"sensitive"}, Terms: []storage.Term{{Name: "text", Value: n.Text}}}
}}

var notesV2 = storage.Kind[noteV2]{Type: "Note", Version: 2, Meta: func(n *noteV2) storage.Meta { return storage.Meta{ID: n.ID} }}

var notesV3 = storage.Kind[noteV3]{Type: "Note", Version: 3, Meta: func(n *noteV3) storage.Meta { return storage.Meta{ID: n.ID} },
	Upgrade: func(from int, data json.RawMessage) (json.RawMessage, error) {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, err
		}
		m["body"] = m["text"]
		delete(m, "text")
		return json.Marshal(m)
	}}

func TestKindEncode(t *testing.T) {
	rec, err := notesV1.Encode(&noteV1{ID: "n1", Text: "hello"})
	require.NoError(t, err)
	assert.Equal(t, "Note", rec.Type)
	assert.Equal(t, "n1", rec.ID)
	assert.Equal(t, "p1", rec.Compartment)
	assert.Equal(t, []string{"sensitive"}, rec.Labels)
	assert.Equal(t, []storage.Term{{Name: "text", Value: "hello"}}, rec.Terms)
	assert.JSONEq(t, `{"v":1,"d":{"id":"n1","text":"hello"}}`, string(rec.Value))

	// Byte for byte what encoding/json gives the envelope, so records stored
	// before compare equal (a re-import is Unchanged).
	note := noteV1{ID: "n2", Text: "<a & b> \u2028 é \"q\""}
	rec, err = notesV1.Encode(&note)
	require.NoError(t, err)
	d, err := json.Marshal(note)
	require.NoError(t, err)
	want, err := json.Marshal(struct {
		V int             `json:"v"`
		D json.RawMessage `json:"d"`
	}{1, d})
	require.NoError(t, err)
	assert.Equal(t, string(want), string(rec.Value))

	unversioned := storage.Kind[noteV1]{Type: "Note", Meta: notesV1.Meta}
	rec, err = unversioned.Encode(&noteV1{ID: "n1"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"v":1,"d":{"id":"n1","text":""}}`, string(rec.Value), "Version 0 writes version 1")

	bad := storage.Kind[map[string]any]{Type: "Bad", Meta: func(*map[string]any) storage.Meta { return storage.Meta{ID: "x"} }}
	_, err = bad.Encode(&map[string]any{"f": func() {}})
	assert.ErrorIs(t, err, ehrkit.ErrInvalid, "a value JSON cannot encode")
}

func TestKindDecode(t *testing.T) {
	old, err := notesV1.Encode(&noteV1{ID: "n1", Text: "hello"})
	require.NoError(t, err)

	got, err := notesV1.Decode(old)
	require.NoError(t, err)
	assert.Equal(t, noteV1{ID: "n1", Text: "hello"}, got, "round trip")

	v2, err := notesV2.Decode(old)
	require.NoError(t, err, "a field added later decodes as its zero value from older data")
	assert.Equal(t, noteV2{ID: "n1", Text: "hello"}, v2)

	v3, err := notesV3.Decode(old)
	require.NoError(t, err, "Upgrade rewrites an older encoding")
	assert.Equal(t, noteV3{ID: "n1", Body: "hello"}, v3)

	newer, err := notesV3.Encode(&noteV3{ID: "n1", Body: "x", Author: "dr"})
	require.NoError(t, err)
	_, err = notesV1.Decode(newer)
	assert.ErrorIs(t, err, ehrkit.ErrUnsupported, "an encoding newer than the kind is refused")
	var se *storage.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "n1", se.ID)

	failing := notesV3
	failing.Upgrade = func(int, json.RawMessage) (json.RawMessage, error) { return nil, errors.New("cannot") }
	_, err = failing.Decode(old)
	assert.ErrorIs(t, err, ehrkit.ErrInvalid, "a failing Upgrade")

	for _, value := range []string{``, `not json`, `{"v":1,"d":"a string"}`, `{"v":1}`, `[]`} {
		_, err := notesV1.Decode(storage.Record{Type: "Note", ID: "n1", Value: []byte(value)})
		assert.ErrorIs(t, err, ehrkit.ErrInvalid, "malformed envelope %q", value)
	}
}

func TestKindStore(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(memstore.WithClock(ehrkit.NewFakeClock(testTime)))
	var versions []int64
	err := s.Update(ctx, func(tx storage.Tx) error {
		for _, n := range []noteV1{{ID: "a", Text: "x"}, {ID: "b", Text: "y"}, {ID: "c", Text: "x"}} {
			v, err := notesV1.Put(ctx, tx, &n, 0)
			if err != nil {
				return err
			}
			versions = append(versions, v)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []int64{1, 1, 1}, versions)

	n, version, err := notesV1.Get(ctx, s, "b")
	require.NoError(t, err)
	assert.Equal(t, noteV1{ID: "b", Text: "y"}, n)
	assert.Equal(t, int64(1), version)
	_, _, err = notesV1.Get(ctx, s, "zz")
	assert.ErrorIs(t, err, ehrkit.ErrNotFound)

	err = s.Update(ctx, func(tx storage.Tx) error {
		_, err := notesV1.Put(ctx, tx, &noteV1{ID: "b", Text: "z"}, 0)
		return err
	})
	assert.ErrorIs(t, err, ehrkit.ErrConflict, "Put passes expect on")
	err = s.Update(ctx, func(tx storage.Tx) error {
		_, err := notesV1.Put(ctx, tx, &noteV1{ID: "bad id"}, 0)
		return err
	})
	assert.ErrorIs(t, err, ehrkit.ErrInvalid, "Put passes the store's validation on")

	q := storage.Query{Filters: []storage.Filter{{Term: "text", Op: storage.Eq, Value: "x"}}, Limit: 1}
	page, next, err := notesV1.Query(ctx, s, q)
	require.NoError(t, err)
	assert.Equal(t, []noteV1{{ID: "a", Text: "x"}}, page, "Query sets the type")
	assert.NotEmpty(t, next)

	var all []noteV1
	for n, err := range notesV1.All(ctx, s, q) {
		require.NoError(t, err)
		all = append(all, n)
	}
	assert.Equal(t, []noteV1{{ID: "a", Text: "x"}, {ID: "c", Text: "x"}}, all, "All follows every page")

	for n, err := range notesV1.All(ctx, s, q) {
		assert.Equal(t, "a", n.ID, "All stops when the loop breaks")
		require.NoError(t, err)
		break
	}

	bad := q
	bad.Limit = -1
	var errs []error
	for _, err := range notesV1.All(ctx, s, bad) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1, "All yields a query error once")
	assert.ErrorIs(t, errs[0], ehrkit.ErrInvalid)

	// A record whose value is not a valid envelope fails Get and Query.
	err = s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{Type: "Note", ID: "d", Value: []byte("junk"), Terms: []storage.Term{{Name: "text", Value: "x"}}}, 0)
		return err
	})
	require.NoError(t, err)
	_, _, err = notesV1.Get(ctx, s, "d")
	assert.ErrorIs(t, err, ehrkit.ErrInvalid)
	_, _, err = notesV1.Query(ctx, s, storage.Query{Filters: []storage.Filter{{Term: "text", Op: storage.Eq, Value: "x"}}})
	assert.ErrorIs(t, err, ehrkit.ErrInvalid)
}

func FuzzKindDecode(f *testing.F) {
	for _, seed := range []string{`{"v":1,"d":{"id":"n1","text":"x"}}`, `{"v":9,"d":{}}`, `{"v":0}`, `null`, ``, `{"v":1,"d":[1,2]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		n, err := notesV3.Decode(storage.Record{Type: "Note", ID: "n1", Value: value})
		if err != nil {
			if !errors.Is(err, ehrkit.ErrInvalid) && !errors.Is(err, ehrkit.ErrUnsupported) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		rec, err := notesV3.Encode(&n)
		require.NoError(t, err)
		again, err := notesV3.Decode(rec)
		require.NoError(t, err)
		assert.Equal(t, n, again, "a decoded value survives encode and decode")
	})
}
