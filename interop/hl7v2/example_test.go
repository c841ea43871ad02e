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

// Parse a message and read fields by position.
func ExampleParse() {
	msg := "MSH|^~\\&|LAB||EHR||20261125090500||ORU^R01^ORU_R01|c-1|P|2.5.1\r" +
		"PID|1||mrn-1^^^HOSP^MR~ssn-9^^^SSA^SS\r" +
		"OBX|1|TX|11529-5^^LN||Benign\\.br\\No tumour\r"
	m, err := hl7v2.Parse([]byte(msg))
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Type(), m.Version(), m.ControlID())
	fmt.Println(m.Get("PID-3[2].1"), m.Get("PID-3[2].4"))
	fmt.Printf("%q\n", m.Get("OBX-5"))
	fmt.Println(string(m.Encode()) == msg)
	// Output:
	// ORU^R01 2.5.1 c-1
	// ssn-9 SSA
	// "Benign\nNo tumour"
	// true
}
