package rx_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/stretchr/testify/assert"
)

func TestNoPHIInStringsAndLogs(t *testing.T) {
	o := medOrder("21212", "clarithromycin")
	o.ID, o.Note = "o-1", "patient lives alone"
	in := rx.Input{
		Patient: rx.Patient{BirthDate: ehrkit.MustDate("1970-05-01"), Allergies: []ehrkit.Coding{code("7980")}},
		Active:  []ehrkit.Coding{code("36567")}, Orders: []rx.Proposed{order("21212")},
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("x", "order", o, "input", in, "patient", in.Patient)
	for _, s := range []string{o.String(), fmt.Sprint(in), fmt.Sprint(in.Patient), buf.String()} {
		for _, phi := range []string{"1970", "clarithromycin", "21212", "7980", "lives alone", "p1"} {
			assert.NotContains(t, s, phi)
		}
	}
	assert.Contains(t, o.String(), "o-1")
}
