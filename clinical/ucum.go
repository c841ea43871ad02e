package clinical

import (
	"fmt"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/shopspring/decimal"
)

// ucumPrefixes are the UCUM metric prefixes (UCUM §2.1 table 1).
var ucumPrefixes = []string{"da", "Y", "Z", "E", "P", "T", "G", "M", "k", "h", "d", "c", "m", "u", "n", "p", "f", "a", "z", "y"}

// ucumAtoms are the unit atoms ehrkit accepts, with whether they take a metric
// prefix (from the UCUM specification's base, SI, clinical and customary tables).
var ucumAtoms = map[string]bool{
	// base and SI-derived units (metric)
	"m": true, "s": true, "g": true, "rad": true, "K": true, "C": true, "cd": true,
	"mol": true, "sr": true, "Hz": true, "N": true, "Pa": true, "J": true, "W": true,
	"A": true, "V": true, "F": true, "Ohm": true, "S": true, "Wb": true, "Cel": true,
	"T": true, "H": true, "lm": true, "lx": true, "Bq": true, "Gy": true, "Sv": true,
	"l": true, "L": true, "ar": true, "t": true, "bar": true, "u": true, "eV": true,
	"eq": true, "osm": true, "kat": true, "U": true, "[iU]": true, "[IU]": true,
	"cal": true, "m[Hg]": true, "m[H2O]": true, "B": true, "dB": false,
	// time
	"min": false, "h": false, "d": false, "wk": false, "mo": false, "a": false,
	// dimensionless
	"%": false, "[ppm]": false, "[ppb]": false, "[ppth]": false, "10*": false, "10^": false,
	"[pH]": false, "[arb'U]": false, "[HPF]": false, "[LPF]": false, "[drp]": false,
	// customary (international and avoirdupois)
	"[in_i]": false, "[ft_i]": false, "[yd_i]": false, "[mi_i]": false,
	"[lb_av]": false, "[oz_av]": false, "[gr]": false, "[degF]": false,
	"[gal_us]": false, "[foz_us]": false, "[pt_us]": false, "[qt_us]": false,
	"[tbs_us]": false, "[tsp_us]": false, "[cup_us]": false, "[in_i'Hg]": false,
	"deg": false,
}

// CheckUnit checks that unit is a UCUM unit expression built from the atoms
// ehrkit knows: terms joined by "." and "/", optional metric prefixes,
// integer exponents ("m2", "s-1"), parentheses, integer factors and curly-brace
// annotations ("{score}", "mL/min/{1.73_m2}"). The empty string is not a unit.
// A unit it refuses fails with a *ehrkit.ValidationError (wrapping
// ehrkit.ErrInvalid) whose one issue is at path "unit" with
// ehrkit.IssueCodeInvalid, its message saying where the expression breaks.
func CheckUnit(unit string) error {
	if err := parseUnit(unit); err != nil {
		var v ehrkit.Issues
		v.Add("unit", ehrkit.IssueCodeInvalid, "not a UCUM unit: %v", err)
		return v.Err()
	}
	return nil
}

// parseUnit checks the syntax of a unit expression.
func parseUnit(unit string) error {
	if unit == "" {
		return fmt.Errorf("empty unit")
	}
	p := unitParser{s: unit}
	if strings.HasPrefix(p.s, "/") {
		p.i++
	}
	if err := p.term(); err != nil {
		return err
	}
	if p.i != len(p.s) {
		return fmt.Errorf("unexpected %q at offset %d", p.s[p.i], p.i)
	}
	return nil
}

type unitParser struct {
	s     string
	i     int
	depth int
}

func (p *unitParser) term() error {
	for {
		if err := p.component(); err != nil {
			return err
		}
		if p.i < len(p.s) && (p.s[p.i] == '.' || p.s[p.i] == '/') {
			p.i++
			continue
		}
		return nil
	}
}

