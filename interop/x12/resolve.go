package x12

import (
	"context"
	"errors"
	"maps"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// Resolve837P fills in what an 837P needs beyond the claims from the
// stored records: the billing provider (the directory organization with
// the claims' billing NPI, which is also the submitter and contact when the
// submission names none), the rendering, referring and facility providers
// (practitioners, else organizations, by NPI), each claim's subscriber (the
// patient's coverage with the claim's payer and member id names the
// subscriber, else the patient is) and the payer (the coverage's payer
// organization, which is also the receiver when the submission names none).
// What the store does not hold stays missing, and Write837 names it.
func Resolve837P(ctx context.Context, r storage.Reader, sub Submission, claims ...billing.Claim) (Submission, error) {
	sub.Providers = cloneMap(sub.Providers)
	sub.Subscribers = cloneMap(sub.Subscribers)
	sub.Payers = cloneMap(sub.Payers)
	for _, c := range claims {
		if sub.Billing.Name == "" {
			org, ok, err := orgByNPI(ctx, r, c.BillingNPI)
			if err != nil {
				return sub, err
			}
			if ok {
				sub.Billing = orgParty(org)
				if sub.Submitter == "" {
					sub.Submitter, sub.SubmitterID, sub.Contact = org.Name, c.BillingNPI, org.Name
					for _, t := range org.Telecom {
						if t.System == "phone" && sub.ContactPhone == "" {
							sub.ContactPhone = digitsOnly(t.Value)
						}
					}
				}
			}
		}
		npis := []string{c.RenderingNPI, c.ReferringNPI, c.ServiceFacilityNPI}
		for _, ch := range c.Charges {
			npis = append(npis, ch.RenderingNPI)
		}
		for _, npi := range npis {
			if _, known := sub.Providers[npi]; npi == "" || known {
				continue
			}
			p, ok, err := providerByNPI(ctx, r, npi)
			if err != nil {
				return sub, err
			}
			if ok {
				sub.Providers[npi] = p
			}
		}
		if err := resolveCoverage(ctx, r, &sub, c); err != nil {
			return sub, err
		}
	}
	return sub, nil
}

func resolveCoverage(ctx context.Context, r storage.Reader, sub *Submission, c billing.Claim) error {
	subscriber := c.Patient
	var payer directory.OrganizationID
	page, err := r.Query(ctx, storage.Query{Type: billing.CoverageType, Compartment: c.Patient})
	if err != nil {
		return err
	}
	for _, rec := range page.Records {
		cov, err := billing.CoverageRecords.Decode(rec)
		if err != nil {
			return err
		}
		if cov.PayerID == c.Payer && cov.MemberID == c.MemberID {
			payer = cov.Payer
			if cov.Subscriber != "" {
				subscriber = cov.Subscriber
			}
		}
	}
	if _, known := sub.Subscribers[c.MemberID]; !known {
		rec, err := r.Get(ctx, patient.RecordType, subscriber)
		switch {
		case err == nil:
			p, err := patient.Records.Decode(rec)
			if err != nil {
				return err
			}
			sub.Subscribers[c.MemberID] = personParty(p.Names, p.Addresses)
		case !errors.Is(err, ehrkit.ErrNotFound):
			return err
		}
	}
	if _, known := sub.Payers[c.Payer]; !known && payer != "" {
		rec, err := r.Get(ctx, directory.OrganizationType, string(payer))
		switch {
		case err == nil:
			org, err := directory.OrganizationRecords.Decode(rec)
			if err != nil {
				return err
			}
			sub.Payers[c.Payer] = orgParty(org)
			if sub.Receiver == "" {
				sub.Receiver, sub.ReceiverID = org.Name, c.Payer
			}
		case !errors.Is(err, ehrkit.ErrNotFound):
			return err
		}
	}
	return nil
}

func byNPI(ctx context.Context, r storage.Reader, typ, npi string) (storage.Record, bool, error) {
	page, err := r.Query(ctx, storage.Query{Type: typ, Limit: 1,
		Filters: []storage.Filter{{Term: directory.TermNPI, Op: storage.Eq, Value: npi}}})
	if err != nil || len(page.Records) == 0 {
		return storage.Record{}, false, err
	}
	return page.Records[0], true, nil
}

func orgByNPI(ctx context.Context, r storage.Reader, npi string) (directory.Organization, bool, error) {
	rec, ok, err := byNPI(ctx, r, directory.OrganizationType, npi)
	if !ok {
		return directory.Organization{}, false, err
	}
	org, err := directory.OrganizationRecords.Decode(rec)
	return org, err == nil, err
}

func providerByNPI(ctx context.Context, r storage.Reader, npi string) (Party, bool, error) {
	rec, ok, err := byNPI(ctx, r, directory.PractitionerType, npi)
	if err != nil {
		return Party{}, false, err
	}
	if ok {
		p, err := directory.PractitionerRecords.Decode(rec)
		if err != nil {
			return Party{}, false, err
		}
		return personParty(p.Names, p.Addresses), true, nil
	}
	org, ok, err := orgByNPI(ctx, r, npi)
	if !ok {
		return Party{}, false, err
	}
	return orgParty(org), true, nil
}

func orgParty(o directory.Organization) Party {
	p := Party{Name: o.Name}
	if len(o.Addresses) > 0 {
		setAddress(&p, o.Addresses[0])
	}
	return p
}

func personParty(names []ehrkit.HumanName, addrs []ehrkit.Address) Party {
	p := Party{Person: true}
	if len(names) > 0 {
		p.Name = names[0].Family
		if len(names[0].Given) > 0 {
			p.First = names[0].Given[0]
		}
	}
	if len(addrs) > 0 {
		setAddress(&p, addrs[0])
	}
	return p
}

func setAddress(p *Party, a ehrkit.Address) {
	if len(a.Line) > 0 {
		p.Street = a.Line[0]
	}
	p.City, p.State, p.Zip = a.City, a.State, a.PostalCode
}

func digitsOnly(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

func cloneMap(m map[string]Party) map[string]Party {
	out := make(map[string]Party, len(m))
	maps.Copy(out, m)
	return out
}
