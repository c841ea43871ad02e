package lab_test

import (
	"fmt"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
)

// Interpret flags a result against the starter range for the patient; a
// value reported as "<x" is flagged only when every value below x has the
// same flag.
func ExampleInterpret() {
	r, _ := lab.StarterRanges().For(lab.LOINCPotassium, patient.GenderFemale, 56, true)
	for _, v := range []string{"4.1", "5.6", "6.4"} {
		flag, _ := lab.Interpret(qty(v, "mmol/L"), r)
		fmt.Println(v, flag, lab.IsCritical(flag))
	}
	q := ehrkit.Qty("3.0", "mmol/L")
	q.Comparator = "<"
	_, ok := lab.Interpret(cmpQty("<", "3.0", "mmol/L"), r)
	fmt.Println(q, ok)
	// Output:
	// 4.1 N false
	// 5.6 H false
	// 6.4 HH true
	// <3.0 mmol/L false
}
