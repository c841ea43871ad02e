package dicom

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// numericVR are the VRs whose values are JSON numbers (PS3.18 §F.2.3).
func numericVR(vr string) bool {
	switch vr {
	case "IS", "DS", "US", "SS", "UL", "SL", "FL", "FD", "UV", "SV":
		return true
	}
	return false
}

func binaryVR(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "UN":
		return true
	}
	return false
}

// WriteJSON writes the data set ds in the DICOM JSON model (PS3.18 Annex
// F), tags in ascending order.
func WriteJSON(w io.Writer, ds []Element) error {
	var b bytes.Buffer
	writeDataset(&b, ds)
	_, err := w.Write(b.Bytes())
	return err
}

// MarshalJSON returns the DICOM JSON model of ds (see WriteJSON).
func MarshalJSON(ds []Element) []byte {
	var b bytes.Buffer
	writeDataset(&b, ds)
	return b.Bytes()
}

func writeDataset(b *bytes.Buffer, ds []Element) {
	sorted := slices.Clone(ds)
	slices.SortStableFunc(sorted, func(x, y Element) int { return int(int64(x.Tag) - int64(y.Tag)) })
	b.WriteByte('{')
	for i := range sorted {
		if i > 0 {
			b.WriteByte(',')
		}
		writeElement(b, &sorted[i])
	}
	b.WriteByte('}')
}

func writeString(b *bytes.Buffer, s string) {
	out, _ := json.Marshal(s) // a string always marshals
	b.Write(out)
}

func writeElement(b *bytes.Buffer, e *Element) {
	fmt.Fprintf(b, `"%08X":{"vr":`, uint32(e.Tag))
	writeString(b, e.VR)
	switch {
	case e.Bulk:
		b.WriteString(`,"BulkDataURI":`)
		writeString(b, e.BulkDataURI)
	case len(e.Items) > 0:
		b.WriteString(`,"Value":[`)
		for i, it := range e.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeDataset(b, it)
		}
		b.WriteByte(']')
	case len(e.Names) > 0:
		b.WriteString(`,"Value":[`)
		for i, n := range e.Names {
			if i > 0 {
				b.WriteByte(',')
			}
			if n == (PersonName{}) {
				b.WriteString(`{"Alphabetic":""}`)
				continue
			}
			out, _ := json.Marshal(n)
			b.Write(out)
		}
		b.WriteByte(']')
	case binaryVR(e.VR) && e.Bytes != nil:
		b.WriteString(`,"InlineBinary":`)
		writeString(b, base64.StdEncoding.EncodeToString(e.Bytes))
	case len(e.Values) > 0:
		b.WriteString(`,"Value":[`)
		for i, v := range e.Values {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, e.VR, v)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
}

// writeValue writes one value: a number for the numeric VRs (null when
// empty; a value that is not a number is kept as a string, as sent).
func writeValue(b *bytes.Buffer, vr, v string) {
	if !numericVR(vr) {
		writeString(b, v)
		return
	}
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		b.WriteString("null")
	case json.Valid([]byte(v)) && v[0] != '"' && v[0] != '[' && v[0] != '{':
		b.WriteString(v)
	default:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		} else {
			writeString(b, v)
		}
	}
}

// jsonElement is one element of the model as decoded.
type jsonElement struct {
	VR           string            `json:"vr"`
	Value        []json.RawMessage `json:"Value"`
	InlineBinary *string           `json:"InlineBinary"`
	BulkDataURI  *string           `json:"BulkDataURI"`
}

// ParseJSON reads a data set in the DICOM JSON model. A problem is an
// *Error naming the tag (offset 0: JSON has no byte positions worth
// keeping, but for the first byte of input that is not UTF-8). Values are
// checked as Read checks them.
func ParseJSON(data []byte) ([]Element, error) {
	if at := firstInvalidUTF8(data); at >= 0 {
		// JSON text is UTF-8 (RFC 8259 §8.1); encoding/json would replace
		// the bytes silently.
		return nil, &Error{Offset: int64(at), Message: "not valid UTF-8"}
	}
	return parseJSONDataset(data, 0)
}

func parseJSONDataset(data []byte, depth int) ([]Element, error) {
	if depth > maxDepth {
		return nil, &Error{Message: "sequences nested too deep"}
	}
	var obj map[string]jsonElement
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, &Error{Message: "not a DICOM JSON object: " + err.Error()}
	}
	out := make([]Element, 0, len(obj))
	for key, je := range obj {
		n, err := strconv.ParseUint(key, 16, 32)
		if err != nil || len(key) != 8 {
			return nil, &Error{Message: fmt.Sprintf("key %q is not an 8-hex tag", key)}
		}
		e := Element{Tag: Tag(n), VR: je.VR}
		if err := fillJSON(&e, je, depth); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(x, y Element) int { return int(int64(x.Tag) - int64(y.Tag)) })
	return out, nil
}

func fillJSON(e *Element, je jsonElement, depth int) error {
	fail := func(format string, args ...any) error {
		return &Error{Tag: e.Tag, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case je.BulkDataURI != nil:
		e.Bulk, e.BulkDataURI = true, *je.BulkDataURI
	case je.InlineBinary != nil:
		b, err := base64.StdEncoding.DecodeString(*je.InlineBinary)
		if err != nil {
			return fail("InlineBinary is not base64")
		}
		e.Bytes = b
	}
	for _, raw := range je.Value {
		switch {
		case e.VR == "SQ":
			item, err := parseJSONDataset(raw, depth+1)
			if err != nil {
				return err
			}
			e.Items = append(e.Items, item)
		case e.VR == "PN":
			var n PersonName
			if string(raw) != "null" {
				if err := json.Unmarshal(raw, &n); err != nil {
					return fail("person name is not an object")
				}
			}
			e.Names = append(e.Names, n)
		default:
			var v any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(&v); err != nil {
				return fail("bad value")
			}
			switch v := v.(type) {
			case nil:
				e.Values = append(e.Values, "")
			case json.Number:
				e.Values = append(e.Values, v.String())
			case string:
				e.Values = append(e.Values, v)
			default:
				return fail("value is neither a string nor a number")
			}
		}
	}
	if msg := badValue(e); msg != "" {
		return fail("%s", msg)
	}
	return nil
}