func (p *unitParser) component() error {
	if p.i >= len(p.s) {
		return fmt.Errorf("missing unit at offset %d", p.i)
	}
	switch p.s[p.i] {
	case '(':
		if p.depth >= 8 {
			return fmt.Errorf("parentheses nested too deeply at offset %d", p.i)
		}
		p.i++
		p.depth++
		if err := p.term(); err != nil {
			return err
		}
		p.depth--
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return fmt.Errorf("missing ')' at offset %d", p.i)
		}
		p.i++
		return nil
	case '{':
		return p.annotation()
	}
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune("./(){", rune(p.s[p.i])) {
		if p.s[p.i] == '[' {
			end := strings.IndexByte(p.s[p.i:], ']')
			if end < 0 {
				return fmt.Errorf("missing ']' after offset %d", p.i)
			}
			p.i += end
		}
		if p.s[p.i] <= ' ' || p.s[p.i] > '~' {
			return fmt.Errorf("invalid character at offset %d", p.i)
		}
		p.i++
	}
	if err := checkSymbol(p.s[start:p.i]); err != nil {
		return fmt.Errorf("%w at offset %d", err, start)
	}
	if p.i < len(p.s) && p.s[p.i] == '{' {
		return p.annotation()
	}
	return nil
}

func (p *unitParser) annotation() error {
	end := strings.IndexByte(p.s[p.i:], '}')
	if end < 0 {
		return fmt.Errorf("missing '}' after offset %d", p.i)
	}
	for _, c := range p.s[p.i+1 : p.i+end] {
		if c < '!' || c > '~' || c == '{' {
			return fmt.Errorf("invalid annotation character after offset %d", p.i)
		}
	}
	p.i += end + 1
	return nil
}

