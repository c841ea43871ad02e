package clinical

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/shopspring/decimal"
)

// AgeBand names the age groups of VitalRangesForAge.
type AgeBand string

// Age bands, following the groups of the PALS tables.
const (
	BandNeonate    AgeBand = "neonate"    // birth to 28 days
	BandInfant     AgeBand = "infant"     // 29 days to 1 year
	BandToddler    AgeBand = "toddler"    // 1 to 2 years
	BandPreschool  AgeBand = "preschool"  // 3 to 5 years
	BandSchoolAge  AgeBand = "school-age" // 6 to 11 years
	BandAdolescent AgeBand = "adolescent" // 12 to 17 years
	BandAdult      AgeBand = "adult"      // 18 years and over
)

// BandOf returns the age band of a patient born on birth, on the day on; ok is
// false when either date is not a full date or birth is after on.
func BandOf(birth, on ehrkit.Date) (AgeBand, bool) {
	if birth.Precision() != ehrkit.PrecisionDay || on.Precision() != ehrkit.PrecisionDay || on.Before(birth) {
		return "", false
	}
	days := int(on.Start(time.UTC).Sub(birth.Start(time.UTC)).Hours() / 24)
	years := birth.AgeAt(on)
	switch {
	case days <= 28:
		return BandNeonate, true
	case years < 1:
		return BandInfant, true
	case years < 3:
		return BandToddler, true
	case years < 6:
		return BandPreschool, true
	case years < 12:
		return BandSchoolAge, true
	case years < 18:
		return BandAdolescent, true
	}
	return BandAdult, true
}

// VitalRangesForAge returns the ranges for a patient born on birth, on the day
// on: the adult ranges (AdultVitalRanges) from 18 years, and for children the
// awake heart rates, respiratory rates and hypotension limits of the American
// Heart Association's Pediatric Advanced Life Support provider manual (2020):
// heart rate 85-205 /min from birth to 3 months, 100-190 to 2 years, 60-140 to
// 10 years, 60-100 above; respiratory rate 30-53 under 1 year, 22-37 at 1-2
// years, 20-28 at 3-5, 18-25 at 6-11, 12-20 from 12; systolic hypotension
// below 60 mm[Hg] in term neonates, 70 in infants, 70 + 2 x age in years from
// 1 to 10 years and 90 above (each also the critical low). From 13 years the
// adult blood-pressure thresholds apply (AAP Clinical Practice Guideline,
// Flynn JT et al., Pediatrics 2017;140:e20171904); below 13 the percentile
// tables need height, so no upper blood-pressure limit is given. Temperature,
// oxygen saturation and their critical limits are the adult ones. ok is false
// when the age cannot be told; callers then choose (the adult ranges are the
// usual default).
func VitalRangesForAge(birth, on ehrkit.Date) (VitalRanges, bool) {
	band, ok := BandOf(birth, on)
	if !ok {
		return nil, false
	}
	r := AdultVitalRanges()
	if band == BandAdult {
		return r, true
	}
	years := birth.AgeAt(on)
	days := int(on.Start(time.UTC).Sub(birth.Start(time.UTC)).Hours() / 24)
	hr := func(lo, hi string) Bounds { return Bounds{Low: d(lo), High: d(hi), Unit: "/min"} }
	switch {
	case days < 91:
		r[LOINCHeartRate] = hr("85", "205")
	case years < 2:
		r[LOINCHeartRate] = hr("100", "190")
	case years <= 10:
		r[LOINCHeartRate] = hr("60", "140")
	default:
		r[LOINCHeartRate] = hr("60", "100")
	}
	switch band {
	case BandNeonate, BandInfant:
		r[LOINCRespiratoryRate] = hr("30", "53")
	case BandToddler:
		r[LOINCRespiratoryRate] = hr("22", "37")
	case BandPreschool:
		r[LOINCRespiratoryRate] = hr("20", "28")
	case BandSchoolAge:
		r[LOINCRespiratoryRate] = hr("18", "25")
	default:
		r[LOINCRespiratoryRate] = hr("12", "20")
	}
	var hypotension decimal.Decimal
	switch {
	case band == BandNeonate:
		hypotension = d("60")
	case years < 1:
		hypotension = d("70")
	case years <= 10:
		hypotension = decimal.NewFromInt(int64(70 + 2*years))
	default:
		hypotension = d("90")
	}
	sys, dia := r[LOINCSystolic], r[LOINCDiastolic]
	sys.Low, sys.CriticalLow = hypotension, hypotension
	if years < 13 {
		sys.High, sys.CriticalHigh = decimal.Zero, decimal.Zero
		dia = Bounds{Unit: "mm[Hg]"}
	}
	r[LOINCSystolic], r[LOINCDiastolic] = sys, dia
	delete(r, LOINCBMI) // children's BMI is read against age- and sex-specific percentiles
	return r, true
}

// BPCategory is a blood-pressure category of the 2017 ACC/AHA guideline.
type BPCategory string

// Blood-pressure categories (Whelton PK et al., 2017 ACC/AHA guideline,
// Hypertension 2018;71:e13-e115, table 6 and section 11.2).
const (
	BPNormal   BPCategory = "normal"               // < 120 and < 80
	BPElevated BPCategory = "elevated"             // 120-129 and < 80
	BPStage1   BPCategory = "stage-1-hypertension" // 130-139 or 80-89
	BPStage2   BPCategory = "stage-2-hypertension" // >= 140 or >= 90
	BPCrisis   BPCategory = "hypertensive-crisis"  // > 180 and/or > 120
)

