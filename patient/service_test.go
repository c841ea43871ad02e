package patient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewServiceRejectsBadConfig(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		_, err := NewService(s, WithMRN(MRNFormat{}), WithThresholds(Thresholds{Certain: 1, Probable: 2, Possible: 3}), WithMaxAttempts(0))
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("mrn.system", ehrkit.IssueRequired))
		assert.True(t, ve.Has("thresholds.certain", ehrkit.IssueInvariant))
		assert.True(t, ve.Has("attempts", ehrkit.IssueValue))
	})
}

func TestRegisterGetHistory(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		p, err := svc.Register(ctx, fullPatientNoID())
		require.NoError(t, err)
		assert.Equal(t, ID("p-000001"), p.ID)
		assert.Equal(t, int64(1), p.Version)
		assert.True(t, p.Active)
		mrn := p.Identifier(SystemMRN)
		assert.Equal(t, DefaultMRN.Format(1), mrn)
		assert.True(t, DefaultMRN.Valid(mrn))

		got, err := svc.Get(ctx, p.ID)
		require.NoError(t, err)
		assert.Equal(t, p, got)

		got.Names[0].Family = "Schmidt"
		v2, err := svc.Update(ctx, got)
		require.NoError(t, err)
		assert.Equal(t, int64(2), v2.Version)

		old, err := svc.GetVersion(ctx, p.ID, 1)
		require.NoError(t, err)
		assert.Equal(t, "Müller-Lüdenscheidt", old.Names[0].Family)
		hist, err := svc.History(ctx, p.ID)
		require.NoError(t, err)
		require.Len(t, hist, 2)
		assert.Equal(t, []int64{1, 2}, []int64{hist[0].Version, hist[1].Version})
		assert.Equal(t, "Schmidt", hist[1].Names[0].Family)

		_, err = svc.Get(ctx, "nobody")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)
		_, err = svc.GetVersion(ctx, p.ID, 9)
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)
		_, err = svc.History(ctx, "nobody")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)

		topics := feedTopics(t, s)
		assert.Equal(t, []string{TopicRegistered, TopicUpdated}, topics)
	})
}

// feedTopics returns the topics of the events in the change feed, in order.
func feedTopics(t *testing.T, s storage.Store) []string {
	t.Helper()
	changes, err := s.Changes(context.Background(), 0, storage.MaxChangeRead)
	require.NoError(t, err)
	var out []string
	for _, c := range changes {
		if c.Kind == storage.ChangeEvent {
			out = append(out, c.Topic)
			var payload map[string]any
			require.NoError(t, json.Unmarshal(c.Payload, &payload))
			assert.NotEmpty(t, payload["patient"])
		}
	}
	return out
}

func fullPatientNoID() Patient {
	p := fullPatient()
	p.ID, p.Active = "", false
	return p
}

func TestRegisterRejectsInvalidAndWritesNothing(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		bad := Patient{Gender: "robot", Version: 3, Links: []Link{{Other: "p-9", Type: LinkReplacedBy}}}
		_, err := svc.Register(ctx, bad)
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		for _, path := range []string{"name", "gender", "version", "link[0].type"} {
			assert.True(t, slicesContainsPath(ve, path), "missing %s", path)
		}
		res, err := svc.Search(ctx, Query{IncludeMerged: true})
		require.NoError(t, err)
		assert.Empty(t, res.Patients)
	})
}

func slicesContainsPath(ve *ehrkit.ValidationError, path string) bool {
	for _, is := range ve.Issues {
		if is.Path == path {
			return true
		}
	}
	return false
}

