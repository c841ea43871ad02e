package access_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// Benchmark data: benchPatients patients of facility F1 with benchPerPatient
// Observations each (~300-byte values).
const (
	benchPatients   = 1000
	benchPerPatient = 10
)

func benchStore(b *testing.B, backend testbackends.Backend) storage.Store {
	s := backend.Open(b, ehrkit.RealClock{})
	value := []byte(fmt.Sprintf(`{"v":1,"d":{"status":"final","code":"8867-4","value":72,"unit":"/min","note":%q}}`, string(make([]byte, 200))))
	for p := range benchPatients {
		comp := fmt.Sprintf("p%04d", p)
		recs := []storage.Record{{Type: "Patient", ID: comp, Compartment: comp, Value: value, Terms: []storage.Term{{Name: access.FacilityTerm, Value: "F1"}}}}
		for o := range benchPerPatient {
			recs = append(recs, storage.Record{Type: "Observation", ID: fmt.Sprintf("%s-o%02d", comp, o), Compartment: comp, Value: value,
				Terms: []storage.Term{{Name: access.FacilityTerm, Value: "F1"}, {Name: "code", Value: "8867-4"}}})
		}
		seed(b, s, recs...)
	}
	return s
}

// benchBackends returns memory and SQLite (the backends the comparison is
// asked for), PostgreSQL too when configured.
func benchBackends() []testbackends.Backend { return testbackends.All() }

// benchUser reaches the benchmark patients through its facility; benchTeam
// through its care team (its searches need no added filter).
var (
	benchUser = access.Principal{Kind: access.User, ID: "dr-1", Roles: []string{access.RolePhysician}, Facility: "F1"}
	benchTeam = access.Principal{Kind: access.User, ID: "dr-2", Roles: []string{access.RolePhysician}, CareTeam: benchCompartments()}
)

func benchCompartments() []string {
	out := make([]string, benchPatients)
	for i := range out {
		out[i] = fmt.Sprintf("p%04d", i)
	}
	return out
}

// BenchmarkRead compares a read by id and a one-patient search through the
// guard with the same call on the bare store, sequentially and with parallel
// readers (whose audit events share transactions).
func BenchmarkRead(b *testing.B) {
	for _, backend := range benchBackends() {
		b.Run(backend.Name, func(b *testing.B) {
			inner := benchStore(b, backend)
			guarded := access.Guard(inner, nil)
			ctx := access.WithPrincipal(context.Background(), benchUser)
			stores := []struct {
				name string
				s    storage.Store
			}{{"plain", inner}, {"guarded", guarded}}
			// The floor of a durable audit event: the cheapest write
			// transaction of the bare store, one ~500-byte record.
			b.Run("Write/plain", func(b *testing.B) {
				b.ReportAllocs()
				v := []byte(fmt.Sprintf(`{"note":%q}`, string(make([]byte, 480))))
				for i := 0; b.Loop(); i++ {
					err := inner.Update(ctx, func(tx storage.Tx) error {
						_, err := tx.Put(ctx, storage.Record{Type: "Note", ID: fmt.Sprintf("n%09d", i), Value: v}, 0)
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			for _, st := range stores {
				b.Run("Get/"+st.name, func(b *testing.B) {
					b.ReportAllocs()
					for i := 0; b.Loop(); i++ {
						if _, err := st.s.Get(ctx, "Observation", benchID(i)); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run("GetParallel/"+st.name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetParallelism(4)
					b.RunParallel(func(pb *testing.PB) {
						for i := 0; pb.Next(); i++ {
							if _, err := st.s.Get(ctx, "Observation", benchID(i*7919)); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
				for _, who := range []access.Principal{benchTeam, benchUser} {
					name := map[string]string{benchTeam.ID: "CareTeam", benchUser.ID: "Facility"}[who.ID]
					ctx := access.WithPrincipal(context.Background(), who)
					b.Run("Search"+name+"/"+st.name, func(b *testing.B) {
						b.ReportAllocs()
						for i := 0; b.Loop(); i++ {
							q := storage.Query{Type: "Observation", Compartment: fmt.Sprintf("p%04d", i%benchPatients)}
							page, err := st.s.Query(ctx, q)
							if err != nil || len(page.Records) != benchPerPatient {
								b.Fatal(len(page.Records), err)
							}
						}
					})
				}
			}
		})
	}
}

func benchID(i int) string {
	n := i % (benchPatients * benchPerPatient)
	return fmt.Sprintf("p%04d-o%02d", n/benchPerPatient, n%benchPerPatient)
}
