package clinical

import (
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/shopspring/decimal"
)

// LOINC codes of the FHIR R4 vital signs profile (hl7.org/fhir/R4/observation-vitalsigns.html).
const (
	LOINCVitalSignsPanel   = "85353-1"
	LOINCHeartRate         = "8867-4"
	LOINCRespiratoryRate   = "9279-1"
	LOINCBodyTemperature   = "8310-5"
	LOINCBodyHeight        = "8302-2"
	LOINCBodyWeight        = "29463-7"
	LOINCBMI               = "39156-5"
	LOINCBloodPressure     = "85354-9"
	LOINCSystolic          = "8480-6"
	LOINCDiastolic         = "8462-4"
	LOINCOxygenSaturation  = "2708-6"
	LOINCPulseOximetry     = "59408-5"
	LOINCHeadCircumference = "9843-4"
)

// VitalSign describes one vital sign of the panel: its LOINC code, display,
// what its unit measures and the unit it is stored in by default.
type VitalSign struct {
	Code      string
	Display   string
	Dimension Dimension
	Unit      string // the FHIR vital signs profile's preferred UCUM unit
}

// vitalSigns lists the vital signs ehrkit knows, keyed by LOINC code (the
// blood-pressure panel itself carries components, not a value).
var vitalSigns = map[string]VitalSign{
	LOINCHeartRate:         {LOINCHeartRate, "Heart rate", DimRate, "/min"},
	LOINCRespiratoryRate:   {LOINCRespiratoryRate, "Respiratory rate", DimRate, "/min"},
	LOINCBodyTemperature:   {LOINCBodyTemperature, "Body temperature", DimTemperature, "Cel"},
	LOINCBodyHeight:        {LOINCBodyHeight, "Body height", DimLength, "cm"},
	LOINCBodyWeight:        {LOINCBodyWeight, "Body weight", DimMass, "kg"},
	LOINCBMI:               {LOINCBMI, "Body mass index (BMI) [Ratio]", DimMassPerArea, "kg/m2"},
	LOINCSystolic:          {LOINCSystolic, "Systolic blood pressure", DimPressure, "mm[Hg]"},
	LOINCDiastolic:         {LOINCDiastolic, "Diastolic blood pressure", DimPressure, "mm[Hg]"},
	LOINCOxygenSaturation:  {LOINCOxygenSaturation, "Oxygen saturation in Arterial blood", DimFraction, "%"},
	LOINCPulseOximetry:     {LOINCPulseOximetry, "Oxygen saturation in Arterial blood by Pulse oximetry", DimFraction, "%"},
	LOINCHeadCircumference: {LOINCHeadCircumference, "Head Occipital-frontal circumference", DimLength, "cm"},
}

// VitalSignOf returns the vital sign a concept names by its LOINC coding.
func VitalSignOf(code ehrkit.CodeableConcept) (VitalSign, bool) {
	vs, ok := vitalSigns[code.CodeIn(ehrkit.SystemLOINC)]
	return vs, ok
}

// Bounds is an inclusive normal range in a vital sign's unit, with optional
// critical limits beyond which a value is critically low or high (FHIR "LL"
// and "HH"); a zero bound is open.
type Bounds struct {
	Low, High decimal.Decimal
	Unit      string
	// CriticalLow and CriticalHigh: a value below CriticalLow is "LL", above
	// CriticalHigh "HH".
	CriticalLow, CriticalHigh decimal.Decimal
}

// VitalRanges maps a vital sign's LOINC code to its normal range.
type VitalRanges map[string]Bounds

