// Command fhirexport writes the records of an ehrkit store as FHIR R4 NDJSON,
// one Type.ndjson file per resource type (the Bulk Data layout).
//
//	fhirexport [-db FILE | -postgres DSN] [-patient ID] -out DIR
//
// With -patient only that patient's compartment is written. It prints one line
// per file written. Exit status: 0 on success, 1 on failure, 2 on bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
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
	store, err := stores.Open(ctx)
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
	counts, err := x.Dir(ctx, *out, *patientID)
	if err != nil {
		fmt.Fprintln(stderr, "fhirexport:", err)
		return 1
	}
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		fmt.Fprintf(stdout, "%s\t%d\n", filepath.Join(*out, t+".ndjson"), counts[t])
	}
	return 0
}
