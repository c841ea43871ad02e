package pgstore

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

// TestArrayEncoding checks that each array parameter encodes to the bytes pgx
// sends for the plain slice it replaces, NULLs and empty arrays included, in
// both formats.
func TestArrayEncoding(t *testing.T) {
	at := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	labels := "a,b"
	tests := []struct {
		name       string
		oid        uint32
		array, old any
	}{
		{"text", pgtype.TextArrayOID, array[text]{"obs-1", "", "Zoë"}, []string{"obs-1", "", "Zoë"}},
		{"text empty", pgtype.TextArrayOID, array[text]{}, []string{}},
		{"text null", pgtype.TextArrayOID, array[text](nil), []string(nil)},
		{"text by pointer", pgtype.TextArrayOID, &array[text]{"a"}, []string{"a"}},
		{"text null by pointer", pgtype.TextArrayOID, new(array[text]), []string(nil)},
		{"nullable text", pgtype.TextArrayOID, array[nullText]{{s: labels, valid: true}, {}, {valid: true}}, []*string{&labels, nil, new(string)}},
		{"bigint", pgtype.Int8ArrayOID, array[bigint]{0, 1, 1 << 40, -7}, []int64{0, 1, 1 << 40, -7}},
		{"boolean", pgtype.BoolArrayOID, array[boolean]{true, false}, []bool{true, false}},
		{"timestamptz", pgtype.TimestamptzArrayOID, array[timestamptz]{timestamptz(at), timestamptz(at.Add(time.Hour))}, []time.Time{at, at.Add(time.Hour)}},
		{"bytea", pgtype.ByteaArrayOID, array[bytea]{[]byte("x\x00y"), {}, nil}, [][]byte{[]byte("x\x00y"), {}, nil}},
	}
	m := pgtype.NewMap()
	for _, tc := range tests {
		for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
			want, err := m.Encode(tc.oid, format, tc.old, nil)
			require.NoError(t, err, tc.name)
			got, err := m.Encode(tc.oid, format, tc.array, nil)
			require.NoError(t, err, tc.name)
			require.Equal(t, want, got, "%s, format %d", tc.name, format)
		}
	}
}

// TestScalarEncoding checks the element types used as COPY values against
// the plain values they replace.
func TestScalarEncoding(t *testing.T) {
	at := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	id, version, deleted, value := "obs-1", int64(1<<33), true, []byte(`{"a":1}`)
	var none []byte
	tests := []struct {
		oid        uint32
		value, old any
	}{
		{pgtype.TextOID, (*text)(&id), id},
		{pgtype.Int8OID, (*bigint)(&version), version},
		{pgtype.BoolOID, (*boolean)(&deleted), deleted},
		{pgtype.TimestamptzOID, (*timestamptz)(&at), at},
		{pgtype.ByteaOID, (*bytea)(&value), value},
		{pgtype.ByteaOID, (*bytea)(&none), none},
	}
	m := pgtype.NewMap()
	for _, tc := range tests {
		want, err := m.Encode(tc.oid, pgtype.BinaryFormatCode, tc.old, nil)
		require.NoError(t, err)
		got, err := m.Encode(tc.oid, pgtype.BinaryFormatCode, tc.value, nil)
		require.NoError(t, err)
		require.Equal(t, want, got, "oid %d", tc.oid)
	}
}
