package patient

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Name pools of the synthetic population: common given and family names of
// several origins, with diacritics, so that folding, phonetics and nicknames
// are all exercised.
var (
	givenMale = []string{"William", "Robert", "James", "John", "Michael", "Thomas", "Joseph", "Charles", "Edward",
		"Anthony", "Daniel", "David", "Christopher", "Matthew", "Andrew", "Steven", "Kenneth", "José", "Jesús",
		"Francisco", "Manuel", "Agustín", "Ignacio", "Enrique", "Eduardo", "Mehmet", "Jürgen", "Minh", "Pierre",
		"Liam", "Noah", "Omar", "Ravi", "Hiroshi", "Lars", "Mateo", "Bruno", "Tobias", "Ahmed", "Kwame"}
	givenFemale = []string{"Mary", "Patricia", "Jennifer", "Elizabeth", "Barbara", "Susan", "Margaret", "Katherine",
		"Deborah", "Rebecca", "Victoria", "Samantha", "Christine", "María", "Guadalupe", "Dolores", "Rosario",
		"Mercedes", "Concepción", "Işıl", "Ayşe", "Grete", "Thị", "Hoa", "Zoë", "Chloé", "Amélie", "Ingrid",
		"Sofia", "Olivia", "Emma", "Aisha", "Priya", "Yuki", "Fatima", "Nadia", "Lucía", "Elena", "Ana", "Wendy"}
	families = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
		"Martinez", "Hernández", "López", "González", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
		"Martin", "Lee", "Pérez", "Thompson", "White", "Harris", "Sánchez", "Clark", "Ramírez", "Lewis", "Robinson",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyễn", "Trần", "Lê", "Phạm", "Müller",
		"Schmidt", "Schneider", "Fischer", "Weiß", "Groß", "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "O'Brien",
		"MacDonald", "Kowalski", "Nowak", "Wójcik", "Ordóñez", "Mejía", "Fonseca", "Alvarez", "Castillo", "Núñez",
		"Dubois", "Lefèvre", "Rossi", "Russo", "Bianchi", "Andersson", "Johansson", "Kim", "Park", "Tanaka",
		"Suzuki", "Patel", "Shah", "Khan", "Okafor", "Mensah", "Cohen", "Levi", "Ivanov", "Petrov", "Novák",
		"Horváth", "Nagy", "Papadopoulos", "Costa", "Silva", "Santos", "Oliveira", "Müller-Lüdenscheidt",
		"García-Márquez", "Van der Berg", "De la Cruz", "St. John", "Al-Sayed", "Ben-David"}
	streets = []string{"Main St", "Oak Ave", "Pine Rd", "Maple Dr", "Cedar Ln", "Elm St", "Washington Blvd",
		"Lake View", "Hill Rd", "Park Pl", "Calle Mayor", "Hauptstraße", "Rue de la Paix", "Church St"}
)

// plant names a planted-duplicate kind.
type plant string

const (
	plantTypoFamily  plant = "typo-family"
	plantTypoGiven   plant = "typo-given"
	plantSwapped     plant = "swapped"
	plantNickname    plant = "nickname"
	plantMoved       plant = "moved"
	plantTransposed  plant = "transposed-date"
	plantAccentsLost plant = "accents-lost"
	// plantNicknameGap is a nickname sharing no letters with the formal name
	// ("Sasha" for "Alexandra", "Peggy" for "Margaret"): neither spelling nor
	// phonetics can bridge it, only the nickname table.
	plantNicknameGap plant = "nickname-gap"
)

var plants = []plant{plantTypoFamily, plantTypoGiven, plantSwapped, plantNickname, plantMoved, plantTransposed, plantAccentsLost, plantNicknameGap}

// nicknameGaps are formal names and a nickname of theirs with no common
// prefix, by gender, for plantNicknameGap.
var nicknameGaps = map[Gender][][2]string{
	GenderFemale: {{"Alexandra", "Sasha"}, {"Margaret", "Peggy"}, {"Elizabeth", "Betty"}, {"Patricia", "Trish"}},
	GenderMale:   {{"Alexander", "Sasha"}, {"William", "Bill"}, {"Robert", "Bob"}, {"Richard", "Dick"}, {"Edward", "Ted"}},
}