// AdultVitalRanges returns the default adult resting ranges: heart rate
// 60-100 /min, respiratory rate 12-20 /min, temperature 36.1-37.8 Cel, oxygen
// saturation 95-100 %, systolic below 120 and diastolic below 80 mm[Hg] (the
// 2017 ACC/AHA "normal" category: 120 systolic is already "elevated", 80
// diastolic stage 1), BMI 18.5-24.9 kg/m2. Sources: Sapra A et al., "Vital Sign
// Assessment", StatPearls (NCBI Bookshelf NBK553213) for pulse, respiration,
// temperature and SpO2; Whelton PK et al., 2017 ACC/AHA Hypertension
// Guideline, Hypertension 2018;71:e13-e115 (normal < 120/80, hypertensive
// crisis > 180 and/or > 120); WHO adult BMI classification (normal 18.5-24.9).
// Critical limits follow the MERIT medical-emergency-team calling criteria
// (Hillman K et al., Lancet 2005;365:2091-97: heart rate < 40 or > 140,
// respiratory rate < 5 or > 36, systolic < 90, SpO2 < 90 %) and the ACC/AHA
// crisis thresholds. Callers override any of them.
func AdultVitalRanges() VitalRanges {
	return VitalRanges{
		LOINCHeartRate:        {Low: d("60"), High: d("100"), Unit: "/min", CriticalLow: d("40"), CriticalHigh: d("140")},
		LOINCRespiratoryRate:  {Low: d("12"), High: d("20"), Unit: "/min", CriticalLow: d("5"), CriticalHigh: d("36")},
		LOINCBodyTemperature:  {Low: d("36.1"), High: d("37.8"), Unit: "Cel"},
		LOINCOxygenSaturation: {Low: d("95"), High: d("100"), Unit: "%", CriticalLow: d("90")},
		LOINCPulseOximetry:    {Low: d("95"), High: d("100"), Unit: "%", CriticalLow: d("90")},
		LOINCSystolic:         {Low: d("90"), High: d("119"), Unit: "mm[Hg]", CriticalLow: d("90"), CriticalHigh: d("180")},
		LOINCDiastolic:        {Low: d("60"), High: d("79"), Unit: "mm[Hg]", CriticalHigh: d("120")},
		LOINCBMI:              {Low: d("18.5"), High: d("24.9"), Unit: "kg/m2"},
	}
}

// Interpretation codes (FHIR v3-ObservationInterpretation).
const (
	InterpretationCriticalLow  = "LL"
	InterpretationLow          = "L"
	InterpretationHigh         = "H"
	InterpretationCriticalHigh = "HH"
	InterpretationNormal       = "N"
)

// Flag interprets a quantity against the range for a vital sign code:
// InterpretationCriticalLow, InterpretationLow, InterpretationNormal,
// InterpretationHigh or InterpretationCriticalHigh; "" when there is no range
// for the code, the unit cannot be converted to the range's, or a comparator
// leaves the category open ("<90" systolic is low, "<130" may be anything).
func (r VitalRanges) Flag(code string, q ehrkit.Quantity) string {
	b, ok := r[code]
	if !ok {
		return ""
	}
	v, err := Convert(q, b.Unit)
	if err != nil {
		return ""
	}
	switch q.Comparator {
	case "<", "<=":
		return b.below(v.Value, q.Comparator == "<")
	case ">", ">=":
		return b.above(v.Value, q.Comparator == ">")
	}
	return b.category(v.Value)
}

// category returns the interpretation of a value.
func (b Bounds) category(v decimal.Decimal) string {
	switch {
	case !b.CriticalLow.IsZero() && v.LessThan(b.CriticalLow):
		return InterpretationCriticalLow
	case !b.Low.IsZero() && v.LessThan(b.Low):
		return InterpretationLow
	case !b.CriticalHigh.IsZero() && v.GreaterThan(b.CriticalHigh):
		return InterpretationCriticalHigh
	case !b.High.IsZero() && v.GreaterThan(b.High):
		return InterpretationHigh
	}
	return InterpretationNormal
}

// under reports whether every value below v (strictly, or up to v) is below
// the limit.
func under(v, limit decimal.Decimal, strict bool) bool {
	return v.LessThan(limit) || (strict && v.Equal(limit))
}

// below returns the category of every value below v, "" when they span more
// than one.
func (b Bounds) below(v decimal.Decimal, strict bool) string {
	switch {
	case !b.CriticalLow.IsZero():
		if under(v, b.CriticalLow, strict) {
			return InterpretationCriticalLow
		}
	case !b.Low.IsZero():
		if under(v, b.Low, strict) {
			return InterpretationLow
		}
	case b.High.IsZero() || !v.GreaterThan(b.High):
		return InterpretationNormal
	}
	return ""
}

// above returns the category of every value above v, "" when they span more
// than one.
func (b Bounds) above(v decimal.Decimal, strict bool) string {
	over := func(limit decimal.Decimal) bool { return v.GreaterThan(limit) || (strict && v.Equal(limit)) }
	switch {
	case !b.CriticalHigh.IsZero():
		if over(b.CriticalHigh) {
			return InterpretationCriticalHigh
		}
	case !b.High.IsZero():
		if over(b.High) {
			return InterpretationHigh
		}
	case b.Low.IsZero() || !v.LessThan(b.Low):
		return InterpretationNormal
	}
	return ""
}

