package patient

import (
	"strconv"
	"strings"

	"github.com/ehrkit/ehrkit"
)

// SystemMRN is the default identifier system of the MRNs the registry assigns.
// Deployments set their own (an OID or URL of the facility) with WithMRN.
const SystemMRN = "urn:ehrkit:mrn"

// MRNFormat says how medical record numbers are made: Prefix, then a counter
// zero-padded to Digits digits, then, when CheckDigit is set, a Luhn (mod 10)
// check digit over the counter digits, so that a mistyped MRN is caught before
// it is looked up. The counter is per System and starts at 1.
type MRNFormat struct {
	System     string // identifier system of the MRNs
	Prefix     string // e.g. "MRN"; may be empty
	Digits     int    // minimum counter width; wider numbers are not truncated
	CheckDigit bool   // append a Luhn check digit
}

// DefaultMRN is the format used unless WithMRN says otherwise: "MRN" then eight
// digits and a check digit (MRN000000018).
var DefaultMRN = MRNFormat{System: SystemMRN, Prefix: "MRN", Digits: 8, CheckDigit: true}

// Format renders the n-th MRN.
func (f MRNFormat) Format(n int64) string {
	digits := strconv.FormatInt(n, 10)
	if pad := f.Digits - len(digits); pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	if f.CheckDigit {
		digits += strconv.Itoa(ehrkit.LuhnDigit(digits))
	}
	return f.Prefix + digits
}

// Valid reports whether s has the format's shape and, when it has one, a
// correct check digit.
func (f MRNFormat) Valid(s string) bool {
	digits, ok := strings.CutPrefix(s, f.Prefix)
	if !ok || len(digits) < max(f.Digits, 1) {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	if !f.CheckDigit {
		return true
	}
	body, check := digits[:len(digits)-1], int(digits[len(digits)-1]-'0')
	return len(body) >= f.Digits && ehrkit.LuhnDigit(body) == check
}

// Validate checks the format itself.
func (f MRNFormat) Validate() error {
	var v ehrkit.Issues
	v.Required("system", f.System != "")
	v.Check(f.Digits >= 1 && f.Digits <= 18, "digits", ehrkit.IssueValue, "must be 1..18")
	return v.Err()
}
