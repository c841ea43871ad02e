// Command rxcheck runs ehrkit's drug-safety checks on one JSON document read
// from standard input and writes the alerts as JSON on standard output, so that
// any tool can drive the engine:
//
//	echo '{"patient": {"birthDate": "1970-05-01", "weightKg": 80, "allergies": []},
//	  "active": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "36567"}],
//	  "orders": [{"medication": {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "21212"},
//	    "dose": {"value": 500, "unit": "mg"}, "frequencyPerDay": 2}]}' | rxcheck
//
// The output is {"alerts": [...], "unresolved": [...]}: every alert carries
// kind, severity, interruptive, codes (RxCUIs), message, mechanism, management
// and source; unresolved lists the codings that matched no drug. The optional
// input field "date" (YYYY-MM-DD) sets the day of the check, today by default;
// "activeOrders" (shaped like "orders") lists active medications with their
// doses, which count towards each ingredient's cumulative daily dose.
// Flags: -kb DIR checks against the knowledge-base files in DIR (ehrkit
// format) merged with the shipped base; -suppress ID[,ID...] turns rules off;
// -pretty indents the output. A dose whose unit cannot be converted to the
// unit of a dose limit ("mL", "lbs", a typo) is not passed over: it raises an
// interruptive alert of kind "dose-unchecked" (severity moderate) whose
// message starts "Dose not checked: unit".
//
// Bad input exits with status 2 and a message on standard error that names
// the JSON path of the offending value, for example
// "orders[0].dose.value: not a number" or "patient.birthDate: not a date
// (YYYY, YYYY-MM or YYYY-MM-DD)". Input over 8 MiB, input that is not UTF-8
// (the byte offset is named) and JSON nested deeper than 10 000 levels are
// refused the same way; memory stays bounded by the 8 MiB read. An
// unreadable knowledge base exits with status 1.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