func TestRegisterIdentifierInUse(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		ssn := ehrkit.Identifier{System: ehrkit.SystemSSN, Value: "123-45-6789"}
		a := person("Ana", "Silva", "1980-01-02", GenderFemale)
		a.Identifiers = []ehrkit.Identifier{ssn}
		first, err := svc.Register(ctx, a)
		require.NoError(t, err)

		b := person("Bruno", "Costa", "1990-03-04", GenderMale)
		b.Identifiers = []ehrkit.Identifier{{System: "urn:other", Value: "x"}, ssn}
		_, err = svc.Register(ctx, b, AllowDuplicate())
		var inUse *IdentifierInUseError
		require.ErrorAs(t, err, &inUse)
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "a refusal")
		assert.NotErrorIs(t, err, ehrkit.ErrConflict, "not a retryable race")
		assert.Equal(t, 1, inUse.Index)
		assert.Equal(t, first.ID, inUse.Patient)
		assert.NotContains(t, err.Error(), ssn.Value)

		// Nothing of the refused registration was kept: its other identifier
		// and its MRN number are still free.
		b.Identifiers = b.Identifiers[:1]
		second, err := svc.Register(ctx, b)
		require.NoError(t, err)
		assert.Equal(t, DefaultMRN.Format(2), second.Identifier(SystemMRN))
	})
}

// countingStore counts the transactions run through it.
type countingStore struct {
	storage.Store
	updates atomic.Int32
}

func (c *countingStore) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	c.updates.Add(1)
	return c.Store.Update(ctx, fn)
}

func TestRegisterRefusesAnIDInUse(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		cs := &countingStore{Store: s}
		svc := newTestService(t, cs)
		a := person("Ana", "Silva", "1980-01-02", GenderFemale)
		a.ID = "p-7"
		_, err := svc.Register(ctx, a)
		require.NoError(t, err)

		b := person("Bruno", "Costa", "1990-03-04", GenderMale)
		b.ID = "p-7"
		before := cs.updates.Load()
		_, err = svc.Register(ctx, b)
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		assert.NotErrorIs(t, err, ehrkit.ErrConflict, "a refusal, not a race")
		assert.Equal(t, int32(1), cs.updates.Load()-before, "refused at once, not retried")
		got, err := svc.Get(ctx, "p-7")
		require.NoError(t, err)
		assert.Equal(t, "Silva", got.Name().Family)
		assert.Equal(t, int64(1), got.Version)
	})
}

func TestRegisterKeepsGivenMRNAndSkipsIt(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		imported := person("Ana", "Silva", "1980-01-02", GenderFemale)
		imported.Identifiers = []ehrkit.Identifier{{System: SystemMRN, Value: DefaultMRN.Format(2)}}
		p, err := svc.Register(ctx, imported)
		require.NoError(t, err)
		assert.Equal(t, DefaultMRN.Format(2), p.Identifier(SystemMRN))
		var got []string
		for i, name := range []string{"Bruno", "Carla"} {
			q, err := svc.Register(ctx, person(name, "Costa", fmt.Sprintf("199%d-03-04", i), GenderMale))
			require.NoError(t, err)
			got = append(got, q.Identifier(SystemMRN))
		}
		assert.Equal(t, []string{DefaultMRN.Format(1), DefaultMRN.Format(3)}, got)
	})
}

func TestRegisterRefusesCertainDuplicate(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		orig := address(phone(person("Maria", "Gonzalez", "1975-07-14", GenderFemale), "555-010-2030"), "12 Oak Ave", "Austin", "78701")
		first, err := svc.Register(ctx, orig)
		require.NoError(t, err)

		again := address(phone(person("María", "González", "1975-07-14", GenderFemale), "(555) 010 2030"), "12 Oak Ave.", "Austin", "78701")
		_, err = svc.Register(ctx, again)
		var dup *DuplicateError
		require.ErrorAs(t, err, &dup)
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "a refusal")
		assert.NotErrorIs(t, err, ehrkit.ErrConflict, "not a retryable race")
		require.Len(t, dup.Matches, 1)
		assert.Equal(t, first.ID, dup.Matches[0].Patient.ID)
		assert.Equal(t, LevelCertain, dup.Matches[0].Level)
		assert.NotContains(t, err.Error(), "Gonzalez")

		second, err := svc.Register(ctx, again, AllowDuplicate())
		require.NoError(t, err)
		assert.NotEqual(t, first.ID, second.ID)
	})
}