// FlagObservation returns o with Interpretation set on its value and on each
// component that has a range in r. Observations without ranged codes are
// returned unchanged.
func (r VitalRanges) FlagObservation(o Observation) Observation {
	if o.Value.Kind == KindQuantity {
		if f := r.Flag(o.Code.CodeIn(ehrkit.SystemLOINC), o.Value.Quantity); f != "" {
			o.Interpretation = []string{f}
		}
	}
	o.Components = append([]Component(nil), o.Components...)
	for i, c := range o.Components {
		if c.Value.Kind == KindQuantity {
			if f := r.Flag(c.Code.CodeIn(ehrkit.SystemLOINC), c.Value.Quantity); f != "" {
				o.Components[i].Interpretation = []string{f}
			}
		}
	}
	return o
}

// Vitals is one set of vital signs taken together. Nil fields were not
// measured. Units may be any the vital sign's dimension allows ("[lb_av]",
// "[degF]", "[in_i]" ...); they are kept as entered.
type Vitals struct {
	HeartRate        *ehrkit.Quantity
	RespiratoryRate  *ehrkit.Quantity
	Temperature      *ehrkit.Quantity
	Height           *ehrkit.Quantity
	Weight           *ehrkit.Quantity
	Systolic         *ehrkit.Quantity
	Diastolic        *ehrkit.Quantity
	OxygenSaturation *ehrkit.Quantity
}

// Observations turns v into FHIR vital-sign observations taken at `at`: one per
// measured sign and a blood-pressure panel with systolic and diastolic
// components. DeriveBMI adds the BMI once the observations have ids. Units are
// validated when the observations are recorded.
func (v Vitals) Observations(p patient.ID, encounter string, at time.Time) []Observation {
	var out []Observation
	add := func(code string, q *ehrkit.Quantity) {
		if q == nil {
			return
		}
		out = append(out, vitalObservation(p, encounter, at, code, QuantityValue(*q)))
	}
	add(LOINCHeartRate, v.HeartRate)
	add(LOINCRespiratoryRate, v.RespiratoryRate)
	add(LOINCBodyTemperature, v.Temperature)
	add(LOINCBodyHeight, v.Height)
	add(LOINCBodyWeight, v.Weight)
	add(LOINCOxygenSaturation, v.OxygenSaturation)
	if v.Systolic != nil || v.Diastolic != nil {
		bp := vitalObservation(p, encounter, at, LOINCBloodPressure, Value{})
		bp.Code = ehrkit.Concept(ehrkit.SystemLOINC, LOINCBloodPressure, "Blood pressure panel with all children optional")
		for _, c := range []struct {
			code string
			q    *ehrkit.Quantity
		}{{LOINCSystolic, v.Systolic}, {LOINCDiastolic, v.Diastolic}} {
			if c.q != nil {
				bp.Components = append(bp.Components, Component{Code: vitalConcept(c.code), Value: QuantityValue(*c.q)})
			}
		}
		out = append(out, bp)
	}
	return out
}

// DeriveBMI returns a BMI observation computed from the body height and body
// weight among obs (the last of each), taken when the later of the two was,
// derived from both (by id). ok is false when obs lacks either, or when their
// units are not a length and a mass.
func DeriveBMI(obs []Observation) (bmi Observation, ok bool) {
	var height, weight *Observation
	for i := range obs {
		o := &obs[i]
		if o.Value.Kind != KindQuantity {
			continue
		}
		switch o.Code.CodeIn(ehrkit.SystemLOINC) {
		case LOINCBodyHeight:
			height = o
		case LOINCBodyWeight:
			weight = o
		}
	}
	if height == nil || weight == nil || height.Patient != weight.Patient {
		return Observation{}, false
	}
	q, err := BMI(weight.Value.Quantity, height.Value.Quantity)
	if err != nil {
		return Observation{}, false
	}
	at := weight.Effective
	if height.Effective.After(at) {
		at = height.Effective
	}
	bmi = vitalObservation(weight.Patient, weight.Encounter, at, LOINCBMI, QuantityValue(q))
	bmi.DerivedFrom = []ehrkit.Reference{ehrkit.Ref(ObservationType, height.ID), ehrkit.Ref(ObservationType, weight.ID)}
	return bmi, true
}

func vitalConcept(code string) ehrkit.CodeableConcept {
	return ehrkit.Concept(ehrkit.SystemLOINC, code, vitalSigns[code].Display)
}

func vitalObservation(p patient.ID, encounter string, at time.Time, code string, v Value) Observation {
	return Observation{
		Patient: p, Encounter: encounter, Status: ObservationFinal,
		Categories: []string{CategoryVitalSigns}, Code: vitalConcept(code), Effective: at, Value: v,
	}
}
