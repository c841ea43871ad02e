package lab

import (
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/shopspring/decimal"
)

// ReferenceRange is the normal range of a test for patients of one sex and
// age band, with the critical limits beyond which the ordering clinician is
// called at once. Numeric limits are inclusive and in Unit; a limit that is
// not Valid does not apply. Coded results are normal when they are one of
// Normal, critical when they are one of Critical.
type ReferenceRange struct {
	// Code is the LOINC code of the test.
	Code string `json:"code,omitempty"`
	// Sex restricts the range to one administrative gender ("" for any).
	Sex patient.Gender `json:"sex,omitempty"`
	// AgeFrom and AgeTo bound the age in whole years: AgeFrom <= age <
	// AgeTo; AgeTo 0 means no upper bound.
	AgeFrom int                 `json:"ageFrom,omitempty"`
	AgeTo   int                 `json:"ageTo,omitempty"`
	Unit    string              `json:"unit,omitempty"`
	Low     decimal.NullDecimal `json:"low,omitzero"`
	High    decimal.NullDecimal `json:"high,omitzero"`
	// CriticalLow and CriticalHigh are the critical (panic) limits: a value
	// at or beyond one is flagged LL or HH.
	CriticalLow  decimal.NullDecimal `json:"criticalLow,omitzero"`
	CriticalHigh decimal.NullDecimal `json:"criticalHigh,omitzero"`
	Normal       []ehrkit.Coding     `json:"normal,omitempty"`
	Critical     []ehrkit.Coding     `json:"critical,omitempty"`
	// Text is the range as a sender wrote it (OBX-7, "3.5-5.1"), kept as sent.
	Text string `json:"text,omitempty"`
	// Source names where the limits come from.
	Source string `json:"source,omitempty"`
}

// IsZero reports whether the range sets no limit and no coded answer.
func (r ReferenceRange) IsZero() bool {
	return !r.Low.Valid && !r.High.Valid && !r.CriticalLow.Valid && !r.CriticalHigh.Valid && len(r.Normal) == 0 && len(r.Critical) == 0
}

// applies reports whether the range is for a patient of the sex and age
// (whole years; known false when the age cannot be told, which matches only
// ranges for any age or for adults).
func (r ReferenceRange) applies(sex patient.Gender, age int, known bool) bool {
	if r.Sex != "" && r.Sex != sex {
		return false
	}
	if !known {
		return r.AgeTo == 0 && r.AgeFrom <= adultAge
	}
	return age >= r.AgeFrom && (r.AgeTo == 0 || age < r.AgeTo)
}

// adultAge is the age, in years, from which the adult ranges apply; a patient
// whose age cannot be told is flagged against them.
const adultAge = 18

// Ranges is a table of reference ranges.
type Ranges []ReferenceRange

// For returns the range of the LOINC code for a patient of the sex and age
// (known false when the birth date is not recorded: the adult ranges then
// apply, and a sex-specific range needs a sex). The first matching range wins.
func (rs Ranges) For(code string, sex patient.Gender, age int, known bool) (ReferenceRange, bool) {
	for _, r := range rs {
		if r.Code == code && r.applies(sex, age, known) {
			return r, true
		}
	}
	return ReferenceRange{}, false
}

// LOINC codes of the starter set.
const (
	LOINCPotassium  = "2823-3"  // Potassium [Moles/volume] in Serum or Plasma
	LOINCSodium     = "2951-2"  // Sodium [Moles/volume] in Serum or Plasma
	LOINCGlucose    = "2345-7"  // Glucose [Mass/volume] in Serum or Plasma
	LOINCHemoglobin = "718-7"   // Hemoglobin [Mass/volume] in Blood
	LOINCCreatinine = "2160-0"  // Creatinine [Mass/volume] in Serum or Plasma
	LOINCTroponinI  = "10839-9" // Troponin I.cardiac [Mass/volume] in Serum or Plasma
)