func TestUpdateRules(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		p, err := svc.Register(ctx, fullPatientNoID())
		require.NoError(t, err)

		t.Run("stale version", func(t *testing.T) {
			stale := p
			stale.Version = 0
			_, err := svc.Update(ctx, stale)
			assert.ErrorIs(t, err, ehrkit.ErrConflict)
		})
		t.Run("invalid and rules", func(t *testing.T) {
			bad := p
			bad.ID = ""
			bad.Gender = "robot"
			_, err := svc.Update(ctx, bad)
			var ve *ehrkit.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.True(t, ve.Has("id", ehrkit.IssueRequired))
			assert.True(t, ve.Has("gender", ehrkit.IssueCodeInvalid))

			noMRN := p
			noMRN.Identifiers = nil
			noMRN.Links = []Link{{Other: "p-9", Type: LinkSeeAlso}}
			_, err = svc.Update(ctx, noMRN)
			require.ErrorAs(t, err, &ve)
			assert.True(t, ve.Has("identifier", ehrkit.IssueBusinessRule))
			assert.True(t, ve.Has("link", ehrkit.IssueBusinessRule))
		})
		t.Run("identifiers claimed and released", func(t *testing.T) {
			other, err := svc.Register(ctx, person("Ana", "Silva", "1980-01-02", GenderFemale))
			require.NoError(t, err)
			steal := other
			steal.Identifiers = append(steal.Identifiers, p.Identifiers[0])
			_, err = svc.Update(ctx, steal)
			var inUse *IdentifierInUseError
			require.ErrorAs(t, err, &inUse)
			assert.Equal(t, p.ID, inUse.Patient)
			assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
			assert.NotErrorIs(t, err, ehrkit.ErrConflict)

			// p gives the SSN up; then other may take it.
			cur, err := svc.Get(ctx, p.ID)
			require.NoError(t, err)
			cur.Identifiers = cur.Identifiers[1:]
			_, err = svc.Update(ctx, cur)
			require.NoError(t, err)
			got, err := svc.Update(ctx, steal)
			require.NoError(t, err)
			assert.Equal(t, "123-45-6789", got.Identifier(ehrkit.SystemSSN))
		})
	})
}

func TestConcurrentRegistrationsGetUniqueMRNs(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s, WithMaxAttempts(1000))
		const workers, each = 16, 8
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		mrns := make(chan string, workers*each)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					p, err := svc.Register(ctx, person(fmt.Sprintf("W%dx%d", w, i), "Concurrent", "2000-01-01", GenderOther), AllowDuplicate())
					if err != nil {
						errs <- err
						continue
					}
					mrns <- p.Identifier(SystemMRN)
				}
			})
		}
		wg.Wait()
		close(errs)
		close(mrns)
		for err := range errs {
			require.NoError(t, err)
		}
		seen := map[string]bool{}
		for m := range mrns {
			assert.False(t, seen[m], "MRN %s assigned twice", m)
			seen[m] = true
		}
		require.Len(t, seen, workers*each)
		for n := int64(1); n <= workers*each; n++ {
			assert.True(t, seen[DefaultMRN.Format(n)], "MRN %d missing: numbers are assigned without gaps", n)
		}
	})
}

func TestConcurrentSameIdentifierOneWins(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s, WithMaxAttempts(1000))
		const workers = 12
		var wg sync.WaitGroup
		results := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				p := person(fmt.Sprintf("N%d", w), "Same", "2001-01-01", GenderOther)
				p.Identifiers = []ehrkit.Identifier{{System: ehrkit.SystemSSN, Value: "999-00-1111"}}
				_, err := svc.Register(ctx, p, AllowDuplicate())
				results <- err
			})
		}
		wg.Wait()
		close(results)
		ok := 0
		for err := range results {
			var inUse *IdentifierInUseError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &inUse):
				assert.NotErrorIs(t, err, ehrkit.ErrConflict, "the loser of the race is refused, not left to retry")
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		assert.Equal(t, 1, ok)
	})
}
