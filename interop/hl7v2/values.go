package hl7v2

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
)

// codeSystems maps HL7 table 0396 coding-system names to the URIs FHIR uses.
var codeSystems = map[string]string{
	"LN": ehrkit.SystemLOINC, "SCT": ehrkit.SystemSNOMED, "UCUM": ehrkit.SystemUCUM, "RXNORM": ehrkit.SystemRxNorm,
	"I10C": ehrkit.SystemICD10CM, "CVX": ehrkit.SystemCVX, "NDC": ehrkit.SystemNDC, "CPT4": ehrkit.SystemCPT,
}

// codeSystem is the URI of a table 0396 name: the FHIR one for the systems
// above and HL7 tables ("HL70078" → v2-0078), else the name as sent.
func codeSystem(name string) string {
	if uri, ok := codeSystems[strings.ToUpper(name)]; ok {
		return uri
	}
	if n := strings.TrimPrefix(strings.ToUpper(name), "HL7"); len(n) == 4 && allDigits(n) {
		return "http://terminology.hl7.org/CodeSystem/v2-" + n
	}
	return name
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// concept maps a CE/CWE/CNE: the identifier triplet (components 1-3), the
// alternate triplet (4-6) and the original text (9, else the first text).
func concept(r Rep) ehrkit.CodeableConcept {
	var cc ehrkit.CodeableConcept
	for _, at := range []int{1, 4} {
		code := strings.TrimSpace(r.Component(at).Text())
		if code == "" {
			continue
		}
		cc.Coding = append(cc.Coding, ehrkit.Coding{System: codeSystem(strings.TrimSpace(r.Component(at + 2).Text())), Code: code,
			Display: strings.TrimSpace(r.Component(at + 1).Text())})
	}
	cc.Text = strings.TrimSpace(r.Component(9).Text())
	if cc.Text == "" {
		cc.Text = strings.TrimSpace(r.Component(2).Text())
	}
	return cc
}

// dtmTime reads an HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]) as an
// instant; a value without an offset is read as UTC. Missing parts are the
// start of the period.
func dtmTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%w: malformed date/time", ehrkit.ErrInvalid)
	body, zone := s, ""
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		body, zone = s[:i], s[i:]
	}
	frac := ""
	if i := strings.IndexByte(body, '.'); i >= 0 {
		body, frac = body[:i], body[i+1:]
		if len(body) != 14 || !allDigits(frac) {
			return time.Time{}, bad
		}
	}
	if !allDigits(body) || len(body) < 4 || len(body) > 14 || len(body)%2 != 0 {
		return time.Time{}, bad
	}
	num := func(from, to int, def int) int {
		if len(body) < to {
			return def
		}
		n, _ := strconv.Atoi(body[from:to])
		return n
	}
	year, month, day := num(0, 4, 0), num(4, 6, 1), num(6, 8, 1)
	hour, minute, sec := num(8, 10, 0), num(10, 12, 0), num(12, 14, 0)
	nsec := 0
	if frac != "" {
		f, _ := strconv.ParseFloat("0."+frac, 64)
		nsec = int(f * 1e9)
	}
	loc := time.UTC
	if zone != "" {
		if len(zone) != 5 || !allDigits(zone[1:]) {
			return time.Time{}, bad
		}
		h, _ := strconv.Atoi(zone[1:3])
		m, _ := strconv.Atoi(zone[3:5])
		off := h*3600 + m*60
		if zone[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	if t.Month() != time.Month(month) || t.Day() != day || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, bad
	}
	return t.UTC(), nil
}
