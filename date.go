package ehrkit

import (
	"encoding/json"
	"fmt"
	"time"
)

// Precision says how much of a Date is known.
type Precision uint8

// Date precisions.
const (
	PrecisionNone  Precision = iota // the zero Date: no date
	PrecisionYear                   // "1970"
	PrecisionMonth                  // "1970-05"
	PrecisionDay                    // "1970-05-01"
)

// Date is a calendar date that may be partial (FHIR date): a year, a year and
// month, or a full date. It has no time and no zone. The zero value is "no date".
// Dates compare and sort by their earliest possible day.
type Date struct {
	year      int
	month     time.Month
	day       int
	precision Precision
}

// NewDate returns the full date y-m-d. It does not normalise: use ParseDate or
// Validate to reject impossible dates.
func NewDate(y int, m time.Month, d int) Date {
	return Date{year: y, month: m, day: d, precision: PrecisionDay}
}

// YearOnly returns a year-precision date.
func YearOnly(y int) Date { return Date{year: y, month: 1, day: 1, precision: PrecisionYear} }

// YearMonth returns a month-precision date.
func YearMonth(y int, m time.Month) Date {
	return Date{year: y, month: m, day: 1, precision: PrecisionMonth}
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return NewDate(y, m, d)
}

// ParseDate parses "YYYY", "YYYY-MM" or "YYYY-MM-DD" and rejects impossible
// dates, including the year 0000 (FHIR dates start at year 1).
func ParseDate(s string) (Date, error) {
	var layout string
	var p Precision
	switch len(s) {
	case 4:
		layout, p = "2006", PrecisionYear
	case 7:
		layout, p = "2006-01", PrecisionMonth
	case 10:
		layout, p = "2006-01-02", PrecisionDay
	default:
		return Date{}, fmt.Errorf("%w: date must be YYYY, YYYY-MM or YYYY-MM-DD", ErrInvalid)
	}
	t, err := time.Parse(layout, s)
	if err != nil || t.Year() < 1 {
		return Date{}, fmt.Errorf("%w: malformed date", ErrInvalid)
	}
	y, m, d := t.Date()
	return Date{year: y, month: m, day: d, precision: p}, nil
}

// MustDate is ParseDate for literals; it panics on error.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is "no date".
func (d Date) IsZero() bool { return d.precision == PrecisionNone }

// Precision reports how much of d is known.
func (d Date) Precision() Precision { return d.precision }

// Year returns the year.
func (d Date) Year() int { return d.year }

// Month returns the month (January for a year-precision date).
func (d Date) Month() time.Month { return d.month }

// Day returns the day of month (1 for year- or month-precision dates).
func (d Date) Day() int { return d.day }

// String renders d in FHIR form at its precision; "" for the zero Date.
func (d Date) String() string {
	switch d.precision {
	case PrecisionYear:
		return fmt.Sprintf("%04d", d.year)
	case PrecisionMonth:
		return fmt.Sprintf("%04d-%02d", d.year, d.month)
	case PrecisionDay:
		return fmt.Sprintf("%04d-%02d-%02d", d.year, d.month, d.day)
	}
	return ""
}

// Start returns the first instant of d in loc.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, loc)
}

// End returns the first instant after d (the whole year, month or day) in loc.
func (d Date) End(loc *time.Location) time.Time {
	s := d.Start(loc)
	switch d.precision {
	case PrecisionYear:
		return s.AddDate(1, 0, 0)
	case PrecisionMonth:
		return s.AddDate(0, 1, 0)
	}
	return s.AddDate(0, 0, 1)
}

// Before reports whether d's earliest day is before e's.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// Compare orders dates by earliest day, then by precision (coarser first).
func (d Date) Compare(e Date) int {
	switch {
	case d.year != e.year:
		return cmpInt(d.year, e.year)
	case d.month != e.month:
		return cmpInt(int(d.month), int(e.month))
	case d.day != e.day:
		return cmpInt(d.day, e.day)
	}
	return cmpInt(int(d.precision), int(e.precision))
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AgeAt returns the age in whole years at the given day. For a partial date the
// earliest possible day is used.
func (d Date) AgeAt(at Date) int {
	age := at.year - d.year
	if at.month < d.month || (at.month == d.month && at.day < d.day) {
		age--
	}
	return age
}

// Validate checks that d, if set, is a real calendar date.
func (d Date) Validate() error {
	if d.IsZero() {
		return nil
	}
	if _, err := ParseDate(d.String()); err != nil || d.year < 1 {
		var v Issues
		v.Add("", IssueValue, "is not a calendar date")
		return v.Err()
	}
	return nil
}

// MarshalJSON encodes d as its FHIR string, or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON decodes a FHIR date string or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: date: %w", ErrInvalid, err)
	}
	if s == nil || *s == "" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(*s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
