package schedule

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/teambition/rrule-go"
)

// span is a half-open interval of instants [start, end).
type span struct{ start, end time.Time }

// rule is a parsed RRULE that yields the local days of an availability block.
type rule struct {
	opt rrule.ROption
	loc *time.Location
}

// compileRule parses an availability RRULE. DTSTART is From at local noon (a
// time that exists on every day in every zone), so only the dates of the
// occurrences matter; UNTIL is moved to the end of its local day so that it
// names the last day inclusively.
func compileRule(text string, from ehrkit.Date, loc *time.Location) (rule, error) {
	if strings.ContainsAny(text, "\r\n") || strings.Contains(strings.ToUpper(text), "DTSTART") {
		return rule{}, errors.New("must be a single RRULE without DTSTART")
	}
	opt, err := rrule.StrToROptionInLocation(text, loc)
	if err != nil {
		return rule{}, err
	}
	if opt.Freq > rrule.DAILY { // HOURLY, MINUTELY, SECONDLY
		return rule{}, errors.New("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
	}
	if len(opt.Byhour)+len(opt.Byminute)+len(opt.Bysecond) > 0 {
		return rule{}, errors.New("BYHOUR, BYMINUTE and BYSECOND are not allowed")
	}
	if opt.Count < 0 || opt.Interval < 0 {
		return rule{}, errors.New("COUNT and INTERVAL must not be negative")
	}
	opt.Dtstart = time.Date(from.Year(), from.Month(), from.Day(), 12, 0, 0, 0, loc)
	if !opt.Until.IsZero() {
		y, m, d := opt.Until.In(loc).Date()
		opt.Until = time.Date(y, m, d, 23, 59, 59, 0, loc)
	}
	if _, err := rrule.NewRRule(*opt); err != nil {
		return rule{}, err
	}
	return rule{opt: *opt, loc: loc}, nil
}

// days returns the local dates (at noon) the rule selects between from and to.
func (r rule) days(from, to time.Time) []time.Time {
	opt := r.opt
	// Iterating an open-ended daily or weekly rule from a DTSTART long ago costs
	// time for every period since; moving DTSTART forward by whole periods
	// selects the same days.
	if opt.Count == 0 && (opt.Freq == rrule.DAILY || opt.Freq == rrule.WEEKLY) {
		period := max(opt.Interval, 1)
		if opt.Freq == rrule.WEEKLY {
			period *= 7
		}
		gap := int(from.Sub(opt.Dtstart).Hours()/24) - 8
		if n := gap / period; n > 0 {
			d := opt.Dtstart
			opt.Dtstart = time.Date(d.Year(), d.Month(), d.Day()+n*period, 12, 0, 0, 0, r.loc)
		}
	}
	rr, err := rrule.NewRRule(opt)
	if err != nil { // checked by compileRule
		return nil
	}
	return rr.Between(from, to, true)
}

// windows returns the availability of c within [from, to), sorted and merged.
func (c *compiled) windows(from, to time.Time) []span {
	var out []span
	// Occurrence days are searched a day and a half beyond the window on both
	// sides, since a local day and a UTC window need not line up.
	lo, hi := from.Add(-36*time.Hour), to.Add(36*time.Hour)
	for _, a := range c.rules {
		for _, d := range a.rule.days(lo, hi) {
			y, m, day := d.Date()
			out = append(out, span{
				start: time.Date(y, m, day, a.open/60, a.open%60, 0, 0, c.loc),
				end:   time.Date(y, m, day, a.close/60, a.close%60, 0, 0, c.loc),
			})
		}
	}
	out = subtract(merge(out), periods(c.Exceptions))
	out = merge(append(out, periods(c.Extras)...))
	return clip(out, from, to)
}

func periods(ps []ehrkit.Period) []span {
	out := make([]span, len(ps))
	for i, p := range ps {
		out[i] = span{p.Start, p.End}
	}
	return merge(out)
}

// merge sorts spans and joins those that overlap or touch; empty spans vanish.
func merge(in []span) []span {
	in = slices.DeleteFunc(in, func(s span) bool { return !s.end.After(s.start) })
	slices.SortFunc(in, func(a, b span) int { return a.start.Compare(b.start) })
	var out []span
	for _, s := range in {
		if n := len(out); n > 0 && !s.start.After(out[n-1].end) {
			if s.end.After(out[n-1].end) {
				out[n-1].end = s.end
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// subtract removes the merged spans cut from the merged spans in.
func subtract(in, cut []span) []span {
	var out []span
	for _, s := range in {
		for _, c := range cut {
			if !c.end.After(s.start) || !c.start.Before(s.end) {
				continue
			}
			if c.start.After(s.start) {
				out = append(out, span{s.start, c.start})
			}
			s.start = c.end
			if !s.end.After(s.start) {
				break
			}
		}
		if s.end.After(s.start) {
			out = append(out, s)
		}
	}
	return out
}

// intersect returns the parts two merged span lists have in common.
func intersect(a, b []span) []span {
	var out []span
	for i, j := 0, 0; i < len(a) && j < len(b); {
		s := span{laterOf(a[i].start, b[j].start), earlierOf(a[i].end, b[j].end)}
		if s.end.After(s.start) {
			out = append(out, s)
		}
		if a[i].end.Before(b[j].end) {
			i++
		} else {
			j++
		}
	}
	return out
}

func clip(in []span, from, to time.Time) []span {
	return intersect(in, []span{{from, to}})
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlierOf(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
