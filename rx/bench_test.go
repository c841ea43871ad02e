package rx_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/shopspring/decimal"
)

// benchInput is one new order against 20 active medications and 5 allergies.
func benchInput(active []string, allergies []string, order string) rx.Input {
	in := rx.Input{
		Patient: rx.Patient{BirthDate: ehrkit.MustDate("1970-05-01"), WeightKg: decimal.NewFromInt(80)},
		On:      ehrkit.MustDate("2026-11-25"),
		Orders:  []rx.Proposed{{Medication: code(order), Dose: ehrkit.Qty("500", "mg"), FrequencyPerDay: decimal.NewFromInt(2)}},
	}
	for _, a := range active {
		in.Active = append(in.Active, code(a))
	}
	for _, a := range allergies {
		in.Patient.Allergies = append(in.Patient.Allergies, code(a))
	}
	return in
}

func benchCheck(b *testing.B, kb rx.KnowledgeBase, in rx.Input) {
	b.Helper()
	if len(in.Active) != 20 || len(in.Patient.Allergies) != 5 {
		b.Fatalf("bad input: %d active, %d allergies", len(in.Active), len(in.Patient.Allergies))
	}
	res := rx.Check(kb, in)
	if len(res.Unresolved) > 0 {
		b.Fatalf("unresolved %v", res.Unresolved)
	}
	b.ReportAllocs()
	b.ResetTimer()
	loopCPU(b, func() { rx.Check(kb, in) })
}

// BenchmarkCheckShipped checks clarithromycin 500 mg twice a day against a
// realistic list of 20 active medications (products and ingredients) and 5
// allergies with the shipped base.
func BenchmarkCheckShipped(b *testing.B) {
	active := []string{
		"312961", "855332", "197361", "309362", "860975", "866414", "29046", "5487", "7646", "36437",
		"10582", "6809", "1191", "596", "4603", "32968", "52175", "83367", "8640", "1049221",
	}
	allergies := []string{"7980", "10180", "2231", "5640", "7052"}
	benchCheck(b, rx.Shipped(), benchInput(active, allergies, "21212"))
}

// syntheticBase builds a base of n ingredient-pair interaction rules over
// 5 000 synthetic ingredients, with 50 therapeutic and 50 allergy classes.
func syntheticBase(b *testing.B, n int) *rx.Base {
	b.Helper()
	const ingredients = 5000
	rng := rand.New(rand.NewPCG(1, 2))
	doc := rx.Document{Format: rx.FormatV1, Sources: []rx.Source{{ID: "SYN", Citation: "synthetic"}}}
	ing := func(i int) string { return fmt.Sprint(9_000_000 + i) }
	for i := range ingredients {
		doc.Ingredients = append(doc.Ingredients, rx.Ingredient{RxCUI: ing(i), Name: fmt.Sprintf("synthetic %d", i)})
	}
	for c := range 100 {
		use := rx.UseTherapeutic
		if c%2 == 1 {
			use = rx.UseAllergy
		}
		cl := rx.Class{ID: fmt.Sprintf("C%d", c), Name: fmt.Sprintf("class %d", c), Use: use, Sources: []string{"SYN"}}
		for range 20 {
			cl.Members = append(cl.Members, ing(rng.IntN(ingredients)))
		}
		doc.Classes = append(doc.Classes, cl)
	}
	for r := range n {
		doc.Interactions = append(doc.Interactions, rx.Interaction{
			ID: fmt.Sprintf("R%d", r), A: rx.Party{RxCUI: ing(rng.IntN(ingredients))}, B: rx.Party{RxCUI: ing(rng.IntN(ingredients))},
			Severity: rx.Major, Interruptive: true, Summary: "synthetic", Sources: []string{"SYN"},
		})
	}
	for i := range ingredients {
		doc.DoseLimits = append(doc.DoseLimits, rx.DoseLimit{ID: "D" + ing(i), RxCUI: ing(i), MaxDaily: &rx.Amount{Value: decimal.NewFromInt(800), Unit: "mg"}, Sources: []string{"SYN"}})
	}
	kb, err := rx.NewBase(doc)
	if err != nil {
		b.Fatal(err)
	}
	return kb
}

// BenchmarkCheckSynthetic100k checks one order against 20 active medications
// and 5 allergies with a base of 100 000 rules, choosing the order so that it
// interacts with several active medications.
func BenchmarkCheckSynthetic100k(b *testing.B) {
	kb := syntheticBase(b, 100_000)
	rules := kb.Rules()
	order := rules[0].A.RxCUI
	var active []string
	for _, r := range rules {
		if len(active) == 10 {
			break
		}
		if r.A.RxCUI == order && r.B.RxCUI != order {
			active = append(active, r.B.RxCUI)
		}
	}
	for i := 0; len(active) < 20; i++ {
		active = append(active, fmt.Sprint(9_000_100+i))
	}
	allergies := []string{"9000200", "9000201", "9000202", "9000203", "9000204"}
	in := benchInput(active, allergies, order)
	if n := len(rx.Check(kb, in).Alerts); n < 3 {
		b.Fatalf("only %d alerts: the benchmark must exercise matching rules", n)
	}
	benchCheck(b, kb, in)
}

// BenchmarkCheckManyOrders checks 4 000 proposed orders of eight drugs
// against each other, the size of input that once took 5.2 GB.
func BenchmarkCheckManyOrders(b *testing.B) {
	kb := rx.Shipped()
	in := manyOrders(4000, "21212", "11289", "5640", "161", "7646", "36567", "1191", "8640")
	b.ReportAllocs()
	loopCPU(b, func() { rx.Check(kb, in) })
}
