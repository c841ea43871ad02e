package dicom

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// Transfer syntaxes the reader knows by name (PS3.5 §10, PS3.6 Annex A);
// any other (JPEG, RLE ... encapsulated pixel data) is read as explicit VR
// little endian, its pixel data skipped.
const (
	ImplicitVRLittleEndian         = "1.2.840.10008.1.2"
	ExplicitVRLittleEndian         = "1.2.840.10008.1.2.1"
	DeflatedExplicitVRLittleEndian = "1.2.840.10008.1.2.1.99"
	ExplicitVRBigEndian            = "1.2.840.10008.1.2.2"
)

// maxDepth bounds the nesting of sequences.
const maxDepth = 32

// parser walks a data set held in memory. Every length is checked against
// the bytes left before anything is allocated, so a hostile length fails
// with an *Error instead of a large allocation.
type parser struct {
	data     []byte
	pos      int
	bo       binary.ByteOrder
	explicit bool
	cs       charset
}

func (p *parser) fail(t Tag, at int, format string, args ...any) *Error {
	return &Error{Tag: t, Offset: int64(at), Message: fmt.Sprintf(format, args...)}
}

// explicitLong are the VRs whose explicit header has a 4-byte length after
// two reserved bytes (PS3.5 §7.1.2).
func explicitLong(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
		return true
	}
	return false
}

func validVR(b0, b1 byte) bool { return b0 >= 'A' && b0 <= 'Z' && b1 >= 'A' && b1 <= 'Z' }

// dictVR is the VR of a tag in implicit VR data (the data dictionary of
// PS3.6, as the library ships it); unknown and private tags are UN.
func dictVR(t Tag) string {
	if t.Element() == 0 {
		return "UL"
	}
	info, err := tag.Find(tag.Tag{Group: t.Group(), Element: t.Element()})
	if err != nil || len(info.VRs) == 0 {
		return "UN"
	}
	if slices.Contains(info.VRs, "OW") {
		return "OW" // implicit VR pixel data and its kin are OW (PS3.5 §A.1)
	}
	vr := info.VRs[0]
	if len(vr) > 2 { // "US or SS" ...
		vr = vr[:2]
	}
	return vr
}

// header reads an element header at p.pos: tag, VR and length.
func (p *parser) header() (Tag, string, uint32, error) {
	start := p.pos
	if len(p.data)-p.pos < 8 {
		return 0, "", 0, p.fail(0, start, "truncated element header")
	}
	t := NewTag(p.bo.Uint16(p.data[p.pos:]), p.bo.Uint16(p.data[p.pos+2:]))
	if t.Group() == 0xFFFE { // items and delimiters: no VR in any syntax
		l := p.bo.Uint32(p.data[p.pos+4:])
		p.pos += 8
		return t, "", l, nil
	}
	if !p.explicit {
		l := p.bo.Uint32(p.data[p.pos+4:])
		p.pos += 8
		return t, dictVR(t), l, nil
	}
	b0, b1 := p.data[p.pos+4], p.data[p.pos+5]
	if !validVR(b0, b1) {
		return t, "", 0, p.fail(t, start+4, "invalid VR")
	}
	vr := string([]byte{b0, b1})
	if explicitLong(vr) {
		if len(p.data)-p.pos < 12 {
			return t, vr, 0, p.fail(t, start, "truncated element header")
		}
		l := p.bo.Uint32(p.data[p.pos+8:])
		p.pos += 12
		return t, vr, l, nil
	}
	l := uint32(p.bo.Uint16(p.data[p.pos+6:]))
	p.pos += 8
	return t, vr, l, nil
}

