package access_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// encodingEvent is an event with every field set from s.
func encodingEvent(s string, t time.Time) access.Event {
	return access.Event{
		Seq: 42, Time: t, Actor: s, ActorKind: access.PrincipalKind(s), Practitioner: s, OnBehalfOf: s,
		Roles: []string{s, "physician"}, Facility: s, Action: s, Type: s, ID: s, Version: -3, Patient: s,
		Results: []string{"Observation/o1", s}, Purpose: s, Outcome: access.Outcome(s), Reason: s, Grant: s,
		Prev: s, Hash: s,
	}
}

// TestEncodeEventIsJSON checks that the stored encoding of events is what
// encoding/json gives, byte for byte: chains written before keep verifying.
func TestEncodeEventIsJSON(t *testing.T) {
	utc := time.Date(2026, 12, 7, 20, 38, 36, 123456000, time.UTC)
	strs := []string{
		"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>", "tab\tnl\nreturn\rbs\bff\f",
		"\x00\x01\x1f\x7f", "caf\u00e9 \u65e5\u672c \U0001F600", "\u2028\u2029", "bad \xff\xfe utf8 \xe2\x82",
		"\xed\xa0\x80 surrogate", "trailing \xc3",
	}
	events := []access.Event{
		{},
		{Time: utc, Actor: "dr-1", Action: "read", Outcome: access.Success},
		{Seq: 1, Time: utc, Actor: "dr-1", Roles: []string{}, Results: []string{}, Action: "search", Outcome: access.Denied},
		{Seq: 7, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Actor: "a", Action: "read", Version: 9, Outcome: access.Success},
		{Time: time.Date(0, 1, 1, 0, 0, 0, 1, time.UTC), Action: "read"},
		{Time: utc.In(time.FixedZone("x", 3600)), Action: "read"}, // not UTC: encoding/json's path
	}
	for _, s := range strs {
		events = append(events, encodingEvent(s, utc))
	}
	for _, ev := range events {
		want, err := json.Marshal(ev)
		require.NoError(t, err)
		got, err := access.EncodeEvent(ev)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	}
}

// TestEncodeEventRefusesYear checks that a time JSON cannot hold is an
// invalid event, as encoding/json refuses it.
func TestEncodeEventRefusesYear(t *testing.T) {
	_, err := access.EncodeEvent(access.Event{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Action: "read"})
	require.Error(t, err)
}

// FuzzEncodeEvent compares the stored encoding with encoding/json's for
// arbitrary strings and times.
func FuzzEncodeEvent(f *testing.F) {
	f.Add("dr-1", int64(0), int64(1))
	f.Add("<\u2028\xff\"\\\x00", int64(1765139916123456789), int64(-5))
	f.Fuzz(func(t *testing.T, s string, nanos, n int64) {
		ev := encodingEvent(s, time.Unix(0, nanos).UTC())
		ev.Seq, ev.Version = n, n
		want, werr := json.Marshal(ev)
		got, gerr := access.EncodeEvent(ev)
		if werr != nil {
			require.Error(t, gerr)
			return
		}
		require.NoError(t, gerr)
		require.Equal(t, string(want), string(got))
	})
}

// TestDayKeyIsUpdatedKeyPrefix checks that the day of a block's patient
// term is the start of the time key Accounting's prefixes are made from.
func TestDayKeyIsUpdatedKeyPrefix(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 12, 7, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 12, 8, 0, 30, 0, 0, time.FixedZone("x", 3600)), // still the 7th in UTC
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		assert.Equal(t, storage.UpdatedKey(tm)[:10], access.DayKey(tm), tm.String())
	}
}
