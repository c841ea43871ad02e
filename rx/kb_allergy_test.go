package rx_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/stretchr/testify/assert"
)

// TestAllergyClasses checks the allergy classes, their abbreviations and the
// R1 side-chain cross-reactivity between aminopenicillins and cephalosporins.
func TestAllergyClasses(t *testing.T) {
	tests := []struct {
		allergy, order string
		rule           string // "" for no allergy alert
		reference      string
	}{
		{"penicillin", "piperacillin", "ALLERGY_PENICILLINS", "FDA EPC Penicillin-class Antibacterial"},
		{"Penicillins", "dicloxacillin", "ALLERGY_PENICILLINS", "FDA EPC"},
		{"PCN", "nafcillin", "ALLERGY_PENICILLINS", "FDA EPC; PCN abbreviation"},
		{"PCN allergy", "oxacillin", "ALLERGY_PENICILLINS", "FDA EPC"},
		{"amoxicillin", "piperacillin", "ALLERGY_PENICILLINS", "FDA EPC"},
		{"amoxicillin", "cephalexin", "ALLERGY_R1_AMINOPENICILLIN", "AAAAI/ACAAI 2022 practice parameter, R1 side chains"},
		{"ampicillin", "cefaclor", "ALLERGY_R1_AMINOPENICILLIN", "AAAAI/ACAAI 2022"},
		{"cephalexin", "amoxicillin", "ALLERGY_R1_AMINOPENICILLIN", "AAAAI/ACAAI 2022"},
		{"amoxicillin", "ceftriaxone", "", "AAAAI/ACAAI 2022: dissimilar R1 side chain"},
		{"amoxicillin", "cefazolin", "", "AAAAI/ACAAI 2022: unique R1 side chain"},
		{"ASA", "aspirin", "ALLERGY_SALICYLATES", "ASA is acetylsalicylic acid"},
		{"sulfa", "sulfamethoxazole", "ALLERGY_SULFONAMIDE_ANTIBACTERIALS", "FDA EPC Sulfonamide Antibacterial"},
		{"sulfa", "furosemide", "", "non-antibacterial sulfonamides are not members"},
	}
	for _, tt := range tests {
		t.Run(tt.allergy+" then "+tt.order, func(t *testing.T) {
			res := rx.Check(rx.Shipped(), rx.Input{
				Patient: rx.Patient{Allergies: []ehrkit.Coding{{Display: tt.allergy}}},
				Orders:  []rx.Proposed{order(byName(t, tt.order))},
			})
			assert.Empty(t, res.Unresolved, tt.reference)
			got := kinds(res, rx.DrugAllergy)
			if tt.rule == "" {
				assert.Empty(t, got, tt.reference)
				return
			}
			var rules []string
			for _, a := range got {
				rules = append(rules, a.Rule)
				assert.True(t, a.Interruptive)
			}
			assert.Contains(t, rules, tt.rule, tt.reference)
		})
	}
}
