package hl7v2

import (
	"strings"
)

// EscapeText escapes the delimiters and line breaks in a text value with the HL7
// v2 escape sequences (v2.5.1 chapter 2, 2.7): \F\ \S\ \T\ \R\ \E\, and
// \.br\ for a line break ("\r\n", "\n" or "\r").
func (d Delimiters) EscapeText(s string) string {
	if !d.needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	e := d.Escape
	seq := func(code string) { b.WriteByte(e); b.WriteString(code); b.WriteByte(e) }
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == d.Field:
			seq("F")
		case c == d.Component:
			seq("S")
		case c == d.Subcomponent && c != 0:
			seq("T")
		case c == d.Repetition:
			seq("R")
		case c == e && e != 0:
			seq("E")
		case c == '\r' || c == '\n':
			if c == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			seq(".br")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (d Delimiters) needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == d.Field, c == d.Component, c == d.Repetition, c == '\r', c == '\n',
			c == d.Subcomponent && c != 0, c == d.Escape && c != 0:
			return true
		}
	}
	return false
}

// UnescapeText replaces the escape sequences of an ER7 text value: \F\ \S\ \T\
// \R\ \E\ become the delimiters, \Xhh…\ the bytes it spells in hex, \.br\ and
// \.sp\ a line feed; \H\ and \N\ (highlighting on and off), the other
// formatting commands and the character-set escapes \Cxxyy\ \Mxxyyzz\ are
// dropped. A locally defined escape (\Z…\) or one that is not well formed
// (possible only under AllowUnknownEscapes) is kept as sent.
func (d Delimiters) UnescapeText(s string) string {
	e := d.Escape
	if e == 0 || strings.IndexByte(s, e) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != e {
			b.WriteByte(c)
			continue
		}
		j := strings.IndexByte(s[i+1:], e)
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		body := s[i+1 : i+1+j]
		if out, ok := d.expand(body); ok {
			b.WriteString(out)
		} else {
			b.WriteString(s[i : i+j+2])
		}
		i += j + 1
	}
	return b.String()
}

// expand gives the text of one escape sequence's body, and whether the body
// is a sequence the standard defines.
func (d Delimiters) expand(body string) (string, bool) {
	switch body {
	case "F":
		return string(d.Field), true
	case "S":
		return string(d.Component), true
	case "T":
		return string(d.Subcomponent), true
	case "R":
		return string(d.Repetition), true
	case "E":
		return string(d.Escape), true
	case "H", "N":
		return "", true
	case ".br":
		return "\n", true
	}
	if body == "" {
		return "", false
	}
	switch body[0] {
	case 'X':
		hex := body[1:]
		if len(hex) == 0 || len(hex)%2 != 0 {
			return "", false
		}
		out := make([]byte, len(hex)/2)
		for k := range out {
			hi, ok1 := unhex(hex[2*k])
			lo, ok2 := unhex(hex[2*k+1])
			if !ok1 || !ok2 {
				return "", false
			}
			out[k] = hi<<4 | lo
		}
		return string(out), true
	case 'C', 'M':
		n := 4
		if body[0] == 'M' {
			n = 6
		}
		if len(body) != n+1 || !allHex(body[1:]) {
			return "", false
		}
		return "", true
	case '.':
		switch {
		case strings.HasPrefix(body, ".sp"):
			return "\n", true
		case body == ".fi", body == ".nf", body == ".ce",
			strings.HasPrefix(body, ".in"), strings.HasPrefix(body, ".ti"), strings.HasPrefix(body, ".sk"):
			return "", true
		}
	}
	return "", false
}

// validEscape reports whether body is a sequence the parser accepts strictly:
// one the standard defines or a locally defined \Z…\ one.
func (d Delimiters) validEscape(body string) bool {
	if len(body) > 1 && body[0] == 'Z' {
		return true
	}
	_, ok := d.expand(body)
	return ok
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok {
			return false
		}
	}
	return true
}
