package billing

import (
	"slices"
	"time"
)

// LineMatch is how a remittance's service line was matched to a charge.
type LineMatch int

// The outcomes of MatchLine.
const (
	// Unmatched: no charge of the claim has the procedure code (and date).
	Unmatched LineMatch = iota
	// MatchedExact: code, modifiers (in any order) and date agree.
	MatchedExact
	// MatchedModifiersDropped: the code and date agree and the payer's
	// modifiers are some of the billed ones, the others dropped. Payers do
	// this (a 25 or 59 left off the 835); the match is kept with a warning.
	MatchedModifiersDropped
)

// MatchLine finds the charge of a claim a payer's service line pays: the
// first charge, in claim order, not in taken, with the same procedure code
// and service date (a zero date matches any) and the same modifiers; failing
// that, the first such charge whose modifiers include all the payer's (the
// payer dropped the others). A payer that adds a modifier the charge lacks
// does not match: that is a different service. It returns the charge's
// index and how it matched, or -1 and Unmatched.
func MatchLine(c Claim, code string, modifiers []string, on time.Time, taken []bool) (int, LineMatch) {
	candidate := func(i int) bool {
		ch := c.Charges[i]
		return !(i < len(taken) && taken[i]) && ch.Procedure.Code == code && (on.IsZero() || ch.ServiceDate.IsZero() || sameDay(ch.ServiceDate, on))
	}
	for i, ch := range c.Charges {
		if candidate(i) && len(ch.Modifiers) == len(modifiers) && subset(modifiers, ch.Modifiers) {
			return i, MatchedExact
		}
	}
	for i, ch := range c.Charges {
		if candidate(i) && subset(modifiers, ch.Modifiers) {
			return i, MatchedModifiersDropped
		}
	}
	return -1, Unmatched
}

func subset(sub, of []string) bool {
	for _, m := range sub {
		if !slices.Contains(of, m) {
			return false
		}
	}
	return true
}

func sameDay(a, b time.Time) bool {
	a, b = a.UTC(), b.UTC()
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}
