package x12_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/interop/x12"
)

// submittedIn stores a claim and submits it in the given group and set.
func submittedIn(t *testing.T, ctx context.Context, svc *billing.Service, id, group, set string) {
	validated(t, ctx, svc, id, time.Date(2011, 3, 1, 0, 0, 0, 0, time.UTC), cpt(t, "99213", "199.14"))
	c, err := svc.Submit(ctx, id, billing.SubmissionRef{Interchange: "000000001", Group: group, Set: set})
	require.NoError(t, err)
	require.Equal(t, billing.ClaimSubmitted, c.Status)
}

// TestApply999 applies the imsweb 999s to the claims of the sets they
// acknowledge: the rejected set (AK1 group 28, AK2 set 0028, IK3 NM at
// position 17, IK5 R) rejects its claims with the segment named; the
// accepted one records the acceptance and leaves the claim submitted (a 999
// checks syntax, not the claim). Applying a 999 twice records it once.
func TestApply999(t *testing.T) {
	rejected := readCorpus(t, "imsweb/x12_999_rejected.x12")
	accepted := readCorpus(t, "imsweb/x12_999_accepted.x12")
	remitBackend(t, func(t *testing.T, ctx context.Context, svc *billing.Service) {
		submittedIn(t, ctx, svc, "CLAIM-A", "28", "0028")
		submittedIn(t, ctx, svc, "CLAIM-B", "28", "0028")
		submittedIn(t, ctx, svc, "CLAIM-C", "17456", "0001")
		for range 2 {
			res, err := x12.Apply999(ctx, svc, bytes.NewReader(rejected))
			require.NoError(t, err)
			require.Len(t, res, 2)
			for _, r := range res {
				require.NoError(t, r.Err, r.ClaimID)
				assert.False(t, r.Accepted)
			}
		}
		for _, id := range []string{"CLAIM-A", "CLAIM-B"} {
			c, err := svc.Claim(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, billing.ClaimRejected, c.Status, id)
			require.Len(t, c.Acknowledgements, 1, id)
			a := c.Acknowledgements[0]
			assert.Equal(t, billing.Ack999, a.Kind)
			assert.Equal(t, "095832987/95832987", a.Reference)
			assert.Equal(t, "NM", a.Segment)
			assert.Equal(t, 17, a.Position)
			assert.Equal(t, []string{"1"}, a.Codes)
		}

		_, err := x12.Apply999(ctx, svc, bytes.NewReader(accepted))
		require.ErrorIs(t, err, ehrkit.ErrInvalid, "IEA02 differs from ISA13: strict reading refuses it")
		res, err := x12.Apply999(ctx, svc, bytes.NewReader(accepted), x12.WithLeniency(x12.LenientControlNumbers))
		require.NoError(t, err)
		require.Len(t, res, 1)
		assert.True(t, res[0].Accepted)
		c, err := svc.Claim(ctx, "CLAIM-C")
		require.NoError(t, err)
		assert.Equal(t, billing.ClaimSubmitted, c.Status)
		require.Len(t, c.Acknowledgements, 1)
		assert.True(t, c.Acknowledgements[0].Accepted)
	})
}

// TestApply277CA applies the imsweb 277CA, which rejects claim
// 3920394930203 (STC A7:562:85: rejected for invalid information, entity's
// national provider identifier, billing provider), and the same bytes with
// the status changed to A2:20 (accepted for adjudication).
func TestApply277CA(t *testing.T) {
	b := readCorpus(t, "imsweb/x12_277CA_rejected.x12")
	remitBackend(t, func(t *testing.T, ctx context.Context, svc *billing.Service) {
		submittedIn(t, ctx, svc, "3920394930203", "1", "0001")
		res, err := x12.Apply277CA(ctx, svc, bytes.NewReader(b))
		require.NoError(t, err)
		require.Len(t, res, 1)
		require.NoError(t, res[0].Err)
		assert.False(t, res[0].Accepted)
		c, err := svc.Claim(ctx, "3920394930203")
		require.NoError(t, err)
		assert.Equal(t, billing.ClaimRejected, c.Status)
		require.Len(t, c.Acknowledgements, 1)
		assert.Equal(t, []string{"A7:562:85"}, c.Acknowledgements[0].Codes)

		// corrected and re-submitted, the payer accepts it
		_, err = svc.Transition(ctx, c.ID, billing.ClaimDraft)
		require.NoError(t, err)
		_, err = svc.Validate(ctx, c.ID)
		require.NoError(t, err)
		_, err = svc.Submit(ctx, c.ID, billing.SubmissionRef{Interchange: "000000002", Group: "2", Set: "0001"})
		require.NoError(t, err)
		ok := bytes.Replace(bytes.Replace(b, []byte("STC*A7|562|85"), []byte("STC*A2|20|PR"), 1), []byte("ST*277*000001120"), []byte("ST*277*000001121"), 1)
		ok = bytes.Replace(ok, []byte("SE*24*000001120"), []byte("SE*24*000001121"), 1)
		res, err = x12.Apply277CA(ctx, svc, bytes.NewReader(ok))
		require.NoError(t, err)
		require.Len(t, res, 1)
		require.NoError(t, res[0].Err)
		assert.True(t, res[0].Accepted)
		c, err = svc.Claim(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, billing.ClaimAccepted, c.Status)
		assert.Len(t, c.Acknowledgements, 2)
	})
}
