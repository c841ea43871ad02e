package drugname

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalize(t *testing.T) {
	tests := map[string]string{
		"oxyCODONE  Hydrochloride": "oxycodone hydrochloride",
		"Acide acétylsalicylique":  "acide acetylsalicylique",
		" lopinavir / ritonavir ":  "lopinavir / ritonavir",
		"Toprol-XL [Toprol]":       "toprol xl toprol",
		"0.25mg":                   "0.25mg",
	}
	for in, want := range tests {
		assert.Equal(t, want, Normalize(in), in)
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []Component
	}{
		{"Simvastatin 20 MG Oral Tablet", []Component{{"simvastatin", "20", "mg"}}},
		{"Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet", []Component{{"acetaminophen", "325", "mg"}, {"oxycodone hydrochloride", "5", "mg"}}},
		{"24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", []Component{{"metformin hydrochloride", "500", "mg"}}},
		{"Alprazolam 0.25mg Oral Tablet", []Component{{"alprazolam", "0.25", "mg"}}},
		{"10 ML Furosemide 10 MG/ML Injection", []Component{{"furosemide", "10", "mg/ml"}}},
		{"lopinavir / ritonavir", []Component{{"lopinavir", "", ""}, {"ritonavir", "", ""}}},
		{"Lopinavir/Ritonavir", []Component{{"lopinavir", "", ""}, {"ritonavir", "", ""}}},
		{"clarithromycin", []Component{{"clarithromycin", "", ""}}},
		{"", []Component{}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Split(tt.in), tt.in)
	}
}

func TestCandidates(t *testing.T) {
	assert.Equal(t, []string{"warfarin sodium", "warfarin"}, Candidates("warfarin sodium"))
	assert.Empty(t, Candidates(""))
}

func FuzzSplit(f *testing.F) {
	f.Add("Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet")
	f.Add("24 HR x 1. mg")
	f.Add("ä/ö//5mg")
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range Split(s) {
			if c.Name == "" || c.Name != strings.TrimSpace(c.Name) {
				t.Fatalf("bad component name %q from %q", c.Name, s)
			}
			if (c.Value == "") != (c.Unit == "") {
				t.Fatalf("strength half read: %+v from %q", c, s)
			}
		}
	})
}
