package hl7v2

import (
	"strconv"
	"strings"
)

// Get returns the unescaped value at a terser-style path, or "" when the
// path names nothing in the message:
//
//	PID-5          field 5 of the first PID: its first repetition's first component
//	PID-3.1        component 1 of the first repetition
//	PID-3[2].4.2   repetition 2, component 4, subcomponent 2
//	OBX(3)-5       field 5 of the third OBX
//
// Positions are 1-based. A malformed path also gives "".
func (m *Message) Get(path string) string {
	p, ok := parsePath(path)
	if !ok {
		return ""
	}
	seg, ok := m.Segment(p.name, p.occurrence)
	if !ok {
		return ""
	}
	c := seg.Field(p.field).Rep(p.rep).Component(max(p.comp, 1))
	if p.sub > 0 {
		return c.Sub(p.sub)
	}
	if p.comp == 0 {
		return c.Sub(1)
	}
	return c.Text()
}

type path struct {
	name                              string
	occurrence, field, rep, comp, sub int
}

func parsePath(s string) (path, bool) {
	p := path{occurrence: 1, rep: 1}
	if len(s) < 5 || s[3] != '-' && s[3] != '(' {
		return p, false
	}
	p.name, s = s[:3], s[3:]
	if s[0] == '(' {
		end := strings.IndexByte(s, ')')
		n, err := strconv.Atoi(s[1:max(end, 1)])
		if end < 0 || err != nil || n < 1 {
			return p, false
		}
		p.occurrence, s = n, s[end+1:]
	}
	if !strings.HasPrefix(s, "-") {
		return p, false
	}
	s = s[1:]
	fieldPart, rest, _ := strings.Cut(s, ".")
	if i := strings.IndexByte(fieldPart, '['); i >= 0 {
		if !strings.HasSuffix(fieldPart, "]") {
			return p, false
		}
		n, err := strconv.Atoi(fieldPart[i+1 : len(fieldPart)-1])
		if err != nil || n < 1 {
			return p, false
		}
		p.rep, fieldPart = n, fieldPart[:i]
	}
	n, err := strconv.Atoi(fieldPart)
	if err != nil || n < 1 {
		return p, false
	}
	p.field = n
	if rest == "" {
		return p, !strings.HasSuffix(s, ".")
	}
	compPart, subPart, hasSub := strings.Cut(rest, ".")
	if p.comp, err = strconv.Atoi(compPart); err != nil || p.comp < 1 {
		return p, false
	}
	if hasSub {
		if p.sub, err = strconv.Atoi(subPart); err != nil || p.sub < 1 {
			return p, false
		}
	}
	return p, true
}
