package access

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// appendEvent appends the JSON encoding of ev to b, byte for byte what
// encoding/json gives (fields in declaration order, omitempty, HTML-safe
// string escapes, invalid UTF-8 as U+FFFD), without reflection. ok is false,
// and b returned as it was, for an event whose time is not UTC or has a year
// outside [0, 9999]: those take encoding/json's path (which refuses the
// second).
func appendEvent(b []byte, ev *Event) (_ []byte, ok bool) {
	start := len(b)
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, ev.Seq, 10)
	if b, ok = appendBody(b, ev); !ok {
		return b[:start], false
	}
	b = append(b, `,"prev":`...)
	b = appendJSONString(b, ev.Prev)
	b = appendStringField(b, `,"hash":`, ev.Hash)
	return append(b, '}'), true
}

// appendBody appends the fields of ev's encoding from time to grant: what
// sits between seq and prev, the part chaining leaves unchanged. ok is as
// appendEvent's.
func appendBody(b []byte, ev *Event) (_ []byte, ok bool) {
	if ev.Time.Location() != time.UTC || ev.Time.Year() < 0 || ev.Time.Year() > 9999 {
		return b, false
	}
	b = append(b, `,"time":"`...)
	b = ev.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","actor":`...)
	b = appendJSONString(b, ev.Actor)
	b = appendStringField(b, `,"actorKind":`, string(ev.ActorKind))
	b = appendStringField(b, `,"practitioner":`, ev.Practitioner)
	b = appendStringField(b, `,"onBehalfOf":`, ev.OnBehalfOf)
	b = appendListField(b, `,"roles":`, ev.Roles)
	b = appendStringField(b, `,"facility":`, ev.Facility)
	b = append(b, `,"action":`...)
	b = appendJSONString(b, ev.Action)
	b = appendStringField(b, `,"type":`, ev.Type)
	b = appendStringField(b, `,"id":`, ev.ID)
	if ev.Version != 0 {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, ev.Version, 10)
	}
	b = appendStringField(b, `,"patient":`, ev.Patient)
	b = appendListField(b, `,"results":`, ev.Results)
	b = appendStringField(b, `,"purpose":`, ev.Purpose)
	b = append(b, `,"outcome":`...)
	b = appendJSONString(b, string(ev.Outcome))
	b = appendStringField(b, `,"reason":`, ev.Reason)
	b = appendStringField(b, `,"grant":`, ev.Grant)
	return b, true
}

// appendStringField appends an omitempty string field: key (with its
// leading comma and colon) and value, or nothing when s is empty.
func appendStringField(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONString(append(b, key...), s)
}

// appendListField appends an omitempty list of strings.
func appendListField(b []byte, key string, list []string) []byte {
	if len(list) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes strings: '"'
// and '\\' escaped, control characters as \b \f \n \r \t or \u00XX, '<',
// '>' and '&' as \u00XX, U+2028 and U+2029 escaped, and each byte of
// invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
