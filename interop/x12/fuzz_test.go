package x12_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ehrkit/ehrkit/interop/x12"
)

// FuzzRead feeds arbitrary bytes to the reader: it must end with io.EOF or an
// *x12.Error, never panic, and errors must not echo element values.
func FuzzRead(f *testing.F) {
	if dir := os.Getenv("EHRKIT_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "x12", "*.837"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(example837))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := x12.NewReader(strings.NewReader(string(b)), x12.WithMaxSegment(4096))
		for range 100000 {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var xe *x12.Error
				if !errors.As(err, &xe) {
					t.Fatalf("not an *x12.Error: %T %v", err, err)
				}
				if strings.Contains(xe.Error(), "SECRETVALUE") {
					t.Fatalf("error echoes an element value: %v", xe)
				}
				return
			}
		}
	})
}
