package clinical

import (
	"fmt"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/shopspring/decimal"
)

// Index terms of an observation's quantity value (Observation.valueQuantity),
// read by the FHIR value-quantity search parameter.
const (
	// TermValueNumber holds NumberKey of the value as sent, whatever its unit.
	TermValueNumber = "value-number"
	// TermValueQuantity holds QuantityKey of the value: its unit's canonical
	// unit, "|", and NumberKey of the value in that unit.
	TermValueQuantity = "value-quantity"
)

// canonicalUnits names, per dimension, the unit Convert's factors are
// relative to (factor 1, offset 0 in convertible).
var canonicalUnits = map[Dimension]string{
	DimMass: "kg", DimLength: "m", DimTemperature: "K", DimPressure: "mm[Hg]", DimRate: "/min",
	DimFraction: "%", DimMassPerArea: "kg/m2", DimVolume: "L", DimMassConc: "g/L", DimNumberConc: "10*9/L",
}

// maxKeyExponent bounds the decimal exponent NumberKey encodes.
const maxKeyExponent = 4999

// NumberKey encodes v as a string whose byte order is the numeric order of
// the values: negative numbers sort before zero, zero before positive
// numbers, and 5.4 and 5.40 encode alike. It fails (ehrkit.ErrInvalid) for a
// number whose magnitude is beyond 10^±4999.
func NumberKey(v decimal.Decimal) (string, error) {
	if v.IsZero() {
		return "1", nil
	}
	coef := v.Coefficient()
	all := coef.Abs(coef).String()
	digits := strings.TrimRight(all, "0")
	// v = ±0.d1d2...dn × 10^e, d1 ≠ 0
	e := len(all) + int(v.Exponent())
	if e > maxKeyExponent || e < -maxKeyExponent {
		return "", fmt.Errorf("%w: number out of the indexed range", ehrkit.ErrInvalid)
	}
	if v.Sign() > 0 {
		return fmt.Sprintf("2%04d%s", e+maxKeyExponent+1, digits), nil
	}
	// Negative: every digit complemented, so that a larger magnitude sorts
	// first, and a terminator above the digits, so that -0.12 sorts after
	// -0.123.
	comp := strings.Map(func(r rune) rune { return '9' - r + '0' }, digits)
	return fmt.Sprintf("0%04d%s~", 2*maxKeyExponent+1-(e+maxKeyExponent+1), comp), nil
}

// CanonicalQuantity expresses q in the canonical unit of its dimension (g/L
// for mg/dL, K for Cel), exactly, without rounding. A unit Convert does not
// know is its own canonical unit: q is returned unchanged.
func CanonicalQuantity(q ehrkit.Quantity) ehrkit.Quantity {
	u, ok := convertible[q.Unit]
	if !ok {
		return q
	}
	return ehrkit.Quantity{Value: q.Value.Mul(u.factor).Add(u.offset), Unit: canonicalUnits[u.dim], Comparator: q.Comparator}
}

// QuantityKey is the TermValueQuantity value of q: the canonical unit of q's
// unit, "|", and NumberKey of q in that unit. Quantities that Convert can
// turn into one another compare by value under their keys.
func QuantityKey(q ehrkit.Quantity) (string, error) {
	c := CanonicalQuantity(q)
	n, err := NumberKey(c.Value)
	if err != nil {
		return "", err
	}
	return c.Unit + "|" + n, nil
}

// quantity adds the value terms of an observation's quantity value.
func (t *terms) quantity(v Value) {
	if v.Kind != KindQuantity {
		return
	}
	if n, err := NumberKey(v.Quantity.Value); err == nil {
		t.add(TermValueNumber, n)
	}
	if k, err := QuantityKey(v.Quantity); err == nil && v.Quantity.Unit != "" {
		t.add(TermValueQuantity, k)
	}
}
