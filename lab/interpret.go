package lab

import (
	"slices"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/shopspring/decimal"
)

// Interpretation flags (HL7 table 0078, the codes of FHIR
// v3-ObservationInterpretation).
const (
	FlagNormal           = "N"  // within the reference range
	FlagLow              = "L"  // below the low limit
	FlagHigh             = "H"  // above the high limit
	FlagCriticalLow      = "LL" // at or below the critical low limit
	FlagCriticalHigh     = "HH" // at or above the critical high limit
	FlagAbnormal         = "A"  // a coded result other than a normal one
	FlagCriticalAbnormal = "AA" // a coded result named critical
)

// IsCritical reports whether a flag is a critical one (LL, HH, AA), which the
// clinician is told of urgently.
func IsCritical(flag string) bool {
	return flag == FlagCriticalLow || flag == FlagCriticalHigh || flag == FlagCriticalAbnormal
}

// Interpret returns the flag of value v against range r, and false when none
// can be told: no limit applies, the unit cannot be converted to the range's,
// or a value given as "<x" or ">x" spans several flags. A quantity is
// converted to r.Unit when the two differ. A coded value is AA when it is
// one of r.Critical, N when one of r.Normal and A otherwise (when r names
// normal answers). Text values are never flagged. Interpret is a pure rule:
// the Service flags a result with it only when the sender gave no flag.
func Interpret(v clinical.Value, r ReferenceRange) (string, bool) {
	switch v.Kind {
	case clinical.KindQuantity:
		return interpretQuantity(v.Quantity, r)
	case clinical.KindCoded:
		return interpretCoded(v.Concept, r)
	}
	return "", false
}

func interpretQuantity(q ehrkit.Quantity, r ReferenceRange) (string, bool) {
	if !r.Low.Valid && !r.High.Valid && !r.CriticalLow.Valid && !r.CriticalHigh.Valid {
		return "", false
	}
	if r.Unit != "" && q.Unit != r.Unit {
		c, err := clinical.Convert(q, r.Unit)
		if err != nil {
			return "", false
		}
		q = c
	}
	x := q.Value
	switch q.Comparator {
	case "":
		return band(x, 0, r), true
	case "<", "<=":
		// Every value up to x: one flag only if x and minus infinity agree.
		at := band(x, boundaryDir(q.Comparator, -1), r)
		return at, at == lowFlag(r)
	case ">", ">=":
		at := band(x, boundaryDir(q.Comparator, 1), r)
		return at, at == highFlag(r)
	}
	return "", false
}

// boundaryDir says on which side of x the values of a strict comparator lie:
// "<x" is just below x (-1), ">x" just above (+1), "<=" and ">=" at x.
func boundaryDir(comparator string, dir int) int {
	if comparator == "<" || comparator == ">" {
		return dir
	}
	return 0
}

// lowFlag is the flag of the lowest values; highFlag of the highest.
func lowFlag(r ReferenceRange) string {
	switch {
	case r.CriticalLow.Valid:
		return FlagCriticalLow
	case r.Low.Valid:
		return FlagLow
	}
	return FlagNormal
}

func highFlag(r ReferenceRange) string {
	switch {
	case r.CriticalHigh.Valid:
		return FlagCriticalHigh
	case r.High.Valid:
		return FlagHigh
	}
	return FlagNormal
}

// band returns the flag of x, or of the values just beside x (dir -1 just
// below, +1 just above): limits are inclusive, so the normal range is
// low <= x <= high and a critical limit is reached at the limit itself.
func band(x decimal.Decimal, dir int, r ReferenceRange) string {
	cmp := func(limit decimal.Decimal) int {
		if c := x.Cmp(limit); c != 0 {
			return c
		}
		return dir
	}
	switch {
	case r.CriticalLow.Valid && cmp(r.CriticalLow.Decimal) <= 0:
		return FlagCriticalLow
	case r.CriticalHigh.Valid && cmp(r.CriticalHigh.Decimal) >= 0:
		return FlagCriticalHigh
	case r.Low.Valid && cmp(r.Low.Decimal) < 0:
		return FlagLow
	case r.High.Valid && cmp(r.High.Decimal) > 0:
		return FlagHigh
	}
	return FlagNormal
}

func interpretCoded(cc ehrkit.CodeableConcept, r ReferenceRange) (string, bool) {
	in := func(list []ehrkit.Coding) bool {
		return slices.ContainsFunc(list, func(c ehrkit.Coding) bool { return cc.Has(c.System, c.Code) })
	}
	switch {
	case in(r.Critical):
		return FlagCriticalAbnormal, true
	case len(r.Normal) == 0:
		return "", false
	case in(r.Normal):
		return FlagNormal, true
	}
	return FlagAbnormal, true
}
