// Command x12 inspects ASC X12 5010 files.
//
//	x12 parse [-json] FILE...
//	x12 claim [-db FILE | -postgres DSN] -claim ID
//
// parse reads every interchange of every file strictly (see package
// interop/x12) and reports each transaction set: its envelope (ISA13, GS06,
// ST02), type and version, segment count, and for an 837 the number of claims
// and their total charge (the sum of CLM02), for an 835 the number of claim
// payments and the total paid (the sum of CLP04), for a 271 the number of
// benefit (EB) segments. With -json each set is one JSON object on its own
// line; a problem is reported as an error object naming the segment, its
// position (zero-based segment index in the interchange) and the element,
// never an element's value. An SE02 that differs from its ST02 is reported
// under "warnings" rather than failing the set, as several published guide
// examples carry one; every other envelope mismatch is an error.
//
// claim writes the 837P (005010X222A2) of a stored claim on stdout: the
// billing provider, rendering and referring providers, subscriber and payer
// are resolved from the store's directory, patients and coverages (see
// x12.Resolve837P). A claim the scrubber refuses, or whose names the store
// lacks, is not written: each problem is reported on stderr by its path.
// The SQLite file (default ehrkit.db) is opened read-only.
//
// Exit status: 0 when everything parsed (the claim was written), 1 when
// something failed, 2 on bad usage.
package main

import (
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
