package fhir_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// appointmentJSON is a booked FHIR Appointment of the ehrkit type "visit"
// for patient pid with Practitioner/dr-a, from start for 30 minutes.
func appointmentJSON(id, pid, start string) string {
	return `{"resourceType":"Appointment","id":"` + id + `","status":"booked",` +
		`"appointmentType":{"coding":[{"system":"https://ehrkit.dev/fhir/CodeSystem/appointment-type","code":"visit"}]},` +
		`"start":"` + start + `","minutesDuration":30,` +
		`"participant":[{"actor":{"reference":"Patient/` + pid + `"},"status":"accepted"},` +
		`{"actor":{"reference":"Practitioner/dr-a"},"status":"accepted"}]}`
}

// TestImportedAppointmentTakesItsSlot: an Appointment imported from FHIR goes
// through the schedule service into the day ledger of its practitioner, so
// its slot is no longer offered, booking it again fails with
// ErrSlotUnavailable, and a second imported appointment for the same slot is
// refused in the import report.
func TestImportedAppointmentTakesItsSlot(t *testing.T) {
	ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.System, ID: "importer"})
	now := time.Date(2026, 2, 27, 12, 0, 0, 0, time.UTC) // the Friday before
	monday := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	clock := ehrkit.NewFakeClock(now)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		clock.Set(now)
		trusted := access.Trusted(s) // no policy: operation checks need only a principal
		svc, err := fhir.NewServices(trusted)
		require.NoError(t, err)
		svc.Schedule = schedule.NewService(trusted, schedule.WithClock(clock))
		require.NoError(t, svc.Schedule.PutType(ctx, schedule.AppointmentType{ID: "visit", Duration: 30 * time.Minute, Requires: []string{schedule.Practitioner}}))

		availability := `{\"timeZone\":\"UTC\",\"availability\":[{\"rule\":\"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\",\"from\":\"2026-01-05\",\"open\":\"09:00\",\"close\":\"12:00\"}]}`
		src := strings.Join([]string{
			`{"resourceType":"Patient","id":"p1","name":[{"family":"Booked"}]}`,
			`{"resourceType":"Patient","id":"p2","name":[{"family":"Later"}]}`,
			`{"resourceType":"Schedule","id":"s1","actor":[{"reference":"Practitioner/dr-a"}],` +
				`"extension":[{"url":"https://ehrkit.dev/fhir/StructureDefinition/schedule-availability","valueString":"` + availability + `"}]}`,
			appointmentJSON("a1", "p1", "2026-03-02T09:30:00Z"),
		}, "\n")
		im := fhir.NewImporter(s, fhir.WithServices(svc), fhir.WithWorkers(1))
		require.NoError(t, im.ImportNDJSON(ctx, strings.NewReader(src), "clinic.ndjson"))
		rep := im.Report()
		require.Empty(t, rep.Failed)
		assert.Equal(t, map[string]int{"Patient": 2, "Schedule": 1, "Appointment": 1}, rep.Imported)

		drA := ehrkit.Ref(schedule.Practitioner, "dr-a")
		slot := monday.Add(9*time.Hour + 30*time.Minute)
		_, err = svc.Schedule.Book(ctx, schedule.BookRequest{Type: "visit", Patient: "p2", Resources: []ehrkit.Reference{drA}, Start: slot})
		require.ErrorIs(t, err, schedule.ErrSlotUnavailable)

		slots, err := svc.Schedule.FreeSlots(ctx, schedule.SlotQuery{Type: "visit", Resources: []ehrkit.Reference{drA}, Start: monday, End: monday.AddDate(0, 0, 1)})
		require.NoError(t, err)
		var free []time.Time
		for _, sl := range slots {
			free = append(free, sl.Start)
		}
		assert.NotContains(t, free, slot, "the imported appointment's slot is not offered")
		assert.Contains(t, free, monday.Add(9*time.Hour), "the imported schedule is open")

		again := fhir.NewImporter(s, fhir.WithServices(svc), fhir.WithWorkers(1))
		require.NoError(t, again.ImportNDJSON(ctx, strings.NewReader(appointmentJSON("a2", "p2", "2026-03-02T09:30:00Z")), "double.ndjson"))
		rep = again.Report()
		require.Len(t, rep.Failed, 1, "a second appointment for the slot is refused")
		assert.Zero(t, rep.Imported["Appointment"])
		_, err = s.Get(ctx, schedule.RecordAppointment, "a2")
		require.ErrorIs(t, err, ehrkit.ErrNotFound)
	})
}
