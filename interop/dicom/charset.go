package dicom

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// charset decodes text values in a data set's Specific Character Set
// (0008,0005), PS3.3 §C.12.1.1.2 and PS3.5 §6.1. The zero value is the
// default repertoire.
type charset struct {
	single   *encoding.Decoder // a single-byte or multi-byte set without code extensions
	utf8     bool              // ISO_IR 192
	iso2022  bool              // code extensions (ISO 2022) in use
	g1       string            // the G1 set of ISO 2022: "ISO 2022 IR 100" or "ISO 2022 IR 13" ...
	japanese bool              // ISO 2022 IR 87 / 159 (JIS X 0208 / 0212) in the set
}

// singleByte are the sets without code extensions, by defined term.
var singleByte = map[string]encoding.Encoding{
	"ISO_IR 100": charmap.ISO8859_1, "ISO_IR 101": charmap.ISO8859_2, "ISO_IR 109": charmap.ISO8859_3,
	"ISO_IR 110": charmap.ISO8859_4, "ISO_IR 144": charmap.ISO8859_5, "ISO_IR 127": charmap.ISO8859_6,
	"ISO_IR 126": charmap.ISO8859_7, "ISO_IR 138": charmap.ISO8859_8, "ISO_IR 148": charmap.ISO8859_9,
	"ISO_IR 203": charmap.ISO8859_15, "ISO_IR 166": charmap.Windows874, "ISO_IR 13": japanese.ShiftJIS,
	"GB18030": simplifiedchinese.GB18030, "GBK": simplifiedchinese.GBK,
}

// newCharset reads the defined terms of (0008,0005). A set the package
// does not know decodes as the default repertoire (bytes that are not
// UTF-8 as ISO 8859-1), so a value is never lost.
func newCharset(terms []string) charset {
	var cs charset
	for i, t := range terms {
		t = strings.TrimSpace(t)
		switch {
		case t == "ISO_IR 192":
			cs.utf8 = true
		case strings.HasPrefix(t, "ISO 2022"):
			cs.iso2022 = true
			switch t {
			case "ISO 2022 IR 87", "ISO 2022 IR 159":
				cs.japanese = true
			case "ISO 2022 IR 6":
			default:
				if cs.g1 == "" {
					cs.g1 = t
				}
			}
		case i == 0 && singleByte[t] != nil:
			cs.single = singleByte[t].NewDecoder()
		}
	}
	return cs
}

// decode converts raw value bytes to UTF-8.
func (cs charset) decode(b []byte) string {
	switch {
	case cs.utf8:
		return strings.ToValidUTF8(string(b), "\uFFFD")
	case cs.iso2022:
		return cs.decode2022(b)
	case cs.single != nil:
		if s, err := cs.single.Bytes(b); err == nil {
			return string(s)
		}
	}
	return latin1(b)
}

// latin1 keeps ASCII and UTF-8 text as it is and reads other bytes as ISO
// 8859-1 (the default repertoire extended as most senders do).
func latin1(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	s, _ := charmap.ISO8859_1.NewDecoder().Bytes(b)
	return string(s)
}

const esc = 0x1B

// decode2022 decodes text with ISO 2022 code extensions (PS3.5 §6.1.2.5):
// runs designated to JIS X 0208 or JIS X 0212 by their escape sequence go
// through the ISO-2022-JP decoder; other runs are ASCII in G0 with G1
// (high bytes) in the set the escape sequence or the first defined term
// named: ISO 8859-1 (IR 100) or JIS X 0201 katakana (IR 13).
func (cs charset) decode2022(b []byte) string {
	var out strings.Builder
	g1 := cs.g1
	for len(b) > 0 {
		run := b
		if i := bytes.IndexByte(b[1:], esc); i >= 0 {
			run = b[:i+1]
		}
		b = b[len(run):]
		switch {
		case bytes.HasPrefix(run, []byte("\x1b$B")), bytes.HasPrefix(run, []byte("\x1b$@")), bytes.HasPrefix(run, []byte("\x1b$(D")):
			if s, err := japanese.ISO2022JP.NewDecoder().Bytes(append(bytes.Clone(run), "\x1b(B"...)); err == nil {
				out.Write(s)
				continue
			}
			out.WriteString("\uFFFD")
			continue
		case bytes.HasPrefix(run, []byte("\x1b-A")):
			g1, run = "ISO 2022 IR 100", run[3:]
		case bytes.HasPrefix(run, []byte("\x1b)I")):
			g1, run = "ISO 2022 IR 13", run[3:]
		case bytes.HasPrefix(run, []byte("\x1b(B")), bytes.HasPrefix(run, []byte("\x1b(J")):
			run = run[3:]
		}
		for _, c := range run {
			switch {
			case c < 0x80:
				out.WriteByte(c)
			case g1 == "ISO 2022 IR 13" && c >= 0xA1 && c <= 0xDF:
				out.WriteRune(rune(0xFF61 + int(c) - 0xA1)) // halfwidth katakana
			case g1 == "ISO 2022 IR 100" && c >= 0xA0:
				out.WriteRune(rune(c))
			default:
				out.WriteString("\uFFFD")
			}
		}
	}
	return out.String()
}
