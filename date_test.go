package ehrkit_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
)

func TestParseDate(t *testing.T) {
	cases := []struct {
		in        string
		precision ehrkit.Precision
		y         int
		m         time.Month
		d         int
	}{
		{"1970", ehrkit.PrecisionYear, 1970, time.January, 1},
		{"1970-05", ehrkit.PrecisionMonth, 1970, time.May, 1},
		{"1970-05-17", ehrkit.PrecisionDay, 1970, time.May, 17},
		{"2024-02-29", ehrkit.PrecisionDay, 2024, time.February, 29},
		{"0001-01-01", ehrkit.PrecisionDay, 1, time.January, 1},
		{"9999-12-31", ehrkit.PrecisionDay, 9999, time.December, 31},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			d, err := ehrkit.ParseDate(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.precision, d.Precision())
			assert.Equal(t, []int{tc.y, int(tc.m), tc.d}, []int{d.Year(), int(d.Month()), d.Day()})
			assert.Equal(t, tc.in, d.String(), "String renders the parsed precision")
			assert.NoError(t, d.Validate())
			assert.False(t, d.IsZero())
		})
	}
	for _, in := range []string{"", "70", "19700", "1970-5", "1970-13", "1970-00", "2023-02-29", "1970-04-31", "1970/05/17", "1970-05-17T00:00", "0000", "0000-01-01", "abcd", "１９７０"} {
		_, err := ehrkit.ParseDate(in)
		assert.ErrorIs(t, err, ehrkit.ErrInvalid, "ParseDate(%q)", in)
	}
	assert.Panics(t, func() { ehrkit.MustDate("1970-02-30") })
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"1970", "1970-05", "1970-05-17", "2023-02-29", "0000", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ehrkit.ParseDate(s)
		if err != nil {
			assert.ErrorIs(t, err, ehrkit.ErrInvalid)
			return
		}
		assert.Equal(t, s, d.String(), "a parsed date renders as its input")
		assert.NoError(t, d.Validate())
		again, err := ehrkit.ParseDate(d.String())
		require.NoError(t, err)
		assert.Equal(t, d, again)
	})
}

func TestDateConstructors(t *testing.T) {
	assert.Equal(t, "1980", ehrkit.YearOnly(1980).String())
	assert.Equal(t, "1980-03", ehrkit.YearMonth(1980, time.March).String())
	assert.Equal(t, "1980-03-09", ehrkit.NewDate(1980, time.March, 9).String())
	loc := time.FixedZone("UTC-10", -10*3600)
	assert.Equal(t, "2026-01-01", ehrkit.DateOf(time.Date(2026, 1, 1, 23, 0, 0, 0, loc)).String(), "the date in t's own location")
	var zero ehrkit.Date
	assert.True(t, zero.IsZero())
	assert.Equal(t, "", zero.String())
	assert.NoError(t, zero.Validate(), "no date is valid")

	for _, d := range []ehrkit.Date{ehrkit.NewDate(2023, time.February, 29), ehrkit.NewDate(2023, 13, 1), ehrkit.NewDate(0, 1, 1), ehrkit.NewDate(10000, 1, 1)} {
		err := d.Validate()
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve, "%v is not a calendar date", d)
		assert.True(t, ve.Has("", ehrkit.IssueValue))
	}
}

func TestDateRange(t *testing.T) {
	utc := time.UTC
	cases := []struct {
		d          ehrkit.Date
		start, end string
	}{
		{ehrkit.YearOnly(2024), "2024-01-01", "2025-01-01"},
		{ehrkit.YearMonth(2024, time.February), "2024-02-01", "2024-03-01"},
		{ehrkit.YearMonth(2024, time.December), "2024-12-01", "2025-01-01"},
		{ehrkit.NewDate(2024, time.February, 29), "2024-02-29", "2024-03-01"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.start, tc.d.Start(utc).Format(time.DateOnly), "Start of %v", tc.d)
		assert.Equal(t, tc.end, tc.d.End(utc).Format(time.DateOnly), "End of %v", tc.d)
	}
	loc := time.FixedZone("UTC+9", 9*3600)
	assert.Equal(t, loc, ehrkit.NewDate(2024, 1, 1).Start(loc).Location())
}

func TestDateCompare(t *testing.T) {
	ordered := []ehrkit.Date{
		{},
		ehrkit.YearOnly(1969),
		ehrkit.NewDate(1969, time.December, 31),
		ehrkit.YearOnly(1970),
		ehrkit.YearMonth(1970, time.January),
		ehrkit.NewDate(1970, time.January, 1),
		ehrkit.NewDate(1970, time.January, 2),
		ehrkit.YearMonth(1970, time.February),
		ehrkit.NewDate(1970, time.February, 1),
	}
	for i := range ordered {
		for j := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			assert.Equal(t, want, ordered[i].Compare(ordered[j]), "Compare(%q, %q)", ordered[i], ordered[j])
			assert.Equal(t, want < 0, ordered[i].Before(ordered[j]))
		}
	}
}

func TestAgeAt(t *testing.T) {
	cases := []struct {
		born, at string
		age      int
	}{
		{"1970-05-17", "2020-05-16", 49},
		{"1970-05-17", "2020-05-17", 50},
		{"1970-05-17", "2020-06-01", 50},
		{"2000-02-29", "2021-02-28", 20},
		{"2000-02-29", "2021-03-01", 21},
		{"2000-02-29", "2024-02-29", 24},
		{"2020-01-01", "2020-12-31", 0},
		{"1970", "2020-01-01", 50},
		{"1970-05", "2020-04-30", 49},
		{"1970-05", "2020-05-01", 50},
		{"1970-05-17", "2020", 49},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.age, ehrkit.MustDate(tc.born).AgeAt(ehrkit.MustDate(tc.at)), "born %s at %s", tc.born, tc.at)
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		Birth ehrkit.Date  `json:"birth"`
		Onset ehrkit.Date  `json:"onset"`
		Death *ehrkit.Date `json:"death,omitempty"`
	}
	in := doc{Birth: ehrkit.MustDate("1970-05"), Onset: ehrkit.Date{}}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"birth":"1970-05","onset":null}`, string(b))
	var out doc
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)
	assert.Equal(t, ehrkit.PrecisionMonth, out.Birth.Precision())

	require.NoError(t, json.Unmarshal([]byte(`{"birth":"","onset":"2001"}`), &out))
	assert.True(t, out.Birth.IsZero(), "an empty string is no date")
	assert.Equal(t, ehrkit.YearOnly(2001), out.Onset)

	for _, bad := range []string{`{"birth":"1970-02-30"}`, `{"birth":19700101}`, `{"birth":"May 1970"}`} {
		assert.ErrorIs(t, json.Unmarshal([]byte(bad), &out), ehrkit.ErrInvalid, bad)
	}
	err = json.Unmarshal([]byte(`{"birth":"1970-02-30"}`), &out)
	assert.ErrorIs(t, err, ehrkit.ErrInvalid)
}
