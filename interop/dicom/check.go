package dicom

import (
	"strings"
	"time"
	"unicode/utf8"
)

// badValue says what is wrong with the decoded values of e, "" when nothing
// (PS3.5 §6.2, Table 6.2-1): a text value holds no control character but the
// line breaks, form feed, tab and escape text VRs allow (NUL is padding, and
// only at the end, where it is trimmed); a DA value is a calendar date; an
// unsigned VR (US, UL, UV) holds no negative number.
func badValue(e *Element) string {
	for _, n := range e.Names {
		for _, s := range []string{n.Alphabetic, n.Ideographic, n.Phonetic} {
			if hasControl(s) {
				return "control character in a person name"
			}
		}
	}
	for _, v := range e.Values {
		switch {
		case hasControl(v):
			return "control character in a " + e.VR + " value"
		case e.VR == "DA" && v != "" && !validDA(v):
			return "DA value is not a calendar date (YYYYMMDD)"
		case (e.VR == "US" || e.VR == "UL" || e.VR == "UV") && strings.HasPrefix(v, "-"):
			return "negative value for the unsigned VR " + e.VR
		}
	}
	return ""
}

// hasControl reports a control character other than TAB, LF, FF, CR and ESC
// (PS3.5 §6.1.3).
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return (r < 0x20 || r == 0x7f) && r != '\t' && r != '\n' && r != '\f' && r != '\r' && r != 0x1b
	})
}

// validDA reports whether v is a date YYYYMMDD, or the YYYY.MM.DD of
// ACR-NEMA files (PS3.5 Table 6.2-1, DA, note).
func validDA(v string) bool {
	layout := "20060102"
	if len(v) == 10 {
		layout = "2006.01.02"
	}
	_, err := time.Parse(layout, v)
	return err == nil && len(v) == len(layout)
}

// firstInvalidUTF8 is the offset of the first byte of b that is not valid
// UTF-8, -1 when there is none.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}
