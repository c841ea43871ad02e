package patient

import (
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/require"
)

var testStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// newTestService returns a service over s with a fixed clock and sequential ids.
func newTestService(t testing.TB, s storage.Store, opts ...Option) *Service {
	t.Helper()
	base := []Option{WithClock(ehrkit.NewFakeClock(testStart)), WithIDs(&ehrkit.SeqIDs{Prefix: "p-"})}
	if _, guarded := s.(*access.Store); !guarded {
		s = access.Trusted(s) // tests without a policy
	}
	svc, err := NewService(s, append(base, opts...)...)
	require.NoError(t, err)
	return svc
}

// person builds a valid patient with the given names, birth date and gender.
func person(given, family, birth string, g Gender) Patient {
	return Patient{
		Names:     []ehrkit.HumanName{{Use: "official", Family: family, Given: []string{given}}},
		BirthDate: ehrkit.MustDate(birth),
		Gender:    g,
	}
}

func phone(p Patient, number string) Patient {
	p.Telecom = append(p.Telecom, ehrkit.ContactPoint{System: "phone", Value: number, Use: "home"})
	return p
}

func address(p Patient, line, city, postal string) Patient {
	p.Addresses = append(p.Addresses, ehrkit.Address{Use: "home", Line: []string{line}, City: city, PostalCode: postal})
	return p
}

func ids(ps []Patient) []ID {
	out := make([]ID, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}
