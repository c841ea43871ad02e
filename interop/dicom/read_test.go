package dicom

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpus returns a folder of the shared corpus (EHRKIT_CORPUS), skipping the
// test when it is absent.
func corpus(t testing.TB, sub string) string {
	t.Helper()
	root := os.Getenv("EHRKIT_CORPUS")
	if root == "" {
		t.Skip("EHRKIT_CORPUS not set: the DICOM corpus is not available")
	}
	dir := filepath.Join(root, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus folder %s not available: %v", dir, err)
	}
	return dir
}

// TestCorpus reads every file of the corpus: each reads, with the transfer
// syntax and reader its PROVENANCE describes, except MR_truncated.dcm,
// which fails with an *Error at the pixel data.
func TestCorpus(t *testing.T) {
	dir := corpus(t, "dicom")
	want := map[string]struct{ ts, reader string }{
		"1.dcm": {ExplicitVRLittleEndian, "suyashkumar/dicom"}, "2.dcm": {ExplicitVRLittleEndian, "suyashkumar/dicom"},
		"3.dcm": {ExplicitVRLittleEndian, "suyashkumar/dicom"}, "5.dcm": {ExplicitVRLittleEndian, "suyashkumar/dicom"},
		"6.dcm":                           {DeflatedExplicitVRLittleEndian, "suyashkumar/dicom"},
		"pydicom/CT_small.dcm":            {ExplicitVRLittleEndian, "suyashkumar/dicom"},
		"pydicom/ExplVR_BigEndNoMeta.dcm": {ExplicitVRBigEndian, "ehrkit"},
		"pydicom/MR_small_implicit.dcm":   {ImplicitVRLittleEndian, "suyashkumar/dicom"},
		"pydicom/UN_sequence.dcm":         {"1.2.840.10008.1.2.4.70", "ehrkit"},
		"pydicom/badVR.dcm":               {ExplicitVRLittleEndian, "suyashkumar/dicom"},
		"pydicom/chrGerm.dcm":             {ExplicitVRLittleEndian, "suyashkumar/dicom"},
		"pydicom/chrH31.dcm":              {ExplicitVRLittleEndian, "suyashkumar/dicom"},
		"pydicom/chrJapMulti.dcm":         {ExplicitVRLittleEndian, "suyashkumar/dicom"},
		"pydicom/image_dfl.dcm":           {DeflatedExplicitVRLittleEndian, "suyashkumar/dicom"},
		"pydicom/no_meta.dcm":             {ExplicitVRLittleEndian, "ehrkit"},
		"pydicom/priv_SQ.dcm":             {ImplicitVRLittleEndian, "suyashkumar/dicom"},
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.dcm"))
	more, _ := filepath.Glob(filepath.Join(dir, "pydicom", "*.dcm"))
	files = append(files, more...)
	require.Len(t, files, len(want)+1)
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		t.Run(rel, func(t *testing.T) {
			f, err := ReadFile(path, Options{})
			if rel == "pydicom/MR_truncated.dcm" {
				var de *Error
				require.True(t, errors.As(err, &de), "want *Error, got %v", err)
				assert.Equal(t, TagPixelData, de.Tag)
				assert.Positive(t, de.Offset)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, want[rel].ts, f.TransferSyntax)
			assert.Equal(t, want[rel].reader, f.Reader)
			assert.NotEmpty(t, f.Elements)
		})
	}
}

func readCorpus(t *testing.T, name string) *File {
	t.Helper()
	f, err := ReadFile(filepath.Join(corpus(t, "dicom"), name), Options{})
	require.NoError(t, err)
	return f
}

func TestSpecialFiles(t *testing.T) {
	// no_meta.dcm is CT_small.dcm without its File Meta group.
	ct, noMeta := readCorpus(t, "pydicom/CT_small.dcm"), readCorpus(t, "pydicom/no_meta.dcm")
	assert.Empty(t, noMeta.Meta)
	assert.Equal(t, string(MarshalJSON(ct.Elements)), string(MarshalJSON(noMeta.Elements)))
	assert.Equal(t, "CompressedSamples^CT1", ct.Get(TagPatientName))

	// The undefined-length UN sequence is read as a sequence of implicit VR items.
	un := readCorpus(t, "pydicom/UN_sequence.dcm")
	require.Len(t, un.Elements, 1)
	sq := un.Elements[0]
	assert.Equal(t, NewTag(0x4453, 0x100C), sq.Tag)
	assert.Equal(t, "SQ", sq.VR)
	require.NotEmpty(t, sq.Items)

	// A private element of implicit VR data is kept raw: its bytes as sent.
	priv := readCorpus(t, "pydicom/priv_SQ.dcm")
	e, ok := Find(priv.Elements, NewTag(0x3F03, 0x1001))
	require.True(t, ok)
	assert.Equal(t, "UN", e.VR)
	assert.Len(t, e.Bytes, 166)
	assert.Equal(t, []byte{0xFE, 0xFF, 0x00, 0xE0}, e.Bytes[:4], "an item as sent")

	// Big endian without meta group: numbers are read the right way round.
	be := readCorpus(t, "pydicom/ExplVR_BigEndNoMeta.dcm")
	assert.Equal(t, ExplicitVRBigEndian, be.TransferSyntax)
}