// dataset reads elements up to end, or, when end is -1 (an item of
// undefined length), up to the item delimiter.
func (p *parser) dataset(end int, depth int) ([]Element, error) {
	var out []Element
	for end < 0 || p.pos < end {
		start := p.pos
		if end < 0 && p.pos >= len(p.data) {
			return out, p.fail(0, start, "item without delimiter")
		}
		t, vr, l, err := p.header()
		if err != nil {
			return out, err
		}
		if end >= 0 && p.pos > end {
			return out, p.fail(t, start, "element header overruns its item")
		}
		if t == tagItemDelim && end < 0 {
			return out, nil
		}
		if t.Group() == 0xFFFE {
			return out, p.fail(t, start, "item or delimiter out of place")
		}
		e, err := p.element(t, vr, l, start, depth)
		if err != nil {
			return out, err
		}
		if e.Tag == TagSpecificCharacterSet && depth == 0 {
			p.cs = newCharset(e.Values)
		}
		out = append(out, e)
	}
	if p.pos != end {
		return out, p.fail(0, p.pos, "element overruns its item")
	}
	return out, nil
}

// element reads the value of one element whose header ended at p.pos.
func (p *parser) element(t Tag, vr string, l uint32, start, depth int) (Element, error) {
	e := Element{Tag: t, VR: vr, Offset: int64(start), Length: l}
	if l == UndefinedLength {
		switch {
		case t == TagPixelData:
			// Encapsulated pixel data: skip its fragments (PS3.5 §A.4).
			e.Bulk = true
			return e, p.skipFragments(t)
		case vr == "SQ" || vr == "UN":
			// An undefined-length UN holds a sequence in implicit VR
			// little endian (PS3.5 §6.2.2, CP-246).
			e.VR = "SQ"
			return e, p.sequence(&e, -1, depth, vr == "UN")
		default:
			return e, p.fail(t, start, "undefined length for VR %s", vr)
		}
	}
	if uint64(l) > uint64(len(p.data)-p.pos) {
		return e, p.fail(t, start, "value length %d exceeds the %d bytes left", l, len(p.data)-p.pos)
	}
	end := p.pos + int(l)
	if vr == "SQ" {
		return e, p.sequence(&e, end, depth, false)
	}
	v := p.data[p.pos:end]
	p.pos = end
	if t == TagPixelData {
		e.Bulk = true
		return e, nil
	}
	return e, p.value(&e, v)
}

// sequence reads the items of a sequence ending at end (-1: undefined
// length, up to the sequence delimiter). implicitLE switches the items to
// implicit VR little endian (a UN sequence).
func (p *parser) sequence(e *Element, end, depth int, implicitLE bool) error {
	if depth+1 > maxDepth {
		return p.fail(e.Tag, int(e.Offset), "sequences nested deeper than %d", maxDepth)
	}
	if implicitLE {
		bo, ex := p.bo, p.explicit
		p.bo, p.explicit = binary.LittleEndian, false
		defer func() { p.bo, p.explicit = bo, ex }()
	}
	e.Items = [][]Element{}
	for end < 0 || p.pos < end {
		start := p.pos
		t, _, l, err := p.header()
		if err != nil {
			return p.fail(e.Tag, start, "truncated sequence")
		}
		switch {
		case t == tagSeqDelim && end < 0:
			return nil
		case t != tagItem:
			return p.fail(e.Tag, start, "expected an item, found %s", t)
		}
		itemEnd := -1
		if l != UndefinedLength {
			if uint64(l) > uint64(len(p.data)-p.pos) || (end >= 0 && p.pos+int(l) > end) {
				return p.fail(e.Tag, start, "item length %d exceeds the bytes left", l)
			}
			itemEnd = p.pos + int(l)
		}
		item, err := p.dataset(itemEnd, depth+1)
		if err != nil {
			return err
		}
		e.Items = append(e.Items, item)
	}
	if p.pos != end {
		return p.fail(e.Tag, p.pos, "sequence overruns its length")
	}
	return nil
}

// skipFragments skips the items of encapsulated pixel data up to the
// sequence delimiter.
func (p *parser) skipFragments(t Tag) error {
	for {
		start := p.pos
		it, _, l, err := p.header()
		if err != nil {
			return p.fail(t, start, "truncated pixel data fragments")
		}
		if it == tagSeqDelim {
			return nil
		}
		if it != tagItem || l == UndefinedLength || uint64(l) > uint64(len(p.data)-p.pos) {
			return p.fail(t, start, "malformed pixel data fragment")
		}
		p.pos += int(l)
	}
}

