package dicom

import (
	"errors"
	"testing"
)

// FuzzParseJSON feeds arbitrary documents to ParseJSON: it never panics, a
// refusal is an *Error, and a data set it reads writes back to JSON that
// reads again to the same number of elements.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^Jane"}]},"00280010":{"vr":"US","Value":[512]}}`))
	f.Add([]byte(`{"00081115":{"vr":"SQ","Value":[{"00081150":{"vr":"UI","Value":["1.2.3"]}}]}}`))
	f.Add([]byte(`{"7FE00010":{"vr":"OB","InlineBinary":"AAEC"}}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		els, err := ParseJSON(data)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		again, err := ParseJSON(MarshalJSON(els))
		if err != nil {
			t.Fatalf("own JSON does not read back: %v", err)
		}
		if len(again) != len(els) {
			t.Fatalf("%d elements read back as %d", len(els), len(again))
		}
	})
}