func TestCharacterSets(t *testing.T) {
	name := func(f *File) PersonName {
		e, ok := Find(f.Elements, TagPatientName)
		require.True(t, ok)
		require.NotEmpty(t, e.Names)
		return e.Names[0]
	}
	assert.Equal(t, PersonName{Alphabetic: "Yamada^Tarou", Ideographic: "山田^太郎", Phonetic: "やまだ^たろう"}, name(readCorpus(t, "pydicom/chrH31.dcm")))
	assert.Equal(t, "Äneas^Rüdiger", name(readCorpus(t, "pydicom/chrGerm.dcm")).Alphabetic)
	jp := name(readCorpus(t, "pydicom/chrJapMulti.dcm"))
	assert.NotContains(t, jp.String(), "\uFFFD")
	assert.NotContains(t, jp.String(), "\x1b")

	for _, c := range []struct {
		terms []string
		in    []byte
		want  string
	}{
		{[]string{"ISO_IR 100"}, []byte{'J', 0xE9, 'r', 0xF4, 'm', 'e'}, "Jérôme"},
		{[]string{"ISO_IR 192"}, []byte("Wang^XiaoDong=王^小東"), "Wang^XiaoDong=王^小東"},
		{[]string{"", "ISO 2022 IR 87"}, []byte("\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B"), "山田^太郎"},
		{[]string{"ISO 2022 IR 13", "ISO 2022 IR 87"}, []byte{0xD4, 0xCF, 0xC0, 0xDE}, "ﾔﾏﾀﾞ"},
		{nil, []byte("ASCII"), "ASCII"},
	} {
		assert.Equal(t, c.want, newCharset(c.terms).decode(c.in), "%q", c.terms)
	}
}

// TestErrors feeds truncated and hostile files: each fails with an *Error
// naming the tag and offset, without a large allocation.
func TestErrors(t *testing.T) {
	ct, err := os.ReadFile(filepath.Join(corpus(t, "dicom"), "pydicom", "CT_small.dcm"))
	require.NoError(t, err)
	for _, n := range []int{140, 300, 1000, 5000} {
		_, err := Read(bytes.NewReader(ct[:n]), Options{})
		var de *Error
		require.True(t, errors.As(err, &de), "truncated at %d: %v", n, err)
		assert.LessOrEqual(t, de.Offset, int64(n))
	}

	// An explicit VR element claiming 4 GB: refused before allocating.
	hostile := append(make([]byte, 128), "DICM"...)
	hostile = append(hostile, 0x02, 0x00, 0x10, 0x00, 'U', 'I', 20, 0)
	hostile = append(hostile, ExplicitVRLittleEndian+"\x00"...)
	hostile = append(hostile, make([]byte, 20-len(ExplicitVRLittleEndian)-1)...)
	hostile = append(hostile, 0x09, 0x00, 0x10, 0x00, 'O', 'B', 0, 0)
	hostile = binary.LittleEndian.AppendUint32(hostile, 0xFFFFFFF0)
	_, err = Read(bytes.NewReader(hostile), Options{})
	var de *Error
	require.True(t, errors.As(err, &de), "%v", err)
	assert.Equal(t, NewTag(0x0009, 0x0010), de.Tag)
	assert.Equal(t, int64(160), de.Offset)

	// Sequences nested past the limit fail, they do not exhaust the stack.
	var deep []byte
	for range 100 {
		deep = append(deep, 0x08, 0x00, 0x15, 0x11, 'S', 'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF)
	}
	_, err = Read(bytes.NewReader(deep), Options{})
	require.True(t, errors.As(err, &de), "%v", err)

	_, err = Read(bytes.NewReader(ct), Options{MaxBytes: 1000})
	require.True(t, errors.As(err, &de), "%v", err)
}

func FuzzRead(f *testing.F) {
	if root := os.Getenv("EHRKIT_CORPUS"); root != "" {
		for _, pattern := range []string{"dicom/pydicom/*.dcm", "dicom/6.dcm"} {
			files, _ := filepath.Glob(filepath.Join(root, pattern))
			for _, path := range files {
				if b, err := os.ReadFile(path); err == nil && len(b) < 64<<10 {
					f.Add(b)
				}
			}
		}
	}
	f.Add([]byte{0x08, 0x00, 0x05, 0x00, 'C', 'S', 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Read(bytes.NewReader(b), Options{MaxBytes: 1 << 20})
		if err != nil {
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if de.Offset < 0 {
				t.Fatalf("negative offset %d", de.Offset)
			}
			return
		}
		if _, err := ParseJSON(MarshalJSON(file.Elements)); err != nil {
			t.Fatalf("own JSON does not read back: %v", err)
		}
	})
}

// TestBoundedMemory reads each corpus file and checks what it allocated
// stays within a small multiple of the file's size (plus 4 MiB of slack for
// the inflater of deflated files and the race detector's bookkeeping): a
// reader that trusts a hostile length allocates hundreds of megabytes.
func TestBoundedMemory(t *testing.T) {
	dir := corpus(t, "dicom")
	files, _ := filepath.Glob(filepath.Join(dir, "pydicom", "*.dcm"))
	for _, path := range files {
		info, err := os.Stat(path)
		require.NoError(t, err)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _ = ReadFile(path, Options{})
		runtime.ReadMemStats(&after)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8*info.Size()+4<<20), filepath.Base(path))
	}
}
