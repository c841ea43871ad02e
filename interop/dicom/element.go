package dicom

import (
	"fmt"
	"strings"
)

// Tag is a data element tag: group in the high 16 bits, element in the low.
type Tag uint32

// NewTag builds a tag from its group and element numbers.
func NewTag(group, element uint16) Tag { return Tag(uint32(group)<<16 | uint32(element)) }

// Group is the tag's group number.
func (t Tag) Group() uint16 { return uint16(t >> 16) }

// Element is the tag's element number.
func (t Tag) Element() uint16 { return uint16(t) }

// Private reports whether the tag is a private one (odd group).
func (t Tag) Private() bool { return t.Group()%2 == 1 }

// String formats the tag as "(gggg,eeee)" in uppercase hex.
func (t Tag) String() string { return fmt.Sprintf("(%04X,%04X)", t.Group(), t.Element()) }

// Tags the package reads by name.
const (
	TagTransferSyntax       Tag = 0x00020010
	TagSpecificCharacterSet Tag = 0x00080005
	TagSOPClassUID          Tag = 0x00080016
	TagSOPInstanceUID       Tag = 0x00080018
	TagStudyDate            Tag = 0x00080020
	TagStudyTime            Tag = 0x00080030
	TagAccessionNumber      Tag = 0x00080050
	TagModality             Tag = 0x00080060
	TagReferringPhysician   Tag = 0x00080090
	TagStudyDescription     Tag = 0x00081030
	TagSeriesDescription    Tag = 0x0008103E
	TagPatientName          Tag = 0x00100010
	TagPatientID            Tag = 0x00100020
	TagPatientBirthDate     Tag = 0x00100030
	TagPatientSex           Tag = 0x00100040
	TagBodyPartExamined     Tag = 0x00180015
	TagStudyInstanceUID     Tag = 0x0020000D
	TagSeriesInstanceUID    Tag = 0x0020000E
	TagSeriesNumber         Tag = 0x00200011
	TagInstanceNumber       Tag = 0x00200013
	TagPixelData            Tag = 0x7FE00010
	tagItem                 Tag = 0xFFFEE000
	tagItemDelim            Tag = 0xFFFEE00D
	tagSeqDelim             Tag = 0xFFFEE0DD
)

// PersonName is a DICOM person name (VR PN) split into its component
// groups (PS3.5 §6.2.1): the name in alphabetic characters, in ideographic
// characters (kanji, hanzi ...) and in phonetic characters (kana, hangul).
// Each group keeps its "^"-separated components as sent.
type PersonName struct {
	Alphabetic  string `json:"Alphabetic,omitempty"`
	Ideographic string `json:"Ideographic,omitempty"`
	Phonetic    string `json:"Phonetic,omitempty"`
}

// parseName splits a decoded PN value at "=" into its groups.
func parseName(s string) PersonName {
	g := strings.SplitN(s, "=", 3)
	g = append(g, "", "")
	return PersonName{Alphabetic: g[0], Ideographic: g[1], Phonetic: g[2]}
}

// String joins the groups back with "=", without trailing empty groups.
func (n PersonName) String() string {
	return strings.TrimRight(n.Alphabetic+"="+n.Ideographic+"="+n.Phonetic, "=")
}

// Element is one data element of a data set. Which value field is set
// depends on the VR: Values for text and numbers (IS, DS, binary numbers
// formatted in decimal, AT as "GGGGEEEE"; "" is an empty value), Names for
// PN, Bytes for OB, OW, OF, OD, OL, OV and UN (private values kept raw),
// Items for SQ. Bulk marks a value not read (pixel data), whose length is
// Length.
type Element struct {
	Tag    Tag
	VR     string
	Offset int64  // byte offset of the element header in the file (in the inflated stream when deflated)
	Length uint32 // value length as encoded; UndefinedLength for undefined
	Values []string
	Names  []PersonName
	Bytes  []byte
	Items  [][]Element
	Bulk   bool
	// BulkDataURI is where a bulk value may be fetched, when known.
	BulkDataURI string
}

// UndefinedLength is the value length of sequences and items delimited by
// a delimitation item (PS3.5 §7.1).
const UndefinedLength = 0xFFFFFFFF

// String returns the element's first value as text ("" when it has none);
// a person name is joined back into its DICOM form.
func (e *Element) String() string {
	switch {
	case len(e.Values) > 0:
		return e.Values[0]
	case len(e.Names) > 0:
		return e.Names[0].String()
	}
	return ""
}

// Find returns the element with tag t in the data set (top level only).
func Find(ds []Element, t Tag) (*Element, bool) {
	for i := range ds {
		if ds[i].Tag == t {
			return &ds[i], true
		}
	}
	return nil, false
}

// Error is a failure to read a file: the element being read (its tag, zero
// when the failure is before any element) and the byte offset where the
// problem was found. It never carries values from the file.
type Error struct {
	Tag     Tag
	Offset  int64
	Message string
}

// Error names the tag, the byte offset and what went wrong; never element values.
func (e *Error) Error() string {
	return fmt.Sprintf("dicom: %s at offset %d: %s", e.Tag, e.Offset, e.Message)
}
