package dicom

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/internal/membound"
)

// Bounds on what reading a bad input may allocate: Read holds the file in
// memory once (io.ReadAll, bounded by Options.MaxBytes, whose growing buffer
// allocates about 2.3 times the file in all, 4.7 times under the race
// detector) and stops at the bad element, so it allocates at most 6 times
// the input plus badInputBound; ParseJSON, which is given the bytes, at most
// badInputBound.
const badInputBound = 4 << 20

// explicitLE is one element in explicit VR little endian (PS3.5 §7.1.2).
func explicitLE(t Tag, vr string, v []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, t.Group())
	b = binary.LittleEndian.AppendUint16(b, t.Element())
	b = append(b, vr...)
	if explicitLong(vr) {
		b = append(b, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
	}
	return append(b, v...)
}

// dataset is a bare data set (no File Meta group): character set, study
// date, patient name, study UID.
func dataset(charset, date, name string) []byte {
	var b []byte
	if charset != "" {
		b = append(b, explicitLE(TagSpecificCharacterSet, "CS", []byte(charset))...)
	}
	b = append(b, explicitLE(TagStudyDate, "DA", []byte(date))...)
	b = append(b, explicitLE(TagPatientName, "PN", []byte(name))...)
	return append(b, explicitLE(TagStudyInstanceUID, "UI", []byte("1.2.3.4\x00"))...)
}

// TestReadBadInput: bad bytes in a DICOM file or DICOM JSON data set are
// refused with an *Error naming the tag and byte offset (offset 0 for JSON
// but where the bytes are not UTF-8), never a panic, and allocate at most
// badInputBound beyond the input.
func TestReadBadInput(t *testing.T) {
	const ok = "20230228"
	nested := func(levels int) []byte { // sequences of undefined length, each holding one item
		var b []byte
		for range levels {
			b = append(b, 0x08, 0x00, 0x15, 0x11, 'S', 'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF)
		}
		return b
	}
	hugeLength := explicitLE(TagPatientName, "PN", nil)
	hugeLength = append(hugeLength[:6], 0xF0, 0xFF) // a length of 65 520 bytes with none present
	binaryCases := []struct {
		name   string
		data   []byte
		opts   Options
		tag    Tag
		offset int64
	}{
		{"empty", nil, Options{}, 0, 0},
		{"10 MB over a 1 MiB limit", bytes.Repeat([]byte{0x08}, 10<<20), Options{MaxBytes: 1 << 20}, 0, 1 << 20},
		{"10 MB of bytes that are no data set", bytes.Repeat([]byte{0xFF}, 10<<20), Options{}, 0, 0},
		{"NUL inside the patient name", dataset("", ok, "DO\x00E^JANE"), Options{}, TagPatientName, 16},
		{"invalid UTF-8 under ISO_IR 192", dataset("ISO_IR 192", ok, "DO\xffE^JANE"), Options{}, TagPatientName, 34},
		// 2023 is no leap year (ISO 8601 calendar): there is no 30 February.
		{"impossible study date", dataset("", "20230230", "DOE^JANE"), Options{}, TagStudyDate, 0},
		{"length past the end", hugeLength, Options{}, TagPatientName, 0},
		{"100 000 nested sequences", nested(100_000), Options{}, NewTag(0x0008, 0x1115), 32 * 20},
	}
	for _, tc := range binaryCases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			membound.Check(t, 6*uint64(len(tc.data))+badInputBound, func() { _, err = Read(bytes.NewReader(tc.data), tc.opts) })
			var de *Error
			require.True(t, errors.As(err, &de), "want *dicom.Error, got %v", err)
			assert.Equal(t, tc.tag, de.Tag)
			assert.Equal(t, tc.offset, de.Offset)
			assert.NotContains(t, de.Error(), "DOE", "no element value in the error")
		})
	}

	jsonCases := []struct {
		name   string
		data   string
		tag    Tag
		offset int64
	}{
		{"empty", "", 0, 0},
		{"10 MB string that is not JSON", strings.Repeat("x", 10<<20), 0, 0},
		{"invalid UTF-8 in the patient name", `{"00100010":{"vr":"PN","Value":[{"Alphabetic":"DO` + "\xff" + `E"}]}}`, 0, 49},
		{"NUL in the patient name", `{"00100010":{"vr":"PN","Value":[{"Alphabetic":"DO\u0000E"}]}}`, TagPatientName, 0},
		{"impossible study date", `{"00080020":{"vr":"DA","Value":["20230230"]}}`, TagStudyDate, 0},
		// US is an unsigned 16-bit integer (PS3.5 Table 6.2-1).
		{"negative rows", `{"00280010":{"vr":"US","Value":[-5]}}`, NewTag(0x0028, 0x0010), 0},
		{"100 000 nested sequences", strings.Repeat(`{"00081115":{"vr":"SQ","Value":[`, 100_000) + "{}" + strings.Repeat("]}}", 100_000), 0, 0},
	}
	for _, tc := range jsonCases {
		t.Run("JSON "+tc.name, func(t *testing.T) {
			var err error
			data := []byte(tc.data)
			membound.Check(t, badInputBound, func() { _, err = ParseJSON(data) })
			var de *Error
			require.True(t, errors.As(err, &de), "want *dicom.Error, got %v", err)
			assert.Equal(t, tc.tag, de.Tag)
			assert.Equal(t, tc.offset, de.Offset)
			assert.NotContains(t, de.Error(), "DOE", "no element value in the error")
		})
	}
}
