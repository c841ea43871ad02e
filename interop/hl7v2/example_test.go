package hl7v2_test

import (
	"fmt"
	"strings"

	"github.com/ehrkit/ehrkit/interop/hl7v2"
)

// Render a signed prescription as RDE^O11, one segment a line.
func ExampleRDEEncoder() {
	msg, contentType, err := hl7v2.RDEEncoder{Sender: "CLINIC"}.Encode(signedOrder())
	if err != nil {
		panic(err)
	}
	fmt.Println(contentType)
	fmt.Print(strings.ReplaceAll(string(msg), "\r", "\n"))
	// Output:
	// x-application/hl7-v2+er7
	// MSH|^~\&|CLINIC||PHARMACY||20261125090500+0000||RDE^O11^RDE_O11|o-000007|P|2.5.1
	// PID|1||p1^^^CLINIC^PI
	// ORC|NW|o-000007^CLINIC|||||||20261125090500+0000|||dr-1
	// RXE|^4/d|1049221^Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet^RXNORM|1||{tablet}^^UCUM||1 tablet every 6 hours \F\ as needed \S\ for pain||N|30|{tablet}|0
	// RXR|oral
}
