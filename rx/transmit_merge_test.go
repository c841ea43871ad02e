package rx_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
)

// merging is a pharmacy during whose first delivery the order's patient is
// merged into another.
type merging struct {
	*pharmacy
	merge func() error
	done  bool
}

func (p *merging) Transmit(ctx context.Context, pr rx.Prescription) (rx.Ack, error) {
	if !p.done {
		p.done = true
		if err := p.merge(); err != nil {
			return rx.Ack{}, err
		}
	}
	return p.pharmacy.Transmit(ctx, pr)
}

// TestMergeWhileSending: the patient of an order being sent is merged into
// another before the pharmacy answers. The transmission is written in the
// compartment the order is in when it commits, the survivor's, on every
// backend: nothing is left in the merged patient's compartment.
func TestMergeWhileSending(t *testing.T) {
	withSigned(t, []string{"197361"}, func(t *testing.T, s storage.Store, svc *rx.Service, clock *ehrkit.FakeClock, ctx context.Context, ids []string) {
		reg, err := patient.NewService(access.Trusted(s), patient.WithClock(clock))
		require.NoError(t, err)
		_, err = reg.Register(user("u-reg", "registrar"), patient.Patient{ID: "p2", Active: true,
			Names: []ehrkit.HumanName{{Family: "Roe", Given: []string{"Ann"}}}, BirthDate: ehrkit.MustDate("1968-03-02")})
		require.NoError(t, err)
		ph := &merging{pharmacy: newPharmacy(), merge: func() error {
			_, err := reg.Merge(ctx, pat, "p2")
			return err
		}}
		d, err := rx.NewDispatcher(s, idEncoder{}, ph, rx.WithClock(clock))
		require.NoError(t, err)
		_, err = d.Poll(ctx)
		require.NoError(t, err)
		require.True(t, ph.done)

		tr, err := svc.Transmission(ctx, ids[0])
		require.NoError(t, err)
		assert.Equal(t, patient.ID("p2"), tr.Patient)
		rec, err := s.Get(ctx, rx.TransmissionType, ids[0])
		require.NoError(t, err)
		assert.Equal(t, "p2", rec.Compartment)
	})
}
