package dicom

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	lib "github.com/suyashkumar/dicom"
)

// benchFiles returns the readable corpus files, in memory.
func benchFiles(b *testing.B) [][]byte {
	dir := corpus(b, "dicom")
	files, _ := filepath.Glob(filepath.Join(dir, "*.dcm"))
	more, _ := filepath.Glob(filepath.Join(dir, "pydicom", "*.dcm"))
	var out [][]byte
	for _, f := range append(files, more...) {
		if filepath.Base(f) == "MR_truncated.dcm" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// BenchmarkRead reads the corpus files' metadata (pixel data skipped):
// Read as shipped, the own reader alone, and suyashkumar/dicom alone. MB/s
// counts whole files; files/s is reported beside it.
func BenchmarkRead(b *testing.B) {
	files := benchFiles(b)
	var size int64
	for _, f := range files {
		size += int64(len(f))
	}
	for _, c := range []struct {
		name string
		read func([]byte) error
	}{
		{"Read", func(d []byte) error { _, err := Read(bytes.NewReader(d), Options{}); return err }},
		{"own", func(d []byte) error { _, err := parse(d, Options{}); return err }},
		{"suyashkumar", func(d []byte) error {
			_, err := lib.Parse(bytes.NewReader(d), int64(len(d)), nil, lib.SkipPixelData())
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, f := range files {
					_ = c.read(f) // the library fails on two files; the time counts
				}
			}
			b.ReportMetric(float64(b.N*len(files))/b.Elapsed().Seconds(), "files/s")
		})
	}
}

// BenchmarkWriteJSON writes the DICOM JSON model of CT_small.dcm.
func BenchmarkWriteJSON(b *testing.B) {
	f, err := ReadFile(filepath.Join(corpus(b, "dicom"), "pydicom", "CT_small.dcm"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = MarshalJSON(f.Elements)
	}
}