// population is a synthetic registry: distinct people, then planted
// duplicates of some of them (Of is the index of the original), then probes
// (new people absent from the registry).
type population struct {
	People     []Patient
	Duplicates []planted
	Probes     []Patient
	// Twins are siblings of a multiple birth of People[Of], not in the
	// registry: matching one must show the sibling as possible, never more.
	Twins []planted
}

type planted struct {
	Of      int
	Kind    plant
	Patient Patient
}

// generate makes a deterministic population of n people with dupRate of them
// given a planted duplicate, and n/10 probes.
func generate(seed uint64, n int, dupRate float64) population {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pop := population{People: make([]Patient, 0, n)}
	for i := range n {
		pop.People = append(pop.People, randomPerson(r, i))
	}
	for i, p := range pop.People {
		if r.Float64() < dupRate {
			kind := plants[r.IntN(len(plants))]
			if kind == plantNicknameGap {
				// The original takes the formal name so that the gap is real.
				gap := nicknameGaps[p.Gender][r.IntN(len(nicknameGaps[p.Gender]))]
				p.Names = []ehrkit.HumanName{withGiven(p.Names[0], gap[0])}
				pop.People[i] = p
				d := mutate(r, p, kind)
				d.Names = []ehrkit.HumanName{withGiven(d.Names[0], gap[1])}
				pop.Duplicates = append(pop.Duplicates, planted{Of: i, Kind: kind, Patient: d})
				continue
			}
			pop.Duplicates = append(pop.Duplicates, planted{Of: i, Kind: kind, Patient: mutate(r, p, kind)})
		}
	}
	for i := range n / 10 {
		pop.Probes = append(pop.Probes, randomPerson(r, n+i))
	}
	hasDuplicate := map[int]bool{}
	for _, d := range pop.Duplicates {
		hasDuplicate[d.Of] = true
	}
	for i := range n / 50 {
		of := r.IntN(n)
		if hasDuplicate[of] {
			continue
		}
		hasDuplicate[of] = true
		var twin Patient
		pop.People[of], twin = twins(r, pop.People[of], i%3)
		pop.Twins = append(pop.Twins, planted{Of: of, Kind: "twin", Patient: twin})
	}
	return pop
}

// twins turns p into one of twins and returns both: with different given
// names, as newborns "Babygirl A" / "Babygirl B", or in the mother's-name
// form "Wendysgirl A" / "Wendysgirl B".
func twins(r *rand.Rand, p Patient, form int) (Patient, Patient) {
	a, b := p, p
	na, nb := p.Names[0], p.Names[0]
	switch form {
	case 0:
		pool := givenMale
		if p.Gender == GenderFemale {
			pool = givenFemale
		}
		other := pool[r.IntN(len(pool))]
		for compareGiven(Fold(other), Fold(na.Given[0])).Outcome != OutcomeDifferent || editDistance(Fold(other), Fold(na.Given[0])) <= 1 {
			other = pool[r.IntN(len(pool))]
		}
		nb.Given = []string{other}
	case 1:
		na.Given, nb.Given = []string{"Babygirl", "A"}, []string{"Babygirl", "B"}
	default:
		mother := givenFemale[r.IntN(len(givenFemale))]
		na.Given, nb.Given = []string{mother + "sgirl", "A"}, []string{mother + "sgirl", "B"}
	}
	a.Names, b.Names = []ehrkit.HumanName{na}, []ehrkit.HumanName{nb}
	b.Identifiers = nil
	return a, b
}

