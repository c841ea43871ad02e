package ehrkit_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ehrkit/ehrkit"

// layer lists, for each package of the module with import rules, the module
// packages it may import (DESIGN.md, "Layers and who may import whom"). A
// package missing from the table may import anything below examples.
var layer = map[string][]string{
	"":                    {},
	"storage":             {""},
	"storage/memstore":    {"", "storage"},
	"storage/sqlitestore": {"", "storage"},
	"storage/pgstore":     {"", "storage"},
	"storage/storetest":   {"", "storage"},
	"access":              {"", "storage"},
	"patient":             {"", "storage", "access"},
	"directory":           {"", "storage", "access"},
	"clinical":            {"", "storage", "access", "patient", "directory"},
	"schedule":            {"", "storage", "access", "patient", "directory"},
	"rx":                  {"", "storage", "access", "patient", "directory", "clinical"},
	"lab":                 {"", "storage", "access", "patient", "directory", "clinical"},
	"billing":             {"", "storage", "access", "patient", "directory", "clinical", "schedule", "rx", "lab"},
}

// forbiddenInDomain are imports a domain package must never make: backends,
// drivers, wire formats and network or SQL plumbing (DESIGN.md rule 1).
// database/sql/driver is allowed: shopspring/decimal implements its Valuer.
var forbiddenInDomain = []string{
	"database/sql", "net/http", "github.com/jackc/", "modernc.org/sqlite", "github.com/google/fhir/",
}

var domain = map[string]bool{"access": true, "patient": true, "directory": true, "clinical": true, "schedule": true, "rx": true, "lab": true, "billing": true}

type listed struct {
	ImportPath string
	Deps       []string
}

// TestDeps enforces the import rules of DESIGN.md with `go list -deps`.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Deps", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if strings.HasPrefix(rel, "internal/") || strings.HasPrefix(rel, "examples/") {
			continue
		}
		for _, dep := range p.Deps {
			checkDep(t, rel, dep)
		}
	}
}

func checkDep(t *testing.T, pkg, dep string) {
	t.Helper()
	top := strings.SplitN(pkg, "/", 2)[0]
	if domain[top] {
		for _, f := range forbiddenInDomain {
			if dep == f || (strings.HasPrefix(dep, f) && strings.HasSuffix(f, "/")) || strings.HasPrefix(dep, f+"/") && dep != "database/sql/driver" {
				t.Errorf("%s imports %s: domain packages stay free of backends, drivers, wire formats, net/http and database/sql (DESIGN.md rule 1)", pkg, dep)
			}
		}
	}
	if strings.HasPrefix(dep, "github.com/google/fhir/") && !strings.HasPrefix(pkg, "interop/fhir") {
		t.Errorf("%s imports %s: google/fhir/go is imported only in interop/fhir", pkg, dep)
	}
	if !strings.HasPrefix(dep, module) {
		return
	}
	allowed, ruled := layer[pkg]
	if !ruled {
		allowed, ruled = layer[top]
	}
	if !ruled {
		return
	}
	d := strings.TrimPrefix(strings.TrimPrefix(dep, module), "/")
	if strings.HasPrefix(d, "internal/") || strings.HasPrefix(d, top+"/") || d == top {
		return
	}
	for _, a := range allowed {
		if d == a {
			return
		}
	}
	t.Errorf("%s imports %s: not allowed by the layering of DESIGN.md (allowed: %q)", pkg, d, allowed)
}
