// Command fhirexport writes the records of an ehrkit store as FHIR R4 NDJSON,
// one Type.ndjson file per resource type (the Bulk Data layout).
//
//	fhirexport [-db FILE | -postgres DSN] [-patient ID] -out DIR
//
// With -patient only that patient's compartment is written. It prints one line
// per file written (the file and its number of resources). The store is opened
// read-only: a -db file that does not exist is an error, never created. Exit
// status: 0 on success, 1 on failure (among them a missing database file and
// a -patient that names no patient in the store, each named in the message on
// standard error), 2 on bad usage. A store holding no records exports nothing
// and says so on standard error, with status 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"

	"github.com/ehrkit/ehrkit/examples/internal/storeflag"
	"github.com/ehrkit/ehrkit/interop/fhir"
)

func main() { storeflag.Main(run) }

// run is the program, with its arguments and outputs; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fhirexport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stores := storeflag.Register(fs)
	patientID := fs.String("patient", "", "export only this patient's compartment")
	out := fs.String("out", "", "output `folder` (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := stores.Check(); err != nil {
		fmt.Fprintln(stderr, "fhirexport:", err)
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: fhirexport [-db FILE | -postgres DSN] [-patient ID] -out DIR")
		return 2
	}
	store, err := stores.OpenReadOnly(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "fhirexport: open store:", err)
		return 1
	}
	defer store.Close()
	x, err := fhir.NewExporter(store)
	if err != nil {
		fmt.Fprintln(stderr, "fhirexport:", err)
		return 1
	}
	types, err := x.Types(ctx, *patientID)
	if err != nil {
		fmt.Fprintln(stderr, "fhirexport:", err)
		return 1
	}
	switch {
	case *patientID != "" && !slices.Contains(types, "Patient"):
		fmt.Fprintf(stderr, "fhirexport: no patient %q in the store\n", *patientID)
		return 1
	case len(types) == 0:
		fmt.Fprintln(stderr, "fhirexport: the store holds no records; nothing written")
		return 0
	}
	counts, err := x.Dir(ctx, *out, *patientID)
	if err != nil {
		fmt.Fprintln(stderr, "fhirexport:", err)
		return 1
	}
	for _, t := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintf(stdout, "%s\t%d\n", filepath.Join(*out, t+".ndjson"), counts[t])
	}
	return 0
}
