package rx_test

import (
	"fmt"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
)

// The engine embedded in three lines: load the shipped base, check, read the
// interruptive alerts.
func Example() {
	active := []ehrkit.Coding{{System: ehrkit.SystemRxNorm, Code: "312961", Display: "Simvastatin 20 MG Oral Tablet"}}
	orders := []rx.Proposed{{Medication: ehrkit.Coding{System: ehrkit.SystemRxNorm, Code: "21212", Display: "clarithromycin"}}}

	kb := rx.Shipped()
	res := rx.Check(kb, rx.Input{Active: active, Orders: orders})
	for _, a := range res.Interrupting() {
		fmt.Println(a.Kind, a.Severity, a.Codes, a.Rule)
		fmt.Println(a.Message)
	}
	// Output:
	// drug-drug contraindicated [21212 36567 312961] ONC-HP-25
	// Clarithromycin with simvastatin: Risk of myopathy and rhabdomyolysis
}
