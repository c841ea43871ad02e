package rx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idEncoder renders a prescription's ids and medication code as text: the
// dispatcher's tests need an Encoder, the wire formats live in interop.
type idEncoder struct{}

func (idEncoder) Encode(o rx.Order) ([]byte, string, error) {
	if err := rx.CheckPrescription(o); err != nil {
		return nil, "", err
	}
	return fmt.Appendf(nil, "%s|%s|%s", o.ID, o.Patient, o.Medication.Medication.Code), "text/plain", nil
}

// refusing is a pharmacy that refuses, permanently, prescriptions of one
// medication code (a product it cannot dispense).
type refusing struct {
	*pharmacy
	code string
}

func (p *refusing) Transmit(ctx context.Context, pr rx.Prescription) (rx.Ack, error) {
	if pr.Order.Medication.Medication.Code == p.code {
		p.received[pr.Key]++
		return rx.Ack{}, rx.Permanent(fmt.Errorf("product %s is not e-prescribable", p.code))
	}
	return p.pharmacy.Transmit(ctx, pr)
}

// logLines decodes the JSON log lines in buf with the given message.
func logLines(t *testing.T, buf *bytes.Buffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func TestDispatcherDeadLetters(t *testing.T) {
	// The metformin prescription, signed first, is one the pharmacy will never take.
	withSigned(t, []string{"860975", "197361", "309362"}, func(t *testing.T, s storage.Store, svc *rx.Service, clock *ehrkit.FakeClock, ctx context.Context, ids []string) {
		poison, good := ids[0], ids[1:]
		ph := &refusing{pharmacy: newPharmacy(), code: "860975"}
		var logs bytes.Buffer
		d, err := rx.NewDispatcher(s, idEncoder{}, ph, rx.WithClock(clock), rx.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
		require.NoError(t, err)
		clock.Advance(time.Minute)
		_, err = d.Poll(ctx)
		require.NoError(t, err, "a permanent failure does not stop the batch")

		for _, id := range good {
			tr, err := svc.Transmission(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, rx.Accepted, tr.Status, "the prescriptions behind the poison one are delivered")
		}
		tr, err := svc.Transmission(ctx, poison)
		require.NoError(t, err)
		assert.Equal(t, rx.DeadLetter, tr.Status)
		assert.Equal(t, 1, tr.Attempts, "a permanent failure is not retried")
		assert.Equal(t, "pharmacy: product 860975 is not e-prescribable", tr.Cause)
		assert.Equal(t, t0.Add(time.Minute), tr.Updated)

		dead, err := svc.DeadLetters(ctx)
		require.NoError(t, err)
		require.Len(t, dead, 1)
		assert.Equal(t, poison, dead[0].ID)
		assert.Equal(t, tr.Cause, dead[0].Cause)

		lines := logLines(t, &logs, "rx prescription dead-lettered")
		require.Len(t, lines, 1)
		assert.Equal(t, poison, lines[0]["order"])
		assert.Equal(t, tr.Cause, lines[0]["cause"], "the log line names the cause")

		// Polling again sends nothing: the dead letter stays put.
		_, err = d.Poll(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, ph.received["rx.prescription/"+poison])

		_, err = svc.Requeue(ctx, good[0])
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "only a dead letter is requeued")
		_, err = svc.Requeue(ctx, "no-such-order")
		require.ErrorIs(t, err, ehrkit.ErrNotFound)

		// The pharmacy adds the product; an operator requeues the prescription.
		ph.code = ""
		tr, err = svc.Requeue(ctx, poison)
		require.NoError(t, err)
		assert.Equal(t, rx.Queued, tr.Status)
		assert.Zero(t, tr.Attempts)
		assert.Empty(t, tr.Cause)
		dead, err = svc.DeadLetters(ctx)
		require.NoError(t, err)
		assert.Empty(t, dead)

		_, err = d.Poll(ctx)
		require.NoError(t, err)
		tr, err = svc.Transmission(ctx, poison)
		require.NoError(t, err)
		assert.Equal(t, rx.Accepted, tr.Status)
		assert.Equal(t, map[string]int{"rx.prescription/" + poison: 2, "rx.prescription/" + good[0]: 1, "rx.prescription/" + good[1]: 1}, ph.received,
			"the requeued prescription is sent again with its key; the others once")
	})
}

// emit writes an event to the change feed as any writer could.
func emit(t *testing.T, s storage.Store, compartment string, payload string) {
	t.Helper()
	require.NoError(t, s.Update(context.Background(), func(tx storage.Tx) error {
		return tx.Emit(context.Background(), storage.Event{Topic: rx.TopicPrescription, Key: "forged", Compartment: compartment, Payload: []byte(payload)})
	}))
}

func TestDispatcherVerifiesOrder(t *testing.T) {
	withSigned(t, []string{"197361", "309362"}, func(t *testing.T, s storage.Store, svc *rx.Service, clock *ehrkit.FakeClock, ctx context.Context, ids []string) {
		stopped, held := ids[0], ids[1]
		_, err := svc.Transition(ctx, stopped, rx.Stopped, "wrong drug")
		require.NoError(t, err)
		_, err = svc.Transition(ctx, held, rx.OnHold, "awaiting labs")
		require.NoError(t, err)
		draft, err := svc.Draft(ctx, medOrder("860975", ""))
		require.NoError(t, err)

		// Forged events: for a draft, for an order of another patient, for
		// nothing, and garbage.
		emit(t, s, string(pat), `{"order":"`+draft.ID+`"}`)
		emit(t, s, "someone-else", `{"order":"`+held+`"}`)
		emit(t, s, string(pat), `{"order":"no-such-order"}`)
		emit(t, s, string(pat), `not json`)

		ph := newPharmacy()
		var logs bytes.Buffer
		d, err := rx.NewDispatcher(s, idEncoder{}, ph, rx.WithClock(clock), rx.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
		require.NoError(t, err)
		_, err = d.Poll(ctx)
		require.NoError(t, err)
		assert.Empty(t, ph.received, "no order that is not signed and active reaches the pharmacy")

		var ve *ehrkit.ValidationError
		for _, id := range []string{stopped, held} {
			tr, err := svc.Transmission(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, rx.DeadLetter, tr.Status, id)
			assert.Zero(t, tr.Attempts)
			_, err = svc.Requeue(ctx, id)
			require.ErrorAs(t, err, &ve, "an order that is not active is not requeued")
			assert.True(t, ve.Has("status", ehrkit.IssueBusinessRule))
		}
		_, err = svc.Transmission(ctx, draft.ID)
		require.ErrorIs(t, err, ehrkit.ErrNotFound, "a forged event for a draft leaves no transmission")

		reasons := map[string]string{}
		for _, l := range logLines(t, &logs, "rx prescription event dropped") {
			reasons[fmt.Sprint(l["order"])] += fmt.Sprint(l["reason"])
		}
		assert.Equal(t, map[string]string{
			draft.ID: "the order was never signed", held: "the event's patient is not the order's",
			"no-such-order": "no such medication order", "": "malformed payload",
		}, reasons)

		// Resumed, the held prescription is requeued and sent; signed, the
		// draft is sent, the forged event having left no trace.
		_, err = svc.Transition(ctx, held, rx.Active, "labs fine")
		require.NoError(t, err)
		_, err = svc.Requeue(ctx, held)
		require.NoError(t, err)
		_, err = svc.Sign(ctx, draft.ID, "")
		require.NoError(t, err)
		_, err = d.Poll(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"rx.prescription/" + held: 1, "rx.prescription/" + draft.ID: 1}, ph.received)
		for _, id := range []string{held, draft.ID} {
			tr, err := svc.Transmission(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, rx.Accepted, tr.Status, id)
		}
	})
}

// flaky is a pharmacy that fails the first fails calls and notes when each
// call came.
type flaky struct {
	*pharmacy
	fails int
	calls []time.Time
}

func (p *flaky) Transmit(ctx context.Context, pr rx.Prescription) (rx.Ack, error) {
	p.calls = append(p.calls, time.Now())
	if len(p.calls) <= p.fails {
		return rx.Ack{}, errors.New("connection refused")
	}
	return p.pharmacy.Transmit(ctx, pr)
}

// TestRunBacksOff: after failures in a row Run waits twice as long each time,
// up to the limit, and logs the cause.
func TestRunBacksOff(t *testing.T) {
	withSigned(t, []string{"197361"}, func(t *testing.T, s storage.Store, svc *rx.Service, clock *ehrkit.FakeClock, ctx context.Context, ids []string) {
		const interval, limit = 2 * time.Millisecond, 8 * time.Millisecond
		ph := &flaky{pharmacy: newPharmacy(), fails: 12}
		var logs bytes.Buffer
		d, err := rx.NewDispatcher(s, idEncoder{}, ph, rx.WithClock(clock), rx.WithMaxAttempts(20), rx.WithMaxBackoff(limit),
			rx.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx, interval) }()
		for {
			tr, err := svc.Transmission(ctx, ids[0])
			require.NoError(t, err)
			if tr.Status == rx.Accepted {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)

		require.Len(t, ph.calls, 13)
		want := interval
		for i := 1; i < len(ph.calls); i++ {
			assert.GreaterOrEqual(t, ph.calls[i].Sub(ph.calls[i-1]), want, "wait after failure %d", i)
			want = min(2*want, limit)
		}
		// Without the limit the twelve waits would add up to more than 8 s.
		assert.Less(t, ph.calls[12].Sub(ph.calls[0]), 4*time.Second, "the wait is bounded")

		lines := logLines(t, &logs, "rx dispatch failed; retrying")
		require.Len(t, lines, 12)
		assert.Contains(t, lines[0]["cause"], "connection refused", "the log line names the cause")
	})
}

func TestPermanent(t *testing.T) {
	cause := errors.New("unknown pharmacy")
	err := rx.Permanent(cause)
	require.ErrorIs(t, err, rx.ErrPermanent)
	require.ErrorIs(t, err, cause)
	require.ErrorIs(t, fmt.Errorf("send: %w", err), rx.ErrPermanent)
	assert.NotErrorIs(t, cause, rx.ErrPermanent)
	assert.NoError(t, rx.Permanent(nil))
}

func TestNewDispatcherValidation(t *testing.T) {
	s := testbackends.All()[0].Open(t, ehrkit.NewFakeClock(t0))
	_, err := rx.NewDispatcher(s, nil, nil, rx.WithMaxAttempts(0), rx.WithMaxBackoff(-time.Second))
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	for _, path := range []string{"encoder", "pharmacy", "attempts", "maxBackoff"} {
		assert.True(t, ve.Has(path, ehrkit.IssueRequired) || ve.Has(path, ehrkit.IssueValue), "missing %s in %v", path, ve.Issues)
	}
}

func TestCheckPrescription(t *testing.T) {
	o := medOrder("197361", "")
	o.Status, o.Signed = rx.Active, t0
	require.NoError(t, rx.CheckPrescription(o))

	var ve *ehrkit.ValidationError
	draft := medOrder("197361", "")
	require.ErrorAs(t, rx.CheckPrescription(draft), &ve)
	assert.True(t, ve.Has("signed", ehrkit.IssueBusinessRule))
	assert.True(t, ve.Has("status", ehrkit.IssueBusinessRule))

	lab := labOrder()
	lab.Status, lab.Signed = rx.Active, t0
	require.ErrorAs(t, rx.CheckPrescription(lab), &ve)
	assert.True(t, ve.Has("kind", ehrkit.IssueNotSupported))
}

// pickyEncoder refuses orders of one medication code.
type pickyEncoder struct{ code string }

func (e pickyEncoder) Encode(o rx.Order) ([]byte, string, error) {
	if o.Medication.Medication.Code == e.code {
		var v ehrkit.Issues
		v.Add("medication.medication", ehrkit.IssueCodeInvalid, "no NDC for this product")
		return nil, "", v.Err()
	}
	return idEncoder{}.Encode(o)
}

// oddPharmacy answers one medication code with a status that is not one.
type oddPharmacy struct {
	*pharmacy
	code string
}

func (p *oddPharmacy) Transmit(ctx context.Context, pr rx.Prescription) (rx.Ack, error) {
	if pr.Order.Medication.Medication.Code == p.code {
		return rx.Ack{Status: "maybe"}, nil
	}
	return p.pharmacy.Transmit(ctx, pr)
}

// TestDispatcherDeadLetterCauses: an order the encoder refuses, an answer
// that is not one and a stored order that cannot be read are dead-lettered,
// each with its cause, and the prescription behind them is delivered.
func TestDispatcherDeadLetterCauses(t *testing.T) {
	withSigned(t, []string{"860975", "197361", "309362"}, func(t *testing.T, s storage.Store, svc *rx.Service, clock *ehrkit.FakeClock, ctx context.Context, ids []string) {
		require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
			if _, err := tx.Put(ctx, storage.Record{Type: rx.MedicationRequestType, ID: "garbled", Compartment: string(pat), Value: []byte(`{"v":1,"d":{"status":7}}`)}, 0); err != nil {
				return err
			}
			return tx.Emit(ctx, storage.Event{Topic: rx.TopicPrescription, Key: "rx.prescription/garbled", Compartment: string(pat), Payload: []byte(`{"order":"garbled"}`)})
		}))
		ph := &oddPharmacy{pharmacy: newPharmacy(), code: "197361"}
		d, err := rx.NewDispatcher(s, pickyEncoder{code: "860975"}, ph, rx.WithClock(clock))
		require.NoError(t, err)
		_, err = d.Poll(ctx)
		require.NoError(t, err)

		causes := map[string]string{}
		dead, err := svc.DeadLetters(ctx)
		require.NoError(t, err)
		for _, tr := range dead {
			causes[tr.ID] = tr.Cause
		}
		require.Len(t, causes, 3)
		assert.True(t, strings.HasPrefix(causes[ids[0]], "encode: "), causes[ids[0]])
		assert.Contains(t, causes[ids[0]], "medication.medication")
		assert.Equal(t, `pharmacy: answered with unknown status "maybe"`, causes[ids[1]])
		assert.True(t, strings.HasPrefix(causes["garbled"], "order: "), causes["garbled"])

		tr, err := svc.Transmission(ctx, ids[2])
		require.NoError(t, err)
		assert.Equal(t, rx.Accepted, tr.Status)
	})
}