// value decodes the bytes v of a non-sequence element.
func (p *parser) value(e *Element, v []byte) error {
	if p.cs.utf8 && textVR(e.VR) && !utf8.Valid(v) {
		return p.fail(e.Tag, int(e.Offset), "value is not valid UTF-8 (Specific Character Set ISO_IR 192)")
	}
	switch e.VR {
	case "US", "SS", "UL", "SL", "FL", "FD", "SV", "UV", "AT":
		return p.numbers(e, v)
	case "OB", "OD", "OF", "OL", "OV", "OW", "UN":
		e.Bytes = bytes.Clone(v)
		return nil
	case "PN":
		for _, s := range splitValues(p.cs.decode(v)) {
			e.Names = append(e.Names, parseName(strings.TrimRight(s, " \x00")))
		}
		if msg := badValue(e); msg != "" {
			return p.fail(e.Tag, int(e.Offset), "%s", msg)
		}
		return nil
	}
	if len(v) == 0 {
		return nil
	}
	s := string(v)
	if textVR(e.VR) {
		s = p.cs.decode(v)
	}
	switch e.VR {
	case "LT", "ST", "UT", "UR":
		e.Values = []string{strings.TrimRight(s, " \x00")}
	default:
		for _, part := range splitValues(s) {
			e.Values = append(e.Values, strings.Trim(part, " \x00"))
		}
	}
	if msg := badValue(e); msg != "" {
		return p.fail(e.Tag, int(e.Offset), "%s", msg)
	}
	return nil
}

// textVR reports whether values of vr are in the Specific Character Set
// (PS3.5 §6.1.2.3); the others are in the default repertoire.
func textVR(vr string) bool {
	switch vr {
	case "SH", "LO", "ST", "LT", "UT", "UC", "PN":
		return true
	}
	return false
}

func splitValues(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, `\`)
}

// numbers decodes binary numbers into decimal text.
func (p *parser) numbers(e *Element, v []byte) error {
	size := map[string]int{"US": 2, "SS": 2, "UL": 4, "SL": 4, "FL": 4, "FD": 8, "SV": 8, "UV": 8, "AT": 4}[e.VR]
	if len(v)%size != 0 {
		return p.fail(e.Tag, int(e.Offset), "value length %d is not a multiple of %d for VR %s", len(v), size, e.VR)
	}
	e.Values = make([]string, 0, len(v)/size)
	for i := 0; i < len(v); i += size {
		b := v[i:]
		var s string
		switch e.VR {
		case "US":
			s = strconv.FormatUint(uint64(p.bo.Uint16(b)), 10)
		case "SS":
			s = strconv.FormatInt(int64(int16(p.bo.Uint16(b))), 10)
		case "UL":
			s = strconv.FormatUint(uint64(p.bo.Uint32(b)), 10)
		case "SL":
			s = strconv.FormatInt(int64(int32(p.bo.Uint32(b))), 10)
		case "UV":
			s = strconv.FormatUint(p.bo.Uint64(b), 10)
		case "SV":
			s = strconv.FormatInt(int64(p.bo.Uint64(b)), 10)
		case "FL":
			s = strconv.FormatFloat(float64(math.Float32frombits(p.bo.Uint32(b))), 'g', -1, 32)
		case "FD":
			s = strconv.FormatFloat(math.Float64frombits(p.bo.Uint64(b)), 'g', -1, 64)
		case "AT":
			s = fmt.Sprintf("%04X%04X", p.bo.Uint16(b), p.bo.Uint16(b[2:]))
		}
		e.Values = append(e.Values, s)
	}
	return nil
}

// inflate decompresses the deflated data set after the File Meta group
// (raw deflate, PS3.5 §A.5), bounded by limit bytes.
func inflate(data []byte, at int, limit int64) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(data))
	out, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &Error{Offset: int64(at), Message: "deflated data set: " + err.Error()}
	}
	if int64(len(out)) > limit {
		return nil, &Error{Offset: int64(at), Message: fmt.Sprintf("deflated data set inflates beyond %d bytes", limit)}
	}
	return out, nil
}
