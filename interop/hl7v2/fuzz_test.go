package hl7v2_test

import (
	"errors"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/storage"
)

// FuzzMappings feeds parsed messages to the ORU, order and scheduling
// mappings: no panic, every problem a *ehrkit.ValidationError, every id a
// valid record id, and no OBX lost: each maps to a result or fails.
func FuzzMappings(f *testing.F) {
	f.Add([]byte(oruMsg("f1", pidA1, "ORC|RE|ord-1|F-1^LAB", "OBR|1|ord-1|F-1^LAB|2823-3^Potassium^LN|||20260302083000",
		"OBX|1|NM|2823-3^Potassium^LN||7.0|mmol/L|3.5-5.1|H|||F|||20260302083000", "NTE|1||note",
		"SPM|1|S-9||119364003^Serum^SCT||||||||||||||20260302081500", "OBX|2|SN|5811-5^SG^LN||>^1.03|1|||||F",
		"OBX|3|ED|11502-2^Report^LN||LIS^AP^PDF^Base64^JVBERi0=|||||F")))
	f.Add([]byte(message("ORM^O01", "f2", pidA1, "ORC|NW|lab-1|||||||202603020900|||dr-b", "TQ1|||||||||S", "OBR|1|||2951-2^Sodium^LN", "SPM|1|||BLD")))
	f.Add([]byte(message("SIU^S12", "f3", pidA1, "SCH|p|f||||R^Reason|T^Type|||||||||||||||||||Booked", "TQ1|||||||202604011000|202604011030",
		"AIL|1||room-1|||202604011000|||30|min", "AIP|1||dr-a")))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7v2.Parse(data, hl7v2.WithMaxMessageSize(1<<16))
		if err != nil {
			return
		}
		check := func(err error) {
			var ve *ehrkit.ValidationError
			if err != nil && !errors.As(err, &ve) {
				t.Fatalf("untyped error %T", err)
			}
		}
		in, err := hl7v2.ORUReports(m)
		check(err)
		if err == nil {
			n := 0
			for _, x := range in {
				if !storage.ValidID(x.Report.ID) {
					t.Fatalf("report id %q", x.Report.ID)
				}
				for _, r := range x.Report.Results {
					if !storage.ValidID(r.ID) {
						t.Fatalf("result id %q", r.ID)
					}
				}
				n += len(x.Report.Results)
			}
			if n != len(m.All("OBX")) {
				t.Fatalf("%d results of %d OBX", n, len(m.All("OBX")))
			}
		}
		orders, err := hl7v2.LabOrders(m, "p-1")
		check(err)
		for _, o := range orders {
			if !storage.ValidID(o.ID) {
				t.Fatalf("order id %q", o.ID)
			}
		}
		a, err := hl7v2.Appointment(m, "p-1")
		check(err)
		if err == nil && (!storage.ValidID(a.ID) || !storage.ValidID(a.Type)) {
			t.Fatalf("appointment ids %q %q", a.ID, a.Type)
		}
	})
}