// TestRequeueGuarded: through the record guard an operator with the
// transmission records lists and requeues dead letters, audited as
// rx.requeue; a prescriber cannot.
func TestRequeueGuarded(t *testing.T) {
	runBackends(t, func(t *testing.T, raw storage.Store, clock *ehrkit.FakeClock) {
		orders := []string{rx.MedicationRequestType, rx.ServiceRequestType, "Patient", "AllergyIntolerance", "Observation"}
		policy, err := access.NewPolicy([]access.Role{
			{Name: "prescriber", Scope: access.ScopeAll, Rules: []access.Rule{{Types: orders, Actions: access.Actions}}, Permissions: []access.Permission{access.PermRxSign}},
			{Name: "operator", Scope: access.ScopeAll, Rules: []access.Rule{
				{Types: []string{rx.MedicationRequestType}, Actions: []access.Action{access.Read, access.Search}},
				{Types: []string{rx.TransmissionType, storage.CheckpointType}, Actions: []access.Action{access.Read, access.Search, access.Create, access.Update}},
			}},
			{Name: "auditor", Scope: access.ScopeAll, Permissions: []access.Permission{access.PermAuditRead}},
		}, nil, nil)
		require.NoError(t, err)
		store := access.Guard(raw, policy, access.WithClock(clock))
		svc := newService(t, store, clock)
		prescriber := user("u-pres", "prescriber")
		operator := access.WithPrincipal(context.Background(), access.Principal{Kind: access.System, ID: "rx-ops", Roles: []string{"operator"}})

		o, err := svc.Draft(prescriber, medOrder("860975", ""))
		require.NoError(t, err)
		_, err = svc.Sign(prescriber, o.ID, "")
		require.NoError(t, err)
		ph := &refusing{pharmacy: newPharmacy(), code: "860975"}
		d, err := rx.NewDispatcher(store, idEncoder{}, ph, rx.WithClock(clock))
		require.NoError(t, err)
		_, err = d.Poll(operator)
		require.NoError(t, err)

		_, err = svc.DeadLetters(prescriber)
		require.ErrorIs(t, err, ehrkit.ErrPermission)
		dead, err := svc.DeadLetters(operator)
		require.NoError(t, err)
		require.Len(t, dead, 1)
		assert.Equal(t, o.ID, dead[0].ID)

		_, err = svc.Requeue(prescriber, o.ID)
		require.ErrorIs(t, err, ehrkit.ErrPermission)
		ph.code = ""
		_, err = svc.Requeue(operator, o.ID)
		require.NoError(t, err)
		_, err = d.Poll(operator)
		require.NoError(t, err)
		tr, err := svc.Transmission(operator, o.ID)
		require.NoError(t, err)
		assert.Equal(t, rx.Accepted, tr.Status)

		require.NoError(t, store.Flush(context.Background()))
		var requeues []string
		for ev, err := range access.Accounting(user("u-aud", "auditor"), store, string(pat), t0, t0.Add(time.Hour)) {
			require.NoError(t, err)
			if ev.Action == rx.ActionRequeue && ev.Outcome == access.Success {
				requeues = append(requeues, ev.Actor+" "+ev.Reason)
			}
		}
		assert.Equal(t, []string{"rx-ops order " + o.ID}, requeues)
	})
}
