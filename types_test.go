package ehrkit_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
)

func TestQuantity(t *testing.T) {
	cases := []struct {
		q    ehrkit.Quantity
		text string
		json string
	}{
		{ehrkit.Qty("0.10", "mg"), "0.10 mg", `{"value":0.10,"unit":"mg"}`},
		{ehrkit.Qty("120", "mm[Hg]"), "120 mm[Hg]", `{"value":120,"unit":"mm[Hg]"}`},
		{ehrkit.Qty("-3.5", ""), "-3.5", `{"value":-3.5}`},
		{ehrkit.Quantity{Value: decimal.RequireFromString("5"), Unit: "mmol/L", Comparator: "<"}, "<5 mmol/L", `{"value":5,"unit":"mmol/L","comparator":"\u003c"}`},
		{ehrkit.Qty("1E3", "g"), "1000 g", `{"value":1000,"unit":"g"}`},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.text, tc.q.String())
		b, err := json.Marshal(tc.q)
		require.NoError(t, err)
		assert.Equal(t, tc.json, string(b), "a JSON number with the decimals given")
		var back ehrkit.Quantity
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, tc.text, back.String(), "precision survives a JSON round trip")
		assert.True(t, tc.q.Value.Equal(back.Value))
		assert.Equal(t, tc.q.Unit, back.Unit)
		assert.Equal(t, tc.q.Comparator, back.Comparator)
	}
	var q ehrkit.Quantity
	require.NoError(t, json.Unmarshal([]byte(`{"value":"0.1","unit":"mg"}`), &q), "a decimal string is accepted")
	assert.Equal(t, "0.1 mg", q.String())
	sum := ehrkit.Qty("0.1", "mg").Value.Add(ehrkit.Qty("0.2", "mg").Value)
	assert.True(t, sum.Equal(decimal.RequireFromString("0.3")), "decimal arithmetic is exact")
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"value":"abc"}`), &q), ehrkit.ErrInvalid)
	assert.Panics(t, func() { ehrkit.Qty("1,5", "mg") })
}

func TestIdentifierAndReference(t *testing.T) {
	id := ehrkit.Identifier{System: "urn:oid:2.16.840.1.113883.4.1", Value: "123"}
	assert.Equal(t, "urn:oid:2.16.840.1.113883.4.1|123", id.Token())
	assert.NoError(t, id.Validate())
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, ehrkit.Identifier{Value: " "}.Validate(), &ve)
	assert.True(t, ve.Has("system", ehrkit.IssueRequired))
	assert.True(t, ve.Has("value", ehrkit.IssueRequired))

	r := ehrkit.Ref("Patient", "p1")
	assert.Equal(t, "Patient/p1", r.String())
	assert.True(t, ehrkit.Reference{}.IsZero())
	assert.Equal(t, "", ehrkit.Reference{}.String())
}

func TestPeriod(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := ehrkit.Period{Start: t0, End: t0.Add(time.Hour)}
	assert.True(t, p.Contains(t0))
	assert.False(t, p.Contains(t0.Add(time.Hour)), "End is exclusive")
	assert.False(t, p.Contains(t0.Add(-time.Nanosecond)))
	assert.True(t, ehrkit.Period{Start: t0}.Contains(t0.Add(1000*time.Hour)), "open end")
	assert.True(t, ehrkit.Period{}.IsZero())
	assert.NoError(t, p.Validate())
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, ehrkit.Period{Start: t0, End: t0.Add(-time.Second)}.Validate(), &ve)
	assert.True(t, ve.Has("end", ehrkit.IssueInvariant))
}

func TestHumanName(t *testing.T) {
	n := ehrkit.HumanName{Given: []string{"Mary", "Ann"}, Family: "O'Neil"}
	assert.Equal(t, "Mary Ann O'Neil", n.Full())
	assert.Equal(t, "Dr. M", ehrkit.HumanName{Text: "Dr. M", Family: "X"}.Full())
	assert.NoError(t, n.Validate())
	err := ehrkit.HumanName{Use: "alias", Period: ehrkit.Period{Start: time.Unix(10, 0), End: time.Unix(5, 0)}}.Validate()
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("family", ehrkit.IssueRequired))
	assert.True(t, ve.Has("use", ehrkit.IssueCodeInvalid))
	assert.True(t, ve.Has("period.end", ehrkit.IssueInvariant))
}

func TestContactPoint(t *testing.T) {
	assert.NoError(t, ehrkit.ContactPoint{System: "phone", Value: "+1 555 0100", Use: "mobile"}.Validate())
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, ehrkit.ContactPoint{System: "pigeon", Use: "cell"}.Validate(), &ve)
	assert.True(t, ve.Has("value", ehrkit.IssueRequired))
	assert.True(t, ve.Has("system", ehrkit.IssueCodeInvalid))
	assert.True(t, ve.Has("use", ehrkit.IssueCodeInvalid))
}

func FuzzQuantityJSON(f *testing.F) {
	for _, s := range []string{`{"value":0.10,"unit":"mg"}`, `{"value":"5","comparator":"<"}`, `{"value":1e400}`, `{"value":null}`, `[]`, `{"value":-0.000}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var q ehrkit.Quantity
		if err := json.Unmarshal([]byte(in), &q); err != nil {
			return
		}
		b, err := json.Marshal(q)
		require.NoError(t, err)
		var back ehrkit.Quantity
		require.NoError(t, json.Unmarshal(b, &back), "a marshalled quantity decodes: %s", b)
		assert.Equal(t, q.String(), back.String(), "a quantity survives a JSON round trip")
	})
}
