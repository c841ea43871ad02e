package rx_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExpectedInteractions is the list of interactions a physician expects an
// order-entry system to flag, each with the reference that states it. Every
// pair is checked in both orders of entry, as an active medication against an
// order and as two orders of one session.
func TestExpectedInteractions(t *testing.T) {
	const (
		contra = rx.Contraindicated
		major  = rx.Major
		mod    = rx.Moderate
	)
	tests := []struct {
		a, b         string
		atLeast      rx.Severity
		interruptive bool
		source       string // a source ID the alert must cite
		reference    string
	}{
		{"warfarin", "aspirin", major, true, "FDA-LABEL-COUMADIN-7", "Coumadin label 7.3; VA NDF-RT"},
		{"warfarin", "ibuprofen", major, true, "FDA-LABEL-COUMADIN-7", "Coumadin label 7.3; VA NDF-RT"},
		{"warfarin", "naproxen", major, true, "FDA-LABEL-COUMADIN-7", "Coumadin label 7.3; VA NDF-RT"},
		{"warfarin", "clopidogrel", major, true, "FDA-LABEL-COUMADIN-7", "Coumadin label 7.3; VA NDF-RT"},
		{"warfarin", "fluconazole", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical); Coumadin label 7.2"},
		{"warfarin", "voriconazole", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"warfarin", "miconazole", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"warfarin", "amiodarone", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical); Coumadin label 7.2"},
		{"warfarin", "metronidazole", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"warfarin", "sulfamethoxazole", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"nitroglycerin", "sildenafil", contra, true, "FDA-LABEL-VIAGRA-4", "Viagra label 4.1"},
		{"isosorbide mononitrate", "tadalafil", contra, true, "FDA-LABEL-CIALIS-4", "Cialis label 4.1"},
		{"isosorbide dinitrate", "vardenafil", contra, true, "FDA-LABEL-LEVITRA-4", "Levitra label 4.1"},
		{"oxycodone", "alprazolam", major, true, "FDA-DSC-2016-OPIOID-BENZO", "FDA Drug Safety Communication 2016 (boxed warning)"},
		{"hydrocodone", "lorazepam", major, true, "FDA-DSC-2016-OPIOID-BENZO", "FDA Drug Safety Communication 2016 (boxed warning)"},
		{"morphine", "diazepam", major, true, "FDA-DSC-2016-OPIOID-BENZO", "FDA Drug Safety Communication 2016 (boxed warning)"},
		{"methadone", "clonazepam", major, true, "FDA-DSC-2016-OPIOID-BENZO", "FDA Drug Safety Communication 2016 (boxed warning)"},
		{"linezolid", "sertraline", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical); Zyvox label, serotonin syndrome"},
		{"linezolid", "fluoxetine", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"linezolid", "citalopram", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"methotrexate", "trimethoprim", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"lithium", "hydrochlorothiazide", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"lithium", "chlorthalidone", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"lithium", "lisinopril", mod, false, "VA-NDFRT-2014", "VA NDF-RT (significant)"},
		{"clopidogrel", "omeprazole", major, true, "FDA-LABEL-PLAVIX-5-7", "Plavix label 5.1, 7.1"},
		{"clopidogrel", "esomeprazole", major, true, "FDA-LABEL-PLAVIX-5-7", "Plavix label 5.1, 7.1"},
		{"amiodarone", "levofloxacin", major, true, "FDA-LABEL-QT", "VA NDF-RT (critical); QT warnings of both labels"},
		{"citalopram", "ondansetron", major, true, "FDA-LABEL-QT", "Celexa label 5.2 and Zofran label 5.3, QT prolongation"},
		{"haloperidol", "ondansetron", major, true, "FDA-LABEL-QT", "QT warnings of both labels"},
		{"methadone", "ciprofloxacin", major, true, "FDA-LABEL-QT", "QT warnings of both labels"},
		{"azithromycin", "amiodarone", major, true, "FDA-LABEL-QT", "QT warnings of both labels"},
		{"sotalol", "levofloxacin", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"triazolam", "ketoconazole", contra, true, "FDA-LABEL-HALCION-4", "Halcion label 4"},
		{"triazolam", "itraconazole", contra, true, "FDA-LABEL-HALCION-4", "Halcion label 4"},
		{"midazolam", "itraconazole", contra, true, "FDA-LABEL-SPORANOX-4", "Sporanox label 4"},
		{"midazolam", "ketoconazole", contra, true, "FDA-LABEL-KETOCONAZOLE-4", "ketoconazole tablets label 4"},
		{"midazolam", "ritonavir", contra, true, "FDA-LABEL-NORVIR-4", "Norvir label 4"},
		{"sildenafil", "ritonavir", contra, true, "FDA-LABEL-NORVIR-4", "Norvir label 4"},
		{"simvastatin", "clarithromycin", contra, true, "ONC-HP-2012", "ONC high-priority list; Zocor label 4"},
		{"simvastatin", "gemfibrozil", contra, true, "FDA-LABEL-ZOCOR-4", "Zocor label 4"},
		{"lovastatin", "itraconazole", contra, true, "ONC-HP-2012", "ONC high-priority list"},
		{"dofetilide", "verapamil", contra, true, "FDA-LABEL-TIKOSYN-4", "Tikosyn label 4"},
		{"dofetilide", "hydrochlorothiazide", contra, true, "FDA-LABEL-TIKOSYN-4", "Tikosyn label 4"},
		{"pimozide", "clarithromycin", contra, true, "FDA-LABEL-ORAP-4", "Orap label, Contraindications"},
		{"tizanidine", "ciprofloxacin", contra, true, "ONC-HP-2012", "ONC high-priority list"},
		{"sertraline", "phenelzine", contra, true, "ONC-HP-2012", "ONC high-priority list"},
		{"colchicine", "clarithromycin", major, true, "FDA-LABEL-COLCRYS-4-7", "Colcrys label 4, 7"},
		{"digoxin", "amiodarone", major, true, "FDA-LABEL-LANOXIN-7", "Lanoxin label 7.1; VA NDF-RT (critical, digitalis)"},
		{"digoxin", "verapamil", major, true, "FDA-LABEL-LANOXIN-7", "Lanoxin label 7.1"},
		{"theophylline", "ciprofloxacin", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"allopurinol", "azathioprine", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"rifampin", "ethinyl estradiol", major, true, "VA-NDFRT-2014", "VA NDF-RT (critical)"},
		{"spironolactone", "potassium chloride", mod, false, "VA-NDFRT-2014", "VA NDF-RT (significant)"},
		{"spironolactone", "lisinopril", mod, false, "VA-NDFRT-2014", "VA NDF-RT (significant)"},
		{"tramadol", "sertraline", mod, false, "VA-NDFRT-2014", "VA NDF-RT (significant)"},
	}
	kb := rx.Shipped()
	rank := map[rx.Severity]int{rx.Contraindicated: 0, rx.Major: 1, rx.Moderate: 2, rx.Minor: 3}
	for _, tt := range tests {
		t.Run(tt.a+"+"+tt.b, func(t *testing.T) {
			a, b := byName(t, tt.a), byName(t, tt.b)
			for _, in := range []rx.Input{
				{Active: []ehrkit.Coding{code(a)}, Orders: []rx.Proposed{order(b)}},
				{Active: []ehrkit.Coding{code(b)}, Orders: []rx.Proposed{order(a)}},
				{Orders: []rx.Proposed{order(a), order(b)}},
				{Orders: []rx.Proposed{order(b), order(a)}},
			} {
				dd := kinds(rx.Check(kb, in), rx.DrugDrug)
				require.Len(t, dd, 1, "one alert per pair (%s)", tt.reference)
				assert.LessOrEqual(t, rank[dd[0].Severity], rank[tt.atLeast], "%s: %s", tt.reference, dd[0].Rule)
				assert.Equal(t, tt.interruptive, dd[0].Interruptive, tt.reference)
				assert.False(t, dd[0].Derived)
				assert.Contains(t, dd[0].Source, tt.source+":", tt.reference)
				assert.NotEmpty(t, dd[0].Management, "%s has management advice", dd[0].Rule)
			}
		})
	}
}

// TestNewIngredientsKnown checks ingredients the VA file brings into the base,
// by RxNorm code as the corpus gives it (RxNorm ingredient RxCUIs).
func TestNewIngredientsKnown(t *testing.T) {
	for name, rxcui := range map[string]string{
		"nitroglycerin": "4917", "linezolid": "190376", "spironolactone": "9997", "lithium": "6448",
		"ondansetron": "26225", "colchicine": "2683", "dofetilide": "49247", "sildenafil": "136411",
	} {
		d, ok := rx.Shipped().Drug(rxcui)
		if assert.True(t, ok, name) {
			assert.Equal(t, name, d.Name)
		}
		assert.Equal(t, rxcui, byName(t, name))
	}
}
