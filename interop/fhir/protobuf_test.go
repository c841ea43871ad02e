package fhir_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// older reports whether semantic version a ("v1.36.12") is older than b.
func older(a, b string) bool {
	var x, y [3]int
	fmt.Sscanf(a, "v%d.%d.%d", &x[0], &x[1], &x[2])
	fmt.Sscanf(b, "v%d.%d.%d", &y[0], &y[1], &y[2])
	for i := range x {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return false
}

// TestProtobufVersion guards against google/fhir/go pulling in the protobuf
// runtime it was released with (v1.25.0, CVE-2024-24786): the build must use
// google.golang.org/protobuf v1.36 or newer and github.com/golang/protobuf
// v1.5.4 or newer (as `go list -m` reports them).
func TestProtobufVersion(t *testing.T) {
	for path, minimum := range map[string]string{"google.golang.org/protobuf": "v1.36.0", "github.com/golang/protobuf": "v1.5.4"} {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", path).Output()
		if err != nil {
			t.Fatalf("go list -m %s: %v", path, err)
		}
		if v := strings.TrimSpace(string(out)); older(v, minimum) {
			t.Errorf("%s is %s, older than %s", path, v, minimum)
		}
	}
}
