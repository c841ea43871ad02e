package billing

import "github.com/shopspring/decimal"

// Benefit kinds (X12 271 EB01, the eligibility or benefit information code).
const (
	BenefitActive       = "active"        // 1: active coverage
	BenefitInactive     = "inactive"      // 6: inactive
	BenefitCoinsurance  = "coinsurance"   // A
	BenefitCopay        = "copay"         // B
	BenefitDeductible   = "deductible"    // C
	BenefitOutOfPocket  = "out-of-pocket" // G: out of pocket (stop loss)
	BenefitLimitation   = "limitation"    // F: limitations
	BenefitNonCovered   = "non-covered"   // I
	BenefitPrimaryCare  = "primary-care"  // L: primary care provider
	BenefitOtherPayer   = "other-payer"   // R: other or additional payer
	BenefitOtherBenefit = "other"         // any other EB01 code, kept in Benefit.Code
)

// Benefit periods (271 EB06, the time period qualifier).
const (
	PeriodCalendarYear = "calendar-year" // 23
	PeriodYearToDate   = "year-to-date"  // 24
	PeriodVisit        = "visit"         // 27
	PeriodRemaining    = "remaining"     // 29
	PeriodServiceYear  = "service-year"  // 22
	PeriodLifetime     = "lifetime"      // 32
)

// Network (271 EB12).
const (
	InNetwork    = "in"  // Y
	OutOfNetwork = "out" // N
)

// Benefit is one benefit of a coverage a payer reported (271 EB; FHIR
// CoverageEligibilityResponse.insurance.item): what kind, for whom (the
// coverage level), for which service types, over which period, and the
// amount or percentage, in or out of network. A deductible with the period
// "remaining" is what is left to meet; with "calendar-year" the whole.
type Benefit struct {
	Kind         string          `json:"kind"`
	Code         string          `json:"code"`                   // EB01 as sent
	Level        string          `json:"level,omitempty"`        // EB02: IND individual, FAM family, ...
	ServiceTypes []string        `json:"serviceTypes,omitempty"` // EB03: 30 plan coverage, 98 office visit, ...
	Plan         string          `json:"plan,omitempty"`         // EB05: the plan's description
	Period       string          `json:"period,omitempty"`       // EB06 by name (PeriodRemaining ...), else the code
	Amount       *Money          `json:"amount,omitempty"`       // EB07
	Percent      decimal.Decimal `json:"percent,omitzero"`       // EB08, 0.2 for 20 %
	Network      string          `json:"network,omitempty"`      // EB12: InNetwork, OutOfNetwork, or empty when not applicable
}
