package dicom

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// File is the metadata of one DICOM file: its File Meta group (empty when
// the file has none) and data set, pixel data skipped.
type File struct {
	Meta           []Element
	Elements       []Element
	TransferSyntax string
	// Reader names what read the data set: "suyashkumar/dicom" or, where
	// that library fails on a valid file or is not given it (a data set
	// without File Meta group), "ehrkit" (see the package docs).
	Reader string
}

// Count is the number of elements at the top level of the meta group and
// data set.
func (f *File) Count() int { return len(f.Meta) + len(f.Elements) }

// Get returns the first value of the top-level element t as text, "" when
// absent (see Element.String).
func (f *File) Get(t Tag) string {
	if e, ok := Find(f.Elements, t); ok {
		return e.String()
	}
	return ""
}

// Options bound what Read accepts. The zero value uses the defaults.
type Options struct {
	// MaxBytes is the largest file (and inflated data set) read; 0 means
	// 1 GiB.
	MaxBytes int64
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return 1 << 30
}

// ReadFile reads the metadata of the DICOM file at path.
func ReadFile(path string, o Options) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, o)
}

// Read reads the metadata of a DICOM file, Part 10 (preamble, "DICM", File
// Meta group) or a bare data set, pixel data skipped. A file that is
// truncated or malformed fails with an *Error naming the tag and byte
// offset; it never panics, and no length in the file makes it allocate more
// than the file's size.
func Read(r io.Reader, o Options) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, o.maxBytes()+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > o.maxBytes() {
		return nil, &Error{Offset: o.maxBytes(), Message: fmt.Sprintf("file larger than %d bytes", o.maxBytes())}
	}
	f, err := parse(data, o)
	if err != nil {
		return nil, err
	}
	if len(f.Meta) == 0 {
		return f, nil // the library misreads a bare data set (see the package docs)
	}
	if lib, ok := readWithLibrary(data, f); ok {
		f.Elements, f.Reader = lib, "suyashkumar/dicom"
	}
	return f, nil
}

// parse is the package's own reader: every transfer syntax of PS3.5 that
// the metadata needs, File Meta group optional.
func parse(data []byte, o Options) (*File, error) {
	f := &File{Reader: "ehrkit"}
	p := &parser{data: data, bo: binary.LittleEndian, explicit: true}
	if len(data) >= 132 && string(data[128:132]) == "DICM" {
		p.pos = 132
		for p.pos+2 <= len(data) && binary.LittleEndian.Uint16(data[p.pos:]) == 0x0002 {
			start := p.pos
			t, vr, l, err := p.header()
			if err != nil {
				return nil, err
			}
			e, err := p.element(t, vr, l, start, 0)
			if err != nil {
				return nil, err
			}
			f.Meta = append(f.Meta, e)
		}
		ts, ok := Find(f.Meta, TagTransferSyntax)
		if !ok {
			return nil, &Error{Tag: TagTransferSyntax, Offset: int64(p.pos), Message: "File Meta group without a transfer syntax"}
		}
		f.TransferSyntax = ts.String()
	} else {
		p.pos = dataStart(data)
		if p.pos < 0 {
			return nil, &Error{Message: "not a DICOM file: no DICM prefix and no data set header"}
		}
		f.TransferSyntax = guessSyntax(data[p.pos:])
	}
	switch f.TransferSyntax {
	case ImplicitVRLittleEndian:
		p.explicit = false
	case ExplicitVRBigEndian:
		p.bo = binary.BigEndian
	case DeflatedExplicitVRLittleEndian:
		inflated, err := inflate(data[p.pos:], p.pos, o.maxBytes())
		if err != nil {
			return nil, err
		}
		p.data, p.pos = inflated, 0
	}
	var err error
	f.Elements, err = p.dataset(len(p.data), 0)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// dataStart finds where a data set without File Meta group starts: at 0,
// or after up to 7 stray bytes (a pad byte left behind by a tool that cut
// the group off) before the first header whose group is a plausible first
// group (0x0008 to 0x0028, read either way round); -1 when there is none.
func dataStart(data []byte) int {
	for k := 0; k < 8 && k+8 <= len(data); k++ {
		le, be := binary.LittleEndian.Uint16(data[k:]), binary.BigEndian.Uint16(data[k:])
		if plausibleGroup(le) || plausibleGroup(be) {
			return k
		}
	}
	return -1
}

func plausibleGroup(g uint16) bool { return g >= 0x0008 && g <= 0x0028 && g%2 == 0 }

// guessSyntax infers the transfer syntax of a data set without File Meta
// group from its first element header: a group number that reads right
// only big endian, and two letters where an explicit VR goes.
func guessSyntax(data []byte) string {
	if len(data) < 8 {
		return ImplicitVRLittleEndian
	}
	explicit := validVR(data[4], data[5]) && explicitHeaderLength(data)
	bigEndian := data[0] == 0 && data[1] != 0
	switch {
	case bigEndian && explicit:
		return ExplicitVRBigEndian
	case explicit:
		return ExplicitVRLittleEndian
	}
	return ImplicitVRLittleEndian
}

// explicitHeaderLength checks that an explicit reading of the first header
// is consistent: a long VR has two zero reserved bytes.
func explicitHeaderLength(data []byte) bool {
	vr := string(data[4:6])
	if !explicitLong(vr) {
		return true
	}
	return bytes.Equal(data[6:8], []byte{0, 0})
}