// randomPerson makes one person; serial makes the national id unique.
func randomPerson(r *rand.Rand, serial int) Patient {
	gender, given := GenderMale, givenMale[r.IntN(len(givenMale))]
	if r.IntN(2) == 0 {
		gender, given = GenderFemale, givenFemale[r.IntN(len(givenFemale))]
	}
	birth := time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(90*365))
	p := Patient{
		Names:     []ehrkit.HumanName{{Use: "official", Family: families[r.IntN(len(families))], Given: []string{given}}},
		Gender:    gender,
		BirthDate: ehrkit.DateOf(birth),
		Telecom:   []ehrkit.ContactPoint{{System: "phone", Use: "home", Value: fmt.Sprintf("%03d-%03d-%04d", 200+r.IntN(800), r.IntN(1000), r.IntN(10000))}},
		Addresses: []ehrkit.Address{{Use: "home", Line: []string{fmt.Sprintf("%d %s", 1+r.IntN(999), streets[r.IntN(len(streets))])},
			City: "Springfield", PostalCode: fmt.Sprintf("%05d", r.IntN(100000))}},
	}
	if r.IntN(10) < 3 {
		p.Identifiers = []ehrkit.Identifier{{System: ehrkit.SystemSSN, Value: fmt.Sprintf("%03d-%02d-%04d", serial/1_000_000%1000, serial/10_000%100, serial%10_000)}}
	}
	return p
}

// mutate returns a planted duplicate of p of the given kind. The duplicate
// carries a national id only sometimes (registration clerks often lack it),
// and its phone is sometimes missing.
func mutate(r *rand.Rand, p Patient, kind plant) Patient {
	d := p
	n := p.Names[0]
	n.Given = []string{n.Given[0]}
	switch kind {
	case plantTypoFamily:
		n.Family = typo(r, n.Family)
	case plantTypoGiven:
		n.Given[0] = typo(r, n.Given[0])
	case plantSwapped:
		n.Family, n.Given[0] = n.Given[0], n.Family
	case plantNickname:
		if nicks := nicknameGroupOf(n.Given[0]); len(nicks) > 0 {
			n.Given[0] = strings.ToUpper(nicks[0][:1]) + nicks[0][1:]
		} else {
			n.Given[0] = typo(r, n.Given[0])
		}
	case plantMoved:
		d.Addresses = []ehrkit.Address{{Use: "home", Line: []string{fmt.Sprintf("%d %s", 1+r.IntN(999), streets[r.IntN(len(streets))])},
			City: "Shelbyville", PostalCode: fmt.Sprintf("%05d", r.IntN(100000))}}
		d.Telecom = []ehrkit.ContactPoint{{System: "phone", Value: fmt.Sprintf("%03d-555-%04d", 200+r.IntN(800), r.IntN(10000))}}
	case plantTransposed:
		b := p.BirthDate
		if b.Day() <= 12 && b.Day() != int(b.Month()) {
			d.BirthDate = ehrkit.NewDate(b.Year(), time.Month(b.Day()), int(b.Month()))
		} else {
			d.BirthDate = ehrkit.DateOf(b.Start(time.UTC).AddDate(0, 0, 1))
		}
	case plantAccentsLost:
		n.Family, n.Given[0] = strings.ToUpper(strings.Join(Tokens(n.Family), " ")), strings.ToUpper(strings.Join(Tokens(n.Given[0]), " "))
	}
	d.Names = []ehrkit.HumanName{n}
	if len(p.Identifiers) > 0 && r.IntN(2) == 0 {
		d.Identifiers = nil
	}
	if r.IntN(4) == 0 {
		d.Telecom = nil
	}
	return d
}

// withGiven returns n with given as its only given name.
func withGiven(n ehrkit.HumanName, given string) ehrkit.HumanName {
	n.Given = []string{given}
	return n
}

// nicknameGroupOf returns the other names of name's first nickname group.
func nicknameGroupOf(name string) []string {
	gs := nicknames[Fold(name)]
	if len(gs) == 0 {
		return nil
	}
	var out []string
	for _, other := range nicknameGroups[gs[0]] {
		if other != Fold(name) {
			out = append(out, other)
		}
	}
	return out
}

