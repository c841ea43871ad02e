package ehrkit_test

import (
	"errors"
	"fmt"

	"github.com/ehrkit/ehrkit"
)

func Example() {
	birth := ehrkit.MustDate("1970-05") // only year and month are known
	fmt.Println(birth, birth.Precision() == ehrkit.PrecisionMonth, birth.AgeAt(ehrkit.MustDate("2026-04-30")))

	glucose := ehrkit.Concept(ehrkit.SystemLOINC, "2345-7", "Glucose [Mass/volume] in Serum or Plasma")
	fmt.Println(glucose.Coding[0].Token(), ehrkit.Qty("5.40", "mmol/L"))

	// Validation lists every problem, with its path and code.
	name := ehrkit.HumanName{Use: "nick"}
	var v ehrkit.Issues
	v.Merge("name[0]", name.Validate())
	v.Merge("code", ehrkit.Coding{System: ehrkit.SystemLOINC, Code: "2345-8"}.Validate())
	err := v.Err()
	var ve *ehrkit.ValidationError
	if errors.As(err, &ve) {
		for _, is := range ve.Issues {
			fmt.Println(is.Path, is.Code)
		}
	}
	fmt.Println(errors.Is(err, ehrkit.ErrInvalid))
	// Output:
	// 1970-05 true 55
	// http://loinc.org|2345-7 5.40 mmol/L
	// name[0].family required
	// name[0].use code-invalid
	// code.code code-invalid
	// true
}