// checkSymbol checks one simple unit with an optional exponent, or an integer
// factor.
func checkSymbol(sym string) error {
	if sym == "" {
		return fmt.Errorf("missing unit")
	}
	if allDigits(sym) {
		return nil
	}
	atom := sym
	j := len(sym)
	for j > 0 && sym[j-1] >= '0' && sym[j-1] <= '9' {
		j--
	}
	if j < len(sym) {
		if j > 0 && (sym[j-1] == '-' || sym[j-1] == '+') {
			j--
		}
		atom = sym[:j]
	}
	if atom == "" {
		return fmt.Errorf("exponent without unit")
	}
	if _, ok := ucumAtoms[atom]; ok {
		return nil
	}
	for _, pre := range ucumPrefixes {
		if rest, ok := strings.CutPrefix(atom, pre); ok && ucumAtoms[rest] {
			return nil
		}
	}
	return fmt.Errorf("unknown unit")
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Dimension names what a unit measures, for the units ehrkit converts.
type Dimension string

// Dimensions of the convertible units.
const (
	DimMass        Dimension = "mass"
	DimLength      Dimension = "length"
	DimTemperature Dimension = "temperature"
	DimPressure    Dimension = "pressure"
	DimRate        Dimension = "rate"     // events per time
	DimFraction    Dimension = "fraction" // percent
	DimMassPerArea Dimension = "mass/area"
	DimVolume      Dimension = "volume"
	DimMassConc    Dimension = "mass/volume"  // mass concentration
	DimNumberConc  Dimension = "count/volume" // number concentration (cell counts)
)

// convertible gives each convertible unit its dimension and its value in the
// dimension's canonical unit: canonical = value*factor + offset. Factors are the
// exact definitions of UCUM (international inch 2.54 cm, avoirdupois pound
// 0.45359237 kg, mercury column 133.322 Pa per mm; kelvin from Celsius and
// Fahrenheit by their defining offsets).
var convertible = map[string]struct {
	dim            Dimension
	factor, offset decimal.Decimal
}{
	"kg":      {DimMass, d("1"), d("0")},
	"g":       {DimMass, d("0.001"), d("0")},
	"mg":      {DimMass, d("0.000001"), d("0")},
	"ug":      {DimMass, d("0.000000001"), d("0")},
	"[lb_av]": {DimMass, d("0.45359237"), d("0")},
	"[oz_av]": {DimMass, d("0.028349523125"), d("0")},
	"m":       {DimLength, d("1"), d("0")},
	"cm":      {DimLength, d("0.01"), d("0")},
	"mm":      {DimLength, d("0.001"), d("0")},
	"[in_i]":  {DimLength, d("0.0254"), d("0")},
	"[ft_i]":  {DimLength, d("0.3048"), d("0")},
	"K":       {DimTemperature, d("1"), d("0")},
	"Cel":     {DimTemperature, d("1"), d("273.15")},
	"[degF]":  {DimTemperature, d("5").Div(d("9")), d("459.67").Mul(d("5")).Div(d("9"))},
	"mm[Hg]":  {DimPressure, d("1"), d("0")},
	"kPa":     {DimPressure, d("1000").Div(d("133.322")), d("0")},
	"/min":    {DimRate, d("1"), d("0")},
	// LOINC's example units for heart and respiratory rate: an annotation is
	// a unit of 1 in UCUM, so these are /min.
	"{beats}/min":   {DimRate, d("1"), d("0")},
	"{breaths}/min": {DimRate, d("1"), d("0")},
	"/h":            {DimRate, d("1").Div(d("60")), d("0")},
	"%":             {DimFraction, d("1"), d("0")},
	"1":             {DimFraction, d("100"), d("0")}, // the dimensionless unit: 1 is 100 %
	"kg/m2":         {DimMassPerArea, d("1"), d("0")},
	// Metric prefixes (UCUM §2.2: m 10^-3, u 10^-6, d 10^-1) on the litre.
	"L":  {DimVolume, d("1"), d("0")},
	"dL": {DimVolume, d("0.1"), d("0")},
	"mL": {DimVolume, d("0.001"), d("0")},
	"uL": {DimVolume, d("0.000001"), d("0")},
	// Mass concentrations, canonical g/L. Mass to amount of substance
	// (mg/dL to mmol/L) needs the analyte's molar mass and is not converted.
	"g/L":   {DimMassConc, d("1"), d("0")},
	"g/dL":  {DimMassConc, d("10"), d("0")},
	"mg/dL": {DimMassConc, d("0.01"), d("0")},
	"mg/L":  {DimMassConc, d("0.001"), d("0")},
	"ug/mL": {DimMassConc, d("0.001"), d("0")},
	"ng/mL": {DimMassConc, d("0.000001"), d("0")},
	// Number concentrations, canonical 10*9/L (10^3 per microlitre is 10^9
	// per litre, the SI form of a cell count).
	"10*9/L":   {DimNumberConc, d("1"), d("0")},
	"10*3/uL":  {DimNumberConc, d("1"), d("0")},
	"10*3/mm3": {DimNumberConc, d("1"), d("0")},
	"10*12/L":  {DimNumberConc, d("1000"), d("0")},
	"10*6/uL":  {DimNumberConc, d("1000"), d("0")},
	"/uL":      {DimNumberConc, d("0.001"), d("0")},
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// UnitDimension returns the dimension of a convertible unit.
func UnitDimension(unit string) (Dimension, bool) {
	u, ok := convertible[unit]
	return u.dim, ok
}

// Convert expresses q in the unit to. Both units must be convertible units of
// the same dimension; an equal unit returns q unchanged. Results are rounded to
// 6 decimal places.
func Convert(q ehrkit.Quantity, to string) (ehrkit.Quantity, error) {
	if q.Unit == to {
		return q, nil
	}
	from, ok1 := convertible[q.Unit]
	target, ok2 := convertible[to]
	if !ok1 || !ok2 {
		return ehrkit.Quantity{}, fmt.Errorf("%w: no conversion between these units", ehrkit.ErrUnsupported)
	}
	if from.dim != target.dim {
		return ehrkit.Quantity{}, fmt.Errorf("%w: units measure %s and %s", ehrkit.ErrInvalid, from.dim, target.dim)
	}
	canonical := q.Value.Mul(from.factor).Add(from.offset)
	v := canonical.Sub(target.offset).DivRound(target.factor, 12).Round(6)
	return ehrkit.Quantity{Value: trimZeros(v), Unit: to, Comparator: q.Comparator}, nil
}

// trimZeros drops trailing fractional zeros: 38.500000 becomes 38.5.
func trimZeros(v decimal.Decimal) decimal.Decimal {
	if v.Exponent() >= 0 {
		return v
	}
	s := v.StringFixed(-v.Exponent())
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return decimal.RequireFromString(s)
}
