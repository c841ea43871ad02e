// Command fhirimport imports FHIR R4 Bundles and NDJSON files into an ehrkit
// store and prints a report.
//
//	fhirimport [-db FILE | -postgres DSN] [-json] [-keep-original] [-lenient] PATH...
//
// PATH is a file or a folder (searched recursively for .json and .ndjson).
// With -json the report is one JSON object on standard output:
//
//	{"resources": N, "imported": {"Patient": n, ...}, "updated": {...},
//	 "unchanged": {...}, "unsupported": {"Basic": n, ...}, "unmapped": {...},
//	 "failed": [{"source": "file", "entry": i, "type": "...", "issues": ["..."]}],
//	 "warnings": [{"source": "file", "entry": i, "type": "...", "issues": ["..."]}]}
//
// With -lenient, resources whose only problems are terminology problems (an
// unknown code in a required value set, a code or NPI failing its check
// digit) are imported as sent, labelled "unverified-code", and listed in
// "warnings" with their issues instead of failing; structural problems still
// fail. Strict is the default.
//
// In "failed", entry says where the failure was found: the Bundle entry
// (0-based) or the NDJSON line (1-based); a single resource in a .json file is
// entry 1. A failure of a file as a whole (not JSON, not a Bundle, entries
// that are not a list) has entry -1, and the text report prints it as
// "file NAME: ..." with no entry.
//
// A folder with no .json or .ndjson file in it is an error ("no FHIR files
// found in DIR"): nothing is imported and no store is opened.
//
// Exit status: 0 when nothing failed, 1 when some resources or files failed,
// no FHIR files were found, or the store could not be used; 2 on bad usage.
//
// # Importing the Synthea corpus
//
// Importing the corpus's Synthea folder (fhir/synthea under EHRKIT_CORPUS:
// patient Bundles and a practitioner Bundle) into a new store reads 4307
// resources and exits with status 1: 140 resources fail with invalid codes
// (code-invalid): 3 Observations with the category "vital-sign" (the FHIR
// code is "vital-signs"), 3 Procedures whose SNOMED CT code is a LOINC code,
// and 134 Practitioners whose NPI has no valid check digit. The report lists
// each with its file and entry. Synthea's Bundles are transactions, which
// succeed or fail as a whole: the other entries of a Bundle holding one of
// those resources are not written and are counted under "rolled back"
// (rolledBack in -json). With -lenient the same import exits with status 0,
// those 140 listed as warnings and everything else imported (types ehrkit
// does not model, such as Claim, counted as unsupported).
// TestSyntheaCorpus checks these figures.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/examples/internal/storeflag"
	"github.com/ehrkit/ehrkit/interop/fhir"
)

func main() { storeflag.Main(run) }

// run is the program, with its arguments and outputs; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fhirimport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fhirimport [-db FILE | -postgres DSN] [-json] [-keep-original] [-lenient] PATH...")
		fs.PrintDefaults()
	}
	stores := storeflag.Register(fs)
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	keep := fs.Bool("keep-original", false, "keep every source resource as read beside its record")
	lenient := fs.Bool("lenient", false, "import resources with terminology problems only as sent, labelled, listed as warnings")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := stores.Check(); err != nil {
		fmt.Fprintln(stderr, "fhirimport:", err)
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	for _, p := range fs.Args() {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintln(stderr, "fhirimport:", err)
			return 2
		}
	}
	for _, p := range fs.Args() {
		n, err := countFiles(p)
		if err != nil {
			fmt.Fprintln(stderr, "fhirimport:", err)
			return 1
		}
		if n == 0 {
			fmt.Fprintf(stderr, "fhirimport: no FHIR files found in %s (looked for .json and .ndjson files)\n", p)
			return 1
		}
	}
	store, err := stores.Open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "fhirimport: open store:", err)
		return 1
	}
	defer store.Close()

	opts := []fhir.Option{}
	if *keep {
		opts = append(opts, fhir.KeepOriginal())
	}
	if *lenient {
		opts = append(opts, fhir.Lenient())
	}
	bar := isTerminal(stderr)
	if bar {
		opts = append(opts, fhir.WithProgress(func(p fhir.Progress) {
			fmt.Fprintf(stderr, "\r%-60s %8d resources %6d failed", truncate(p.Source, 60), p.Resources, p.Failed)
		}))
	}
	// The importer owns the data it loads: it writes through the domain
	// services as a system principal on a trusted store (no record policy).
	ctx = access.WithPrincipal(ctx, access.Principal{Kind: access.System, ID: "fhirimport"})
	im := fhir.NewImporter(access.Trusted(store), opts...)
	err = im.ImportPaths(ctx, fs.Args()...)
	if bar {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "fhirimport:", err)
		return 1
	}
	rep := im.Report()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(rep); err != nil {
			return 1
		}
	} else {
		printReport(stdout, rep)
	}
	if len(rep.Failed) > 0 {
		return 1
	}
	return 0
}

func printReport(w io.Writer, r *fhir.Report) {
	fmt.Fprintf(w, "%d resources read\n", r.Resources)
	for _, s := range []struct {
		title  string
		counts map[string]int
	}{
		{"imported", r.Imported}, {"updated", r.Updated}, {"unchanged", r.Unchanged},
		{"unsupported (not modelled)", r.Unsupported}, {"unmapped elements", r.Unmapped},
		{"rolled back (another entry of their transaction Bundle failed)", r.RolledBack},
	} {
		if len(s.counts) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s:\n", s.title)
		keys := make([]string, 0, len(s.counts))
		for k := range s.counts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %-40s %d\n", k, s.counts[k])
		}
	}
	printFailures(w, "failed", r.Failed)
	if len(r.Warnings) > 0 {
		printFailures(w, "warnings (imported as sent, labelled unverified-code)", r.Warnings)
	}
}

// printFailures prints a titled list of resources with their issues.
func printFailures(w io.Writer, title string, list []fhir.Failure) {
	fmt.Fprintf(w, "%s: %d\n", title, len(list))
	for _, f := range list {
		issues := strings.Join(f.Issues, "; ")
		switch {
		case f.Entry < 0:
			fmt.Fprintf(w, "  file %s: %s\n", f.Source, issues)
		case f.Type == "":
			fmt.Fprintf(w, "  %s entry %d: %s\n", f.Source, f.Entry, issues)
		default:
			fmt.Fprintf(w, "  %s entry %d %s: %s\n", f.Source, f.Entry, f.Type, issues)
		}
	}
}

// countFiles counts the files an import of path reads: path itself when it is
// a file, else the .json and .ndjson files under it.
func countFiles(path string) (int, error) {
	n := 0
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (p == path || strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".ndjson")) {
			n++
		}
		return nil
	})
	return n, err
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n+1:]
}