// ClassifyBloodPressure returns the ACC/AHA 2017 category of an adult's
// systolic and diastolic pressure (any pressure unit Convert knows); the
// higher category of the two readings decides. ok is false when a unit is not
// a pressure.
func ClassifyBloodPressure(systolic, diastolic ehrkit.Quantity) (BPCategory, bool) {
	s, err1 := Convert(systolic, "mm[Hg]")
	di, err2 := Convert(diastolic, "mm[Hg]")
	if err1 != nil || err2 != nil {
		return "", false
	}
	sv, dv := s.Value, di.Value
	switch {
	case sv.GreaterThan(d("180")) || dv.GreaterThan(d("120")):
		return BPCrisis, true
	case sv.GreaterThanOrEqual(d("140")) || dv.GreaterThanOrEqual(d("90")):
		return BPStage2, true
	case sv.GreaterThanOrEqual(d("130")) || dv.GreaterThanOrEqual(d("80")):
		return BPStage1, true
	case sv.GreaterThanOrEqual(d("120")):
		return BPElevated, true
	}
	return BPNormal, true
}

// plausible are the limits outside which a vital sign cannot be a human
// measurement (an entry or device error), in the vital sign's unit: ehrkit's
// own limits, set well beyond recorded extremes so that no real value is
// refused.
var plausible = map[string][2]string{
	LOINCHeartRate:         {"0", "350"},
	LOINCRespiratoryRate:   {"0", "150"},
	LOINCBodyTemperature:   {"10", "47"},
	LOINCOxygenSaturation:  {"0", "100"},
	LOINCPulseOximetry:     {"0", "100"},
	LOINCSystolic:          {"0", "350"},
	LOINCDiastolic:         {"0", "300"},
	LOINCBodyHeight:        {"0", "300"},
	LOINCBodyWeight:        {"0", "700"},
	LOINCBMI:               {"0", "250"},
	LOINCHeadCircumference: {"0", "100"},
}

// positive are the vital signs whose lower limit is itself implausible: a
// body has a weight, a height and a head circumference (a heart or breathing
// rate of 0 records an arrest and stands).
var positive = map[string]bool{LOINCBodyWeight: true, LOINCBodyHeight: true, LOINCBMI: true, LOINCHeadCircumference: true}

// checkPlausible refuses a vital-sign quantity outside the plausibility
// limits (SpO2 101 %, a heart rate of 1000 /min, a weight of zero or less).
func checkPlausible(code string, q ehrkit.Quantity) error {
	lim, ok := plausible[code]
	if !ok {
		return nil
	}
	v, err := Convert(q, vitalSigns[code].Unit)
	if err != nil {
		return nil // the unit check reports it
	}
	var is ehrkit.Issues
	low := !v.Value.LessThan(d(lim[0])) && (!positive[code] || v.Value.GreaterThan(d(lim[0])))
	is.Check(low && !v.Value.GreaterThan(d(lim[1])), "quantity.value", ehrkit.IssueValue,
		"not a plausible %s (%s-%s %s)", vitalSigns[code].Display, lim[0], lim[1], vitalSigns[code].Unit)
	return is.Err()
}

// Disagreement is a flag a sender gave that differs from the one the ranges
// compute: kept as sent, surfaced for review.
type Disagreement struct {
	// Path is "value" or "components[i].value".
	Path     string
	Sent     []string
	Computed string
}

// Disagreements compares the interpretations a sender gave on o's value and
// components with the flags r computes and returns those that differ. A
// sender's "LL" where r computes "L" is a disagreement, not an error: the
// sender's flag stays on the record.
func (r VitalRanges) Disagreements(o Observation) []Disagreement {
	var out []Disagreement
	check := func(path string, code ehrkit.CodeableConcept, v Value, sent []string) {
		if len(sent) == 0 || v.Kind != KindQuantity {
			return
		}
		if f := r.Flag(code.CodeIn(ehrkit.SystemLOINC), v.Quantity); f != "" && !slices.Contains(sent, f) {
			out = append(out, Disagreement{Path: path, Sent: sent, Computed: f})
		}
	}
	check("value", o.Code, o.Value, o.Interpretation)
	for i, c := range o.Components {
		check(ehrkit.Index("components", i)+".value", c.Code, c.Value, c.Interpretation)
	}
	return out
}

// dropComputed clears the interpretations of o that are still the ones the
// ranges computed for the record before a change (computed), so that they are
// computed again; a sender's flag, or one the change set, stays.
func (r VitalRanges) dropComputed(o, computed Observation) Observation {
	if len(o.Interpretation) > 0 && slices.Equal(o.Interpretation, computed.Interpretation) {
		o.Interpretation = nil
	}
	o.Components = slices.Clone(o.Components)
	for i := range o.Components {
		if i < len(computed.Components) && len(o.Components[i].Interpretation) > 0 &&
			slices.Equal(o.Components[i].Interpretation, computed.Components[i].Interpretation) {
			o.Components[i].Interpretation = nil
		}
	}
	return o
}

// rangesFor returns the ranges to flag a patient's vital signs taken at `at`
// against, read in r: the ranges WithVitalRanges set, else those of the
// patient's age, else (no birth date, no such patient: the reference check
// reports that) the service's default adult ranges.
func (s *Service) rangesFor(ctx context.Context, r storage.Reader, p patient.ID, at time.Time) (VitalRanges, error) {
	if s.fixed || !storage.ValidID(string(p)) {
		return s.ranges, nil
	}
	birth, err := patient.BirthDate(ctx, r, p)
	switch {
	case errors.Is(err, ehrkit.ErrNotFound):
		return s.ranges, nil
	case err != nil:
		return nil, err
	}
	if ranges, ok := VitalRangesForAge(birth, ehrkit.DateOf(at)); ok {
		return ranges, nil
	}
	return s.ranges, nil
}