// Sources of the starter ranges.
const (
	// SourceMedlinePlus: U.S. National Library of Medicine, MedlinePlus
	// Medical Encyclopedia, "Potassium blood test", "Sodium blood test",
	// "Blood sugar test - blood", "Hemoglobin", "Creatinine blood test",
	// "Troponin test" (normal results sections).
	SourceMedlinePlus = "MedlinePlus Medical Encyclopedia (NLM), normal results"
	// SourceKost: Kost GJ. Critical limits for urgent clinician
	// notification at US medical centers. JAMA 1990;263(5):704-707, mean
	// adult critical limits (creatinine: the table of critical limits of
	// the same surveys, Medical Laboratory Observer).
	SourceKost = "Kost GJ, JAMA 1990;263:704-707, mean adult critical limits"
)

func dec(s string) decimal.NullDecimal {
	if s == "" {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: decimal.RequireFromString(s), Valid: true}
}

func numeric(code, unit string, sex patient.Gender, low, high, critLow, critHigh string) ReferenceRange {
	src := SourceMedlinePlus
	if critLow != "" || critHigh != "" {
		src += "; " + SourceKost
	}
	return ReferenceRange{Code: code, Sex: sex, AgeFrom: adultAge, Unit: unit, Low: dec(low), High: dec(high),
		CriticalLow: dec(critLow), CriticalHigh: dec(critHigh), Source: src}
}

// StarterRanges returns the adult ranges ehrkit ships for a starter set of
// tests (each call returns a fresh table). Normal ranges are MedlinePlus's
// (SourceMedlinePlus); critical limits are the mean limits of Kost's survey
// of US medical centres (SourceKost). Troponin I has no critical limit here:
// any value above the upper reference limit is flagged H and reported.
// Laboratories differ in method and population: a sender's own range (OBX-7)
// is preferred to this table, and a site replaces it with WithRanges.
//
//	potassium   3.7–5.2 mmol/L      critical < 2.8, > 6.2
//	sodium      135–145 mmol/L      critical < 120, > 158
//	glucose     70–100 mg/dL        critical < 46, > 484 (fasting range)
//	hemoglobin  13.8–17.2 g/dL (male), 12.1–15.1 g/dL (female)
//	                                critical < 6.6, > 19.9
//	creatinine  0.7–1.3 mg/dL (male), 0.6–1.1 mg/dL (female)
//	                                critical > 7.4
//	troponin I  ≤ 0.04 ng/mL
func StarterRanges() Ranges {
	m, f := patient.GenderMale, patient.GenderFemale
	return Ranges{
		numeric(LOINCPotassium, "mmol/L", "", "3.7", "5.2", "2.8", "6.2"),
		numeric(LOINCSodium, "mmol/L", "", "135", "145", "120", "158"),
		numeric(LOINCGlucose, "mg/dL", "", "70", "100", "46", "484"),
		numeric(LOINCHemoglobin, "g/dL", m, "13.8", "17.2", "6.6", "19.9"),
		numeric(LOINCHemoglobin, "g/dL", f, "12.1", "15.1", "6.6", "19.9"),
		numeric(LOINCCreatinine, "mg/dL", m, "0.7", "1.3", "", "7.4"),
		numeric(LOINCCreatinine, "mg/dL", f, "0.6", "1.1", "", "7.4"),
		numeric(LOINCTroponinI, "ng/mL", "", "", "0.04", "", ""),
	}
}

// AgeAt returns the age in whole years on the day of at of a patient born on
// birth; false when the birth date is not recorded or is after at.
func AgeAt(birth ehrkit.Date, at time.Time) (int, bool) {
	if birth.IsZero() || at.IsZero() {
		return 0, false
	}
	b := birth.Start(time.UTC)
	at = at.UTC()
	if at.Before(b) {
		return 0, false
	}
	age := at.Year() - b.Year()
	if at.Month() < b.Month() || at.Month() == b.Month() && at.Day() < b.Day() {
		age--
	}
	return age, true
}
