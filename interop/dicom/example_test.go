package dicom_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"

	"github.com/ehrkit/ehrkit/interop/dicom"
)

// element encodes one explicit VR little endian element with a short length.
func element(group, elem uint16, vr, value string) []byte {
	b := binary.LittleEndian.AppendUint16(nil, group)
	b = binary.LittleEndian.AppendUint16(b, elem)
	b = append(b, vr...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(value)))
	return append(b, value...)
}

func Example() {
	file := append(make([]byte, 128), "DICM"...)
	file = append(file, element(0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1\x00")...)
	file = append(file, element(0x0008, 0x0060, "CS", "MR")...)
	file = append(file, element(0x0010, 0x0010, "PN", "Yamada^Tarou")...)
	file = append(file, element(0x0020, 0x000D, "UI", "1.2.3.4\x00")...)

	f, err := dicom.Read(bytes.NewReader(file), dicom.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.TransferSyntax, f.Get(dicom.TagModality), f.Get(dicom.TagStudyInstanceUID))
	_ = dicom.WriteJSON(os.Stdout, f.Elements)
	fmt.Println()

	_, err = dicom.Read(bytes.NewReader(file[:len(file)-3]), dicom.Options{})
	fmt.Println(err)
	// Output:
	// 1.2.840.10008.1.2.1 MR 1.2.3.4
	// {"00080060":{"vr":"CS","Value":["MR"]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"Yamada^Tarou"}]},"0020000D":{"vr":"UI","Value":["1.2.3.4"]}}
	// dicom: (0020,000D) at offset 190: value length 8 exceeds the 5 bytes left
}
