package fhir

import (
	"errors"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	"github.com/shopspring/decimal"
)

// A decimal keeps the precision it was sent with: FHIR R4 §2.24.0.1
// (datatypes, decimal) says "0.010" and "0.01" differ in precision. The
// comparator code "<" (R4 value set quantity-comparator) is not a proto name
// and goes through its original code.
func TestProtoQuantity(t *testing.T) {
	in := ehrkit.Quantity{Value: decimal.RequireFromString("0.010"), Unit: "mg", Comparator: "<"}
	var err error
	pb := pbQuantity(in, &err)
	if err != nil {
		t.Fatal(err)
	}
	if got := pb.GetValue().GetValue(); got != "0.010" {
		t.Errorf("decimal %q, want 0.010", got)
	}
	if got := pb.GetSystem().GetValue(); got != ehrkit.SystemUCUM {
		t.Errorf("system %q, want UCUM", got)
	}
	back, err := readQuantity(pb)
	if err != nil {
		t.Fatal(err)
	}
	if back.Value.String() != in.Value.String() || back.Value.Exponent() != -3 || back.Unit != "mg" || back.Comparator != "<" {
		t.Errorf("round trip %+v, want %+v", back, in)
	}
	if q, err := readQuantity(&dtpb.Quantity{Value: &dtpb.Decimal{Value: "1e"}}); err == nil {
		t.Errorf("malformed decimal read as %+v", q)
	}
}

// A code outside its value set is refused, not dropped.
func TestProtoCodeOutsideValueSet(t *testing.T) {
	var err error
	if c := pbCode[*dtpb.Quantity_ComparatorCode]("about", &err); c != nil || !errors.Is(err, ehrkit.ErrInvalid) {
		t.Errorf("got %v, %v; want nil and ErrInvalid", c, err)
	}
}

// An instant (FHIR R4 §2.24.0.1, instant) keeps ehrkit's microseconds and
// takes the precision its fraction needs.
func TestProtoInstant(t *testing.T) {
	for in, want := range map[time.Time]dtpb.Instant_Precision{
		time.Date(2020, 3, 4, 5, 6, 7, 0, time.UTC):           dtpb.Instant_SECOND,
		time.Date(2020, 3, 4, 5, 6, 7, 120_000_000, time.UTC): dtpb.Instant_MILLISECOND,
		time.Date(2020, 3, 4, 5, 6, 7, 123_456_000, time.UTC): dtpb.Instant_MICROSECOND,
	} {
		pb := pbInstant(in)
		if got := readInstant(pb); !got.Equal(in) || pb.GetPrecision() != want {
			t.Errorf("%v read back as %v with precision %v, want %v", in, got, pb.GetPrecision(), want)
		}
	}
	if pbInstant(time.Time{}) != nil || !readInstant(nil).IsZero() {
		t.Error("the zero time is not an absent instant")
	}
}