// typo applies one keyboard slip: a deleted, doubled, replaced or transposed
// letter, never the first (registration clerks rarely get that wrong).
func typo(r *rand.Rand, s string) string {
	rs := []rune(s)
	if len(rs) < 3 {
		return s + "e"
	}
	i := 1 + r.IntN(len(rs)-2)
	switch r.IntN(4) {
	case 0:
		return string(append(rs[:i:i], rs[i+1:]...))
	case 1:
		return string(append(append(rs[:i+1:i+1], rs[i]), rs[i+1:]...))
	case 2:
		rs[i] = rune('a' + r.IntN(26))
		return string(rs)
	}
	rs[i], rs[i+1] = rs[i+1], rs[i]
	return string(rs)
}

// bulkLoad registers people quickly for tests and benchmarks: a transaction
// per batch, no duplicate check, MRNs numbered by position.
func bulkLoad(tb testing.TB, svc *Service, people []Patient) []Patient {
	tb.Helper()
	return bulkLoadBatches(tb, svc, people, 1, func(int, int) bool { return false })
}

// loadBatch is the number of people bulkLoad registers per transaction.
const loadBatch = 500

// bulkLoadBatches is bulkLoad on workers concurrent writers, skipping the
// batches [start, end) of people for which held says so (a store that keeps
// them from an earlier run). The patients of skipped batches are returned as
// they were registered except for their ids, which the store chose then.
// The MRN counter is written once, after every batch.
func bulkLoadBatches(tb testing.TB, svc *Service, people []Patient, workers int, held func(start, end int) bool) []Patient {
	tb.Helper()
	ctx := context.Background()
	out := make([]Patient, len(people))
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for !failed.Load() {
				start := int(next.Add(loadBatch)) - loadBatch
				if start >= len(people) {
					return
				}
				if errs[w] = loadOne(ctx, svc, people, out, start, min(start+loadBatch, len(people)), held); errs[w] != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	require.NoError(tb, errors.Join(errs...))
	err := svc.store.Update(ctx, func(tx storage.Tx) error {
		_, err := counters.Put(ctx, tx, &counter{ID: "mrn-" + hashHex(svc.mrn.System, 16), Last: int64(len(people))}, storage.Any)
		return err
	})
	require.NoError(tb, err)
	return out
}

// loadOne registers people[start:end] in one transaction into out, unless
// held says the store has them already.
func loadOne(ctx context.Context, svc *Service, people, out []Patient, start, end int, held func(start, end int) bool) error {
	for i := start; i < end; i++ {
		out[i] = withMRN(svc, people[i], i)
	}
	if held(start, end) {
		return nil
	}
	return svc.store.Update(ctx, func(tx storage.Tx) error {
		for i := start; i < end; i++ {
			p := out[i]
			p.ID, p.Active = ID(svc.ids.NewID()), true
			for j, id := range p.Identifiers {
				if err := claimIdentifier(ctx, tx, p.ID, j, id); err != nil {
					return err
				}
			}
			var err error
			if out[i], err = svc.put(ctx, tx, p, 0, TopicRegistered, ""); err != nil {
				return err
			}
		}
		return nil
	})
}

// withMRN returns the i-th person of a bulk load with the MRN it gets.
func withMRN(svc *Service, p Patient, i int) Patient {
	p.Identifiers = append(append([]ehrkit.Identifier(nil), p.Identifiers...),
		ehrkit.Identifier{Use: "usual", System: svc.mrn.System, Value: svc.mrn.Format(int64(i + 1))})
	return p
}

// quality is the matching quality at one level.
type quality struct {
	Level                 Level
	TruePos, FalsePos     int
	Duplicates            int
	Precision, Recall, F1 float64
}

// evaluate matches every planted duplicate and probe against the registry and
// measures, for each level, precision (of the matches at or above the level,
// the share that are the planted original) and recall (of the planted
// duplicates, the share whose original is found at or above the level).
func evaluate(tb testing.TB, svc *Service, loaded []Patient, pop population) map[Level]quality {
	tb.Helper()
	ctx := context.Background()
	out := map[Level]quality{}
	for _, l := range []Level{LevelPossible, LevelProbable, LevelCertain} {
		out[l] = quality{Level: l, Duplicates: len(pop.Duplicates)}
	}
	count := func(ms []Match, want ID) {
		for l, q := range out {
			for _, m := range ms {
				if m.Level < l {
					continue
				}
				if m.Patient.ID == want {
					q.TruePos++
				} else {
					q.FalsePos++
				}
			}
			out[l] = q
		}
	}
	for _, d := range pop.Duplicates {
		ms, err := svc.Match(ctx, d.Patient)
		require.NoError(tb, err)
		count(ms, loaded[d.Of].ID)
	}
	for _, p := range pop.Probes {
		ms, err := svc.Match(ctx, p)
		require.NoError(tb, err)
		count(ms, "")
	}
	for l, q := range out {
		if q.TruePos+q.FalsePos > 0 {
			q.Precision = float64(q.TruePos) / float64(q.TruePos+q.FalsePos)
		}
		q.Recall = float64(q.TruePos) / float64(q.Duplicates)
		if q.Precision+q.Recall > 0 {
			q.F1 = 2 * q.Precision * q.Recall / (q.Precision + q.Recall)
		}
		out[l] = q
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := generate(7, 200, 0.2), generate(7, 200, 0.2)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, generate(8, 200, 0.2))
	kinds := map[plant]int{}
	for _, d := range a.Duplicates {
		kinds[d.Kind]++
		require.NoError(t, d.Patient.Validate())
	}
	assert.Len(t, kinds, len(plants), "every kind of duplicate is planted")
	assert.Len(t, a.Probes, 20)
}

// TestMatchingPrecisionRecall measures matching on a synthetic population with
// planted duplicates. The floors are the quality the weights are tuned to.
func TestMatchingPrecisionRecall(t *testing.T) {
	pop := generate(42, 3000, 0.2)
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		svc := newTestService(t, s)
		loaded := bulkLoad(t, svc, pop.People)
		q := evaluate(t, svc, loaded, pop)
		for _, l := range []Level{LevelPossible, LevelProbable, LevelCertain} {
			t.Logf("%-8s precision %.3f recall %.3f F1 %.3f (tp %d fp %d of %d duplicates)",
				l, q[l].Precision, q[l].Recall, q[l].F1, q[l].TruePos, q[l].FalsePos, q[l].Duplicates)
		}
		assert.GreaterOrEqual(t, q[LevelPossible].Recall, 0.95)
		assert.GreaterOrEqual(t, q[LevelProbable].Precision, 0.98)
		assert.GreaterOrEqual(t, q[LevelProbable].Recall, 0.85)
		assert.GreaterOrEqual(t, q[LevelCertain].Precision, 0.995)

		// Nickname gaps ("Sasha" for "Alexandra"): only the nickname table
		// bridges them, and it must.
		gaps, found := 0, 0
		for _, d := range pop.Duplicates {
			if d.Kind != plantNicknameGap {
				continue
			}
			gaps++
			ms, err := svc.Match(context.Background(), d.Patient)
			require.NoError(t, err)
			for _, m := range ms {
				if m.Patient.ID == loaded[d.Of].ID && m.Level >= LevelProbable {
					found++
				}
			}
		}
		t.Logf("nickname gaps: %d of %d found at probable or above", found, gaps)
		require.NotZero(t, gaps)
		assert.GreaterOrEqual(t, float64(found)/float64(gaps), 0.85)

		// Twins: the sibling is shown as a possible match, never as more.
		require.NotEmpty(t, pop.Twins)
		shown, above := 0, 0
		for _, tw := range pop.Twins {
			ms, err := svc.Match(context.Background(), tw.Patient)
			require.NoError(t, err)
			for _, m := range ms {
				if m.Patient.ID != loaded[tw.Of].ID {
					continue
				}
				shown++
				if m.Level > LevelPossible {
					above++
				}
			}
		}
		t.Logf("twins: %d of %d siblings shown as possible, %d above", shown, len(pop.Twins), above)
		assert.Equal(t, len(pop.Twins), shown)
		assert.Zero(t, above)
	})
}
