// Package billing holds the money side of a practice: amounts in exact
// decimal with an ISO 4217 currency, charges and their syntax checks.
//
// # Money
//
// A [Money] is a shopspring/decimal amount with a currency; arithmetic never
// passes through floating point, and amounts of different currencies never
// mix (the operations return an error). One rounding rule applies
// everywhere: [Money.Round] rounds half away from zero to the currency's
// ISO 4217 minor unit (2 places for USD and EUR, 0 for JPY, 3 for BHD), and a
// computed amount (a percentage of a fee, a split) is rounded once, when it
// becomes a charge, payment or balance line. Formatting for people goes
// through golang.org/x/text (currency symbols and the number conventions of
// a language).
//
// # Procedure codes
//
// CPT is licensed by the American Medical Association: ehrkit ships no CPT
// descriptions. A charge's CPT / HCPCS Level II code is checked by syntax
// ([ehrkit.CheckCode]); the integrator loads its payers' fee schedules, whose
// entries carry codes and prices only.
package billing
