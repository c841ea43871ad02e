package x12_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ehrkit/ehrkit/interop/x12"
)

const example837 = `ISA*00*          *00*          *ZZ*CLINIC         *ZZ*PAYER          *260304*0930*^*00501*000000042*0*T*:~
GS*HC*CLINIC*PAYER*20260304*0930*42*X*005010X222A2~
ST*837*0001*005010X222A2~
BHT*0019*00*1*20260304*0930*CH~
NM1*41*2*CLINIC*****46*CLINIC~
PER*IC*BILLING*TE*5555550100~
NM1*40*2*PAYER*****46*PAYER~
HL*1**20*1~
NM1*85*2*CLINIC*****XX*1234567893~
N3*1 MAIN ST~
N4*SPRINGFIELD*IL*62701~
REF*EI*123456789~
HL*2*1*22*0~
SBR*P*18*******CI~
NM1*IL*1*DOE*JANE****MI*SECRETVALUE~
NM1*PR*2*PAYER*****PI*PAYER~
CLM*C1*SECRETVALUE***11:B:1*Y*A*Y*Y~
HI*ABK:J069~
LX*1~
SV1*HC:99213*120*UN*1***1~
DTP*472*D8*20260301~
SE*20*0001~
GE*1*42~
IEA*1*000000042~
`

// Example reads an 837P strictly; a tampered charge element is reported by
// segment, position and element, without the value.
func Example() {
	r := x12.NewReader(strings.NewReader(example837))
	claims := 0
	for {
		s, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		if s.ID() == "CLM" {
			claims++
		}
	}
	fmt.Println("claims:", claims)

	broken := strings.Replace(example837, "NM1*40*2*", "NM1*40**", 1)
	r = x12.NewReader(strings.NewReader(broken))
	for {
		if _, err := r.Next(); err != nil {
			fmt.Println(err)
			return
		}
	}
	// Output:
	// claims: 1
	// x12: NM102 at segment position 6: mandatory element missing
}
