package ehrkit

import "regexp"

var (
	icd10cmRe = regexp.MustCompile(`^[A-Z][0-9][0-9AB](\.[0-9A-Z]{1,4})?$`)
	loincRe   = regexp.MustCompile(`^([0-9]{1,7})-([0-9])$`)
	loincLxRe = regexp.MustCompile(`^L[AGP][0-9]{1,8}-[0-9]$`)
	cptRe     = regexp.MustCompile(`^[0-9]{4}[0-9FTU]$`)
	hcpcsRe   = regexp.MustCompile(`^[A-V][0-9]{4}$`)
	rxnormRe  = regexp.MustCompile(`^[0-9]{1,9}$`)
	snomedRe  = regexp.MustCompile(`^[1-9][0-9]{5,17}$`)
)

// CheckCode checks the syntax of code in the known code systems: ICD-10-CM
// (letter, two characters, optional dot and up to four more), LOINC (number,
// dash, Mod-10 check digit; answer, group and part codes such as "LA6568-5" by
// syntax only), CPT, HCPCS Level II, RxNorm (numeric RXCUI), SNOMED CT
// (numeric SCTID with a valid Verhoeff check digit and the partition
// identifier of a concept, 00 or 10: SNOMED CT Technical Implementation
// Guide, SCTID data type) and NPI (Luhn check with
// prefix 80840). Codes of other systems are accepted as they are. A code that
// breaks its system's syntax fails with a *ValidationError (wrapping
// ErrInvalid) whose one issue is at path "code" with IssueCodeInvalid.
func CheckCode(system, code string) error {
	switch system {
	case SystemICD10CM:
		if !icd10cmRe.MatchString(code) {
			return invalidCode("not an ICD-10-CM code")
		}
	case SystemLOINC:
		if loincLxRe.MatchString(code) {
			return nil // answer (LA), group (LG) and part (LP) codes: syntax only
		}
		m := loincRe.FindStringSubmatch(code)
		if m == nil {
			return invalidCode("not a LOINC code (digits-checkdigit)")
		}
		if LuhnDigit(m[1]) != int(m[2][0]-'0') {
			return invalidCode("LOINC check digit does not match")
		}
	case SystemCPT:
		if !cptRe.MatchString(code) {
			return invalidCode("not a CPT code")
		}
	case SystemHCPCS:
		if !hcpcsRe.MatchString(code) && !cptRe.MatchString(code) {
			return invalidCode("not a HCPCS code")
		}
	case SystemRxNorm:
		if !rxnormRe.MatchString(code) {
			return invalidCode("not an RxNorm concept id")
		}
	case SystemSNOMED:
		if !snomedRe.MatchString(code) || !verhoeffValid(code) {
			return invalidCode("not a SNOMED CT identifier")
		}
		if p := code[len(code)-3 : len(code)-1]; p != "00" && p != "10" {
			return invalidCode("not a SNOMED CT concept identifier (partition " + p + ")")
		}
	case SystemNPI:
		if !ValidNPI(code) {
			return invalidCode("not a valid NPI")
		}
	}
	return nil
}

// invalidCode is CheckCode's error: one code-invalid issue at "code".
func invalidCode(msg string) error {
	var v Issues
	v.Add("code", IssueCodeInvalid, "%s", msg)
	return v.Err()
}

// LuhnDigit returns the Luhn (Mod-10) check digit to append to a string of
// decimal digits: the digit LOINC codes end with, the last digit of an NPI
// (over the prefix 80840 and the first nine digits), and the check digit of
// ehrkit's MRN format.
func LuhnDigit(digits string) int {
	sum := 0
	double := true // the rightmost digit is doubled
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// ValidNPI reports whether npi is ten digits starting with 1 or 2 and
// passing the Luhn check with the 80840 prefix (CMS, NPI standard: the first
// digit is 1 or 2, the last a check digit over the prefix 80840 and the first
// nine digits).
func ValidNPI(npi string) bool {
	if len(npi) != 10 || (npi[0] != '1' && npi[0] != '2') {
		return false
	}
	for i := 0; i < len(npi); i++ {
		if npi[i] < '0' || npi[i] > '9' {
			return false // strconv.Atoi would accept a sign
		}
	}
	return luhnValid("80840" + npi)
}

func luhnValid(s string) bool {
	n := len(s) - 1
	return n > 0 && LuhnDigit(s[:n]) == int(s[n]-'0')
}

var verhoeffD = [10][10]int{
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
	{2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
	{4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
	{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
	{8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
}

var verhoeffP = [8][10]int{
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
	{5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
	{9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
	{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
}

// verhoeffValid checks the Verhoeff check digit SNOMED CT identifiers end with.
func verhoeffValid(num string) bool {
	c := 0
	for i := 0; i < len(num); i++ {
		d := int(num[len(num)-1-i] - '0')
		c = verhoeffD[c][verhoeffP[i%8][d]]
	}
	return c == 0
}
