package dicom

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	lib "github.com/suyashkumar/dicom"
)

// readWithLibrary reads the data set with suyashkumar/dicom, pixel data
// skipped, after the package's own reader accepted the file (so every
// length in it is within the file and the library allocates no more than
// the file's size). It returns the library's elements, or false where the
// library fails or panics, or where its structure disagrees with the own
// reader's (see the package docs).
func readWithLibrary(data []byte, own *File) (out []Element, ok bool) {
	defer func() {
		if recover() != nil {
			out, ok = nil, false
		}
	}()
	ds, err := lib.Parse(bytes.NewReader(data), int64(len(data)), nil, lib.SkipPixelData())
	if err != nil {
		return nil, false
	}
	var elems []*lib.Element
	for _, e := range ds.Elements {
		if e.Tag.Group != 0x0002 {
			elems = append(elems, e)
		}
	}
	out = fromLibrary(elems)
	return out, sameShape(out, own.Elements)
}

// fromLibrary converts the library's elements; offsets are taken from the
// own reader's elements by sameShape's caller when needed.
func fromLibrary(elems []*lib.Element) []Element {
	out := make([]Element, 0, len(elems))
	for _, le := range elems {
		e := Element{Tag: NewTag(le.Tag.Group, le.Tag.Element), VR: le.RawValueRepresentation, Length: le.ValueLength}
		if le.ValueLength == 0 && le.Value.ValueType() != lib.Sequences {
			out = append(out, e) // the library gives an empty value as [""]: none
			continue
		}
		switch v := le.Value.GetValue().(type) {
		case []string:
			if e.VR == "PN" {
				for _, s := range v {
					e.Names = append(e.Names, parseName(strings.TrimRight(s, " ")))
				}
			} else {
				e.Values = v
			}
		case []int:
			if e.VR == "AT" {
				for i := 0; i+1 < len(v); i += 2 {
					e.Values = append(e.Values, fmt.Sprintf("%04X%04X", v[i], v[i+1]))
				}
				break
			}
			for _, n := range v {
				e.Values = append(e.Values, strconv.Itoa(n))
			}
		case []float64:
			for _, f := range v {
				bits := 64
				if e.VR == "FL" {
					bits = 32
				}
				e.Values = append(e.Values, strconv.FormatFloat(f, 'g', -1, bits))
			}
		case []byte:
			e.Bytes = v
		case []*lib.SequenceItemValue:
			e.Items = [][]Element{}
			for _, it := range v {
				e.Items = append(e.Items, fromLibrary(it.GetValue().([]*lib.Element)))
			}
		case lib.PixelDataInfo:
			e.Bulk = true
		}
		out = append(out, e)
	}
	return out
}

// sameShape reports whether two readings of a data set agree on every
// element's tag, VR and number of values or items, and copies the own
// reader's offsets onto the library's elements.
func sameShape(lib, own []Element) bool {
	if len(lib) != len(own) {
		return false
	}
	for i := range lib {
		a, b := &lib[i], &own[i]
		if a.Tag != b.Tag || a.VR != b.VR || a.Bulk != b.Bulk || len(a.Items) != len(b.Items) ||
			!slices.Equal(a.Values, b.Values) || !slices.Equal(a.Names, b.Names) || !bytes.Equal(a.Bytes, b.Bytes) {
			return false
		}
		for j := range a.Items {
			if !sameShape(a.Items[j], b.Items[j]) {
				return false
			}
		}
		a.Offset, a.Length = b.Offset, b.Length
	}
	return true
}
