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

// FuzzTransactions feeds arbitrary bytes to the 835, 837, 271, 999 and
// 277CA readers:
// each ends, never panics, and fails only with an *x12.Error.
func FuzzTransactions(f *testing.F) {
	if dir := os.Getenv("EHRKIT_CORPUS"); dir != "" {
		for _, pattern := range []string{"*.835", "*.271", "*.837i", "imsweb/x12_999_*.x12", "imsweb/x12_277CA_*.x12"} {
			files, _ := filepath.Glob(filepath.Join(dir, "x12", pattern))
			for _, p := range files {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Add([]byte(example837))
	check := func(t *testing.T, err error) {
		var xe *x12.Error
		if err != nil && !errors.As(err, &xe) {
			t.Fatalf("not an *x12.Error: %T %v", err, err)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, err := range x12.Payments835(strings.NewReader(string(b)), "USD") {
			check(t, err)
		}
		for _, err := range x12.Claims837(strings.NewReader(string(b)), "USD") {
			check(t, err)
		}
		for _, err := range x12.Eligibility271(strings.NewReader(string(b)), "USD") {
			check(t, err)
		}
		for _, err := range x12.Acks999(strings.NewReader(string(b))) {
			check(t, err)
		}
		for _, err := range x12.Acks277CA(strings.NewReader(string(b))) {
			check(t, err)
		}
	})
}
