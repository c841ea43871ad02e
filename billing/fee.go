package billing

import (
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
)

// FeeSchedule is one payer's prices for procedure codes over a period
// (Effective.End exclusive, open when zero). Entries carry codes and prices
// only, never CPT descriptions.
type FeeSchedule struct {
	Payer     string        `json:"payer"`
	Effective ehrkit.Period `json:"effective"`
	Fees      []Fee         `json:"fees"`
}

// Fee is the unit price of a procedure code, optionally for one modifier
// (a modifier-specific fee, such as 26 or TC, wins over the plain one).
type Fee struct {
	Code     string `json:"code"`
	Modifier string `json:"modifier,omitempty"`
	Price    Money  `json:"price"`
}

func (s FeeSchedule) covers(at time.Time) bool {
	return !at.Before(s.Effective.Start) && (s.Effective.End.IsZero() || at.Before(s.Effective.End))
}

// Price finds the unit fee of code (with its modifiers) for payer on the
// service date: among the payer's schedules in effect that day, the one that
// took effect last; within it a fee for one of the modifiers, else the plain
// fee. ok is false when no schedule prices the code.
func Price(schedules []FeeSchedule, payer, code string, modifiers []string, on time.Time) (price Money, ok bool) {
	var best *FeeSchedule
	for i := range schedules {
		s := &schedules[i]
		if s.Payer == payer && s.covers(on) && (best == nil || s.Effective.Start.After(best.Effective.Start)) {
			best = s
		}
	}
	if best == nil {
		return Money{}, false
	}
	var plain *Fee
	for i := range best.Fees {
		f := &best.Fees[i]
		switch {
		case f.Code != code:
		case f.Modifier != "" && slices.Contains(modifiers, f.Modifier):
			return f.Price, true
		case f.Modifier == "":
			plain = f
		}
	}
	if plain == nil {
		return Money{}, false
	}
	return plain.Price, true
}
