package main

import "github.com/ehrkit/ehrkit/rx"

// extraIngredient is an RxNorm ingredient the corpus lists do not carry but a
// curated class or product needs. Each code is an RxNorm ingredient (TTY=IN)
// RxCUI.
type extraIngredient struct {
	name, rxcui string
	synonyms    []string
}

var extraIngredients = []extraIngredient{
	{"amoxicillin", "723", nil},
	{"ampicillin", "733", nil},
	{"penicillin v", "7984", []string{"phenoxymethylpenicillin"}},
	{"clavulanate", "48203", []string{"clavulanic acid"}},
	{"cephalexin", "2231", []string{"cefalexin"}},
	{"cefazolin", "2180", nil},
	{"ceftriaxone", "2193", nil},
	{"sulfamethoxazole", "10180", nil},
	{"sulfadiazine", "10171", nil},
	{"sulfisoxazole", "10207", nil},
	{"morphine", "7052", nil},
	{"oxycodone", "7804", nil},
	{"hydrocodone", "5489", nil},
	{"hydromorphone", "3423", nil},
	{"codeine", "2670", nil},
	{"hydroxychloroquine", "5521", nil},
	{"oxacillin", "7773", nil},
	{"cefadroxil", "2177", nil},
	{"cefprozil", "19552", nil},
	{"cefepime", "20481", nil},
	{"ceftazidime", "2191", nil},
	{"cefotaxime", "2186", nil},
	// Common international names of ingredients the corpus carries.
	{"acetaminophen", "161", []string{"paracetamol"}},
	{"aspirin", "1191", []string{"acetylsalicylic acid"}},
	{"penicillin g", "7980", []string{"benzylpenicillin"}},
}

// classAdditions amends corpus class memberships where the corpus notes a gap.
var classAdditions = map[string][]string{
	// The corpus notes aspirin missing from the curated salicylate list; aspirin
	// is the prototype salicylate.
	"NI_SALICYLATES": {"aspirin"},
}

// classNotes explain choices about a class.
var classNotes = map[string]string{
	"ONC_QT":         "No members are shipped: the source names the class without a public list. Supply members from a licensed QT list or FDA labeling in a site base.",
	"ONC_PPI":        "H2-receptor antagonists are deliberately not members (the panel removed them).",
	"NI_SALICYLATES": "Aspirin added by ehrkit as the prototype salicylate.",
}

type ruleText struct{ summary, mechanism, management string }

// highPriorityTexts are ehrkit's wording of the ONC high-priority pairs.
var highPriorityTexts = map[string]ruleText{
	"ONC-HP-03": {"Risk of hypertensive crisis",
		"Pharmacodynamic: with monoamine oxidase blocked, the noradrenaline released by the sympathomimetic is not broken down",
		"Do not combine; allow 14 days after stopping the MAO inhibitor before starting the stimulant"},
	"ONC-HP-04": {"Atazanavir levels fall sharply, risking loss of viral control and HIV resistance",
		"Pharmacokinetic: atazanavir needs gastric acid to dissolve and proton pump inhibitors raise gastric pH",
		"Avoid the combination or stay within the limits of the atazanavir label; H2-receptor antagonists are not part of this rule"},
	"ONC-HP-06": {"Azathioprine or mercaptopurine accumulates, with a risk of severe bone-marrow suppression",
		"Pharmacokinetic: febuxostat blocks xanthine oxidase, a main route of thiopurine inactivation",
		"Do not combine"},
	"ONC-HP-08": {"Risk of serotonin syndrome",
		"Pharmacodynamic: both drugs increase serotonin activity",
		"Do not combine; respect the washout period each label gives before switching"},
	"ONC-HP-11": {"Higher exposure to irinotecan and its active metabolite SN-38: severe neutropenia and diarrhoea",
		"Pharmacokinetic: inhibition of CYP3A4, which clears irinotecan",
		"Avoid; stop CYP3A4 inhibitors before irinotecan as its label directs"},
	"ONC-HP-16": {"Risk of serotonin toxicity and severe central nervous system reactions",
		"Pharmacodynamic: an opioid with serotonergic activity given with an MAO inhibitor",
		"Do not combine"},
	"ONC-HP-20": {"Risk of serotonin syndrome, hypertensive crisis and seizures",
		"Pharmacodynamic: combined effects on monoamines",
		"Do not combine"},
	"ONC-HP-21": {"Additive prolongation of the QT interval, with a risk of torsades de pointes",
		"Pharmacodynamic",
		"Avoid; the class has to be filled from a licensed QT list or FDA labeling"},
	"ONC-HP-22": {"Ramelteon exposure rises many-fold",
		"Pharmacokinetic: inhibition of CYP1A2, which clears ramelteon",
		"Do not give ramelteon with fluvoxamine; avoid other CYP1A2 inhibitors"},
	"ONC-HP-23": {"Protease-inhibitor levels fall, risking loss of viral control and resistance",
		"Pharmacokinetic: induction of CYP3A4 and P-glycoprotein",
		"Do not combine"},
	"ONC-HP-25": {"Risk of myopathy and rhabdomyolysis",
		"Pharmacokinetic: CYP3A4 inhibition raises simvastatin or lovastatin levels",
		"Do not combine with strong inhibitors; with moderate ones keep to the statin label's dose caps or choose a statin CYP3A4 does not clear"},
	"ONC-HP-27": {"Ergotism: vasospasm with ischaemia of the limbs or the brain",
		"Pharmacokinetic: CYP3A4 inhibition raises ergot levels",
		"Do not combine"},
	"ONC-HP-28": {"Severe low blood pressure, slow heart rate and sedation",
		"Pharmacokinetic: CYP1A2 inhibition raises tizanidine levels",
		"Do not combine with fluvoxamine or ciprofloxacin; avoid other CYP1A2 inhibitors"},
	"ONC-HP-30": {"Additive MAO inhibition: hypertensive crisis or serotonin toxicity",
		"Pharmacodynamic",
		"Do not combine"},
	"ONC-HP-31": {"Higher triptan levels and serotonin toxicity",
		"Pharmacokinetic and pharmacodynamic: MAO-A clears these triptans, and serotonergic effects add",
		"Do not give during or within two weeks after an MAO-A inhibitor"},
}

type curatedClass struct {
	id, name string
	use      rx.ClassUse
	members  []string
	sources  []string
	note     string
	synonyms []string
}

// curatedClasses are allergy cross-sensitivity and duplicate-therapy classes,
// each following an FDA Established Pharmacologic Class.
var curatedClasses = []curatedClass{
	{"ALLERGY_PENICILLINS", "Penicillins", rx.UseAllergy,
		[]string{"penicillin g", "penicillin v", "amoxicillin", "ampicillin", "piperacillin", "dicloxacillin", "nafcillin",
			"oxacillin", "ticarcillin", "carbenicillin", "mezlocillin"}, []string{"FDA-EPC"},
		"FDA EPC Penicillin-class Antibacterial. Cross-sensitivity with cephalosporins is alerted only through shared R1 side chains (ALLERGY_R1_AMINOPENICILLIN).",
		[]string{"penicillin", "penicillins", "pcn", "penicillin antibiotics", "penicillin class antibacterials"}},
	{"ALLERGY_CEPHALOSPORINS", "Cephalosporins", rx.UseAllergy,
		[]string{"cephalexin", "cefazolin", "ceftriaxone", "cefaclor", "ceftizoxime", "cefadroxil", "cefprozil", "cefuroxime",
			"cefdinir", "cefpodoxime proxetil", "cefepime", "ceftazidime", "cefotaxime"}, []string{"FDA-EPC"},
		"FDA EPC Cephalosporin Antibacterial.", []string{"cephalosporin", "cephalosporin antibiotics"}},
	{"ALLERGY_R1_AMINOPENICILLIN", "Aminopenicillins and cephalosporins with a similar R1 side chain", rx.UseAllergy,
		[]string{"amoxicillin", "ampicillin", "cephalexin", "cefaclor", "cefadroxil", "cefprozil"}, []string{"AAAAI-ACAAI-2022"},
		"Cross-reactivity between beta-lactams follows the R1 side chain: amoxicillin and ampicillin share theirs with cephalexin, cefaclor, cefadroxil and cefprozil.", nil},
	{"ALLERGY_SULFONAMIDE_ANTIBACTERIALS", "Sulfonamide antibacterials", rx.UseAllergy,
		[]string{"sulfamethoxazole", "sulfadiazine", "sulfisoxazole"}, []string{"FDA-EPC"},
		"FDA EPC Sulfonamide Antibacterial. Non-antibacterial sulfonamides are not members.",
		[]string{"sulfa", "sulfa drugs", "sulfonamide", "sulfonamides", "sulfonamide antibiotics"}},
	{"ALLERGY_NSAIDS", "Nonsteroidal anti-inflammatory drugs", rx.UseAllergy,
		[]string{"aspirin", "ibuprofen", "naproxen", "diclofenac", "meloxicam", "celecoxib", "indomethacin", "ketorolac"}, []string{"FDA-EPC"},
		"FDA EPC Nonsteroidal Anti-inflammatory Drug (aspirin included for NSAID-exacerbated hypersensitivity).",
		[]string{"nsaid", "nsaids", "non-steroidal anti-inflammatory drugs"}},
	{"ALLERGY_SALICYLATES", "Salicylates", rx.UseAllergy,
		[]string{"aspirin", "salsalate", "diflunisal", "choline salicylate", "magnesium salicylate", "sodium salicylate", "bismuth subsalicylate"}, []string{"FDA-EPC"},
		"Salicylate-class ingredients; ASA is the common abbreviation of acetylsalicylic acid.", []string{"asa", "salicylate", "salicylates"}},
	{"DUP_STATINS", "HMG-CoA reductase inhibitors (statins)", rx.UseTherapeutic,
		[]string{"atorvastatin", "simvastatin", "lovastatin", "pravastatin", "rosuvastatin", "fluvastatin", "pitavastatin"}, []string{"FDA-EPC"},
		"FDA EPC HMG-CoA Reductase Inhibitor.", nil},
	{"DUP_PPIS", "Proton pump inhibitors", rx.UseTherapeutic,
		[]string{"omeprazole", "esomeprazole", "lansoprazole", "pantoprazole", "rabeprazole", "dexlansoprazole"}, []string{"FDA-EPC"},
		"FDA EPC Proton Pump Inhibitor.", nil},
	{"DUP_SSRIS", "Selective serotonin reuptake inhibitors", rx.UseTherapeutic,
		[]string{"fluoxetine", "sertraline", "paroxetine", "citalopram", "escitalopram", "fluvoxamine"}, []string{"FDA-EPC"},
		"FDA EPC Serotonin Reuptake Inhibitor.", nil},
	{"DUP_ACE_INHIBITORS", "Angiotensin-converting enzyme inhibitors", rx.UseTherapeutic,
		[]string{"lisinopril", "enalapril", "ramipril", "captopril", "benazepril", "quinapril", "fosinopril", "perindopril", "trandolapril", "moexipril"}, []string{"FDA-EPC"},
		"FDA EPC Angiotensin Converting Enzyme Inhibitor.", nil},
	{"DUP_ARBS", "Angiotensin II receptor blockers", rx.UseTherapeutic,
		[]string{"losartan", "valsartan", "irbesartan", "candesartan", "olmesartan", "telmisartan"}, []string{"FDA-EPC"},
		"FDA EPC Angiotensin 2 Receptor Blocker.", nil},
	{"DUP_NSAIDS", "Nonsteroidal anti-inflammatory drugs", rx.UseTherapeutic,
		[]string{"ibuprofen", "naproxen", "diclofenac", "meloxicam", "celecoxib", "indomethacin", "ketorolac"}, []string{"FDA-EPC"},
		"FDA EPC Nonsteroidal Anti-inflammatory Drug; low-dose aspirin is left out on purpose.", nil},
	{"DUP_OPIOIDS", "Opioid agonists", rx.UseTherapeutic,
		[]string{"morphine", "oxycodone", "hydrocodone", "hydromorphone", "fentanyl", "methadone", "tramadol", "codeine", "tapentadol", "meperidine"}, []string{"FDA-EPC"},
		"FDA EPC Opioid Agonist.", nil},
	{"DUP_BENZODIAZEPINES", "Benzodiazepines", rx.UseTherapeutic,
		[]string{"alprazolam", "lorazepam", "diazepam", "clonazepam", "temazepam", "midazolam", "chlordiazepoxide", "triazolam"}, []string{"FDA-EPC"},
		"FDA EPC Benzodiazepine.", nil},
}

type curatedProduct struct {
	rxcui, name string
	sources     []string
}

// curatedProducts are RxNorm clinical and branded drugs with their RxNorm
// names, as they occur in the Synthea-generated and FHIR example records of the
// corpus. Ingredients and strengths are read from the names.
var curatedProducts = []curatedProduct{
	{"312961", "Simvastatin 20 MG Oral Tablet", []string{"RXNORM", "SYNTHEA-CVD"}},
	{"855332", "Warfarin Sodium 5 MG Oral Tablet", []string{"RXNORM", "SYNTHEA-CVD"}},
	{"197361", "Amlodipine 5 MG Oral Tablet", []string{"RXNORM"}},
	{"198405", "Ibuprofen 100 MG Oral Tablet", []string{"RXNORM"}},
	{"310965", "Ibuprofen 200 MG Oral Tablet", []string{"RXNORM"}},
	{"308182", "Amoxicillin 250 MG Oral Capsule", []string{"RXNORM"}},
	{"309362", "Clopidogrel 75 MG Oral Tablet", []string{"RXNORM"}},
	{"313782", "Acetaminophen 325 MG Oral Tablet", []string{"RXNORM"}},
	{"282464", "Acetaminophen 160 MG Oral Tablet", []string{"RXNORM"}},
	{"562251", "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet", []string{"RXNORM"}},
	{"1049221", "Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet", []string{"RXNORM"}},
	{"857005", "Acetaminophen 325 MG / HYDROcodone Bitartrate 7.5 MG Oral Tablet", []string{"RXNORM"}},
	{"834061", "Penicillin V Potassium 250 MG Oral Tablet", []string{"RXNORM"}},
	{"849574", "Naproxen sodium 220 MG Oral Tablet", []string{"RXNORM"}},
	{"861467", "Meperidine Hydrochloride 50 MG Oral Tablet", []string{"RXNORM"}},
	{"860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", []string{"RXNORM"}},
	{"866414", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet [Toprol]", []string{"RXNORM"}},
	{"308047", "Alprazolam 0.25 MG Oral Tablet", []string{"RXNORM"}},
}

type curatedDose struct {
	ingredient, route, single, daily, source, note string
}

// curatedDoses are adult maximum doses in mg from FDA labeling.
var curatedDoses = []curatedDose{
	{"acetaminophen", "oral", "1000", "4000", "FDA-LABEL-ACETAMINOPHEN", "All acetaminophen-containing products count towards the daily total."},
	{"ibuprofen", "oral", "800", "3200", "FDA-LABEL-IBUPROFEN", ""},
	{"naproxen", "oral", "", "1500", "FDA-LABEL-NAPROXEN", "1500 mg/day only for limited periods; expressed as naproxen."},
	{"aspirin", "oral", "1000", "4000", "FDA-LABEL-ASPIRIN", "Analgesic use."},
	{"simvastatin", "oral", "", "80", "FDA-LABEL-SIMVASTATIN", "80 mg is restricted to patients long established on it."},
	{"atorvastatin", "oral", "", "80", "FDA-LABEL-ATORVASTATIN", ""},
	{"rosuvastatin", "oral", "", "40", "FDA-LABEL-ROSUVASTATIN", ""},
	{"lisinopril", "oral", "", "80", "FDA-LABEL-LISINOPRIL", ""},
	{"amlodipine", "oral", "", "10", "FDA-LABEL-AMLODIPINE", ""},
	{"metformin", "oral", "", "2550", "FDA-LABEL-METFORMIN", "Immediate release; extended release is limited to 2000 mg/day."},
	{"sertraline", "oral", "", "200", "FDA-LABEL-SERTRALINE", ""},
	{"fluoxetine", "oral", "", "80", "FDA-LABEL-FLUOXETINE", ""},
	{"citalopram", "oral", "", "40", "FDA-LABEL-CITALOPRAM", "Doses above 40 mg/day prolong the QT interval."},
	{"escitalopram", "oral", "", "20", "FDA-LABEL-ESCITALOPRAM", ""},
	{"tramadol", "oral", "100", "400", "FDA-LABEL-TRAMADOL", ""},
	{"alprazolam", "oral", "", "10", "FDA-LABEL-ALPRAZOLAM", "Panic disorder; anxiety is limited to 4 mg/day."},
	{"lorazepam", "oral", "", "10", "FDA-LABEL-LORAZEPAM", ""},
	{"diazepam", "oral", "10", "40", "FDA-LABEL-DIAZEPAM", ""},
	{"allopurinol", "oral", "300", "800", "FDA-LABEL-ALLOPURINOL", "Doses above 300 mg are given divided."},
	{"ciprofloxacin", "oral", "750", "1500", "FDA-LABEL-CIPROFLOXACIN", ""},
	{"clarithromycin", "oral", "500", "1500", "FDA-LABEL-CLARITHROMYCIN", ""},
	{"amoxicillin", "oral", "1000", "3000", "FDA-LABEL-AMOXICILLIN", ""},
	{"losartan", "oral", "", "100", "FDA-LABEL-LOSARTAN", ""},
	{"valsartan", "oral", "", "320", "FDA-LABEL-VALSARTAN", ""},
	{"hydrochlorothiazide", "oral", "", "50", "FDA-LABEL-HYDROCHLOROTHIAZIDE", "Hypertension."},
	{"metoprolol", "oral", "", "450", "FDA-LABEL-METOPROLOL", "Immediate-release tartrate; succinate is limited to 400 mg/day."},
}

func label(id, product string) rx.Source {
	return rx.Source{
		ID:       id,
		Citation: "US FDA-approved labeling, " + product + ", section Dosage and Administration (DailyMed)",
		URL:      "https://dailymed.nlm.nih.gov/dailymed/",
		Licence:  "US Government work, public domain",
	}
}

// ownSources are the citations of sources this package adds to the corpus's.
var ownSources = []rx.Source{
	{ID: "AAAAI-ACAAI-2022", Citation: "Khan DA, Banerji A, Blumenthal KG, et al. Drug allergy: A 2022 practice parameter update. J Allergy Clin Immunol 2022;150(6):1333-1393 (beta-lactam R1 side-chain cross-reactivity)",
		URL: "https://doi.org/10.1016/j.jaci.2022.08.028"},
	{ID: "FDA-EPC", Citation: "US FDA Established Pharmacologic Class (EPC) indexing of Structured Product Labeling, as distributed in NLM MED-RT/DailyMed pharmacologic class files",
		URL: "https://www.fda.gov/industry/structured-product-labeling-resources/pharmacologic-class", Licence: "US Government work, public domain"},
	label("FDA-LABEL-ACETAMINOPHEN", "acetaminophen (OTC Drug Facts; Ofirmev)"),
	label("FDA-LABEL-IBUPROFEN", "ibuprofen (Motrin)"),
	label("FDA-LABEL-NAPROXEN", "naproxen (Naprosyn)"),
	label("FDA-LABEL-ASPIRIN", "aspirin (OTC Drug Facts, analgesic)"),
	label("FDA-LABEL-SIMVASTATIN", "simvastatin (Zocor)"),
	label("FDA-LABEL-ATORVASTATIN", "atorvastatin (Lipitor)"),
	label("FDA-LABEL-ROSUVASTATIN", "rosuvastatin (Crestor)"),
	label("FDA-LABEL-LISINOPRIL", "lisinopril (Zestril)"),
	label("FDA-LABEL-AMLODIPINE", "amlodipine (Norvasc)"),
	label("FDA-LABEL-METFORMIN", "metformin (Glucophage, Glucophage XR)"),
	label("FDA-LABEL-SERTRALINE", "sertraline (Zoloft)"),
	label("FDA-LABEL-FLUOXETINE", "fluoxetine (Prozac)"),
	label("FDA-LABEL-CITALOPRAM", "citalopram (Celexa)"),
	label("FDA-LABEL-ESCITALOPRAM", "escitalopram (Lexapro)"),
	label("FDA-LABEL-TRAMADOL", "tramadol (Ultram)"),
	label("FDA-LABEL-ALPRAZOLAM", "alprazolam (Xanax)"),
	label("FDA-LABEL-LORAZEPAM", "lorazepam (Ativan)"),
	label("FDA-LABEL-DIAZEPAM", "diazepam (Valium)"),
	label("FDA-LABEL-ALLOPURINOL", "allopurinol (Zyloprim)"),
	label("FDA-LABEL-CIPROFLOXACIN", "ciprofloxacin (Cipro)"),
	label("FDA-LABEL-CLARITHROMYCIN", "clarithromycin (Biaxin)"),
	label("FDA-LABEL-AMOXICILLIN", "amoxicillin (Amoxil)"),
	label("FDA-LABEL-LOSARTAN", "losartan (Cozaar)"),
	label("FDA-LABEL-VALSARTAN", "valsartan (Diovan)"),
	label("FDA-LABEL-HYDROCHLOROTHIAZIDE", "hydrochlorothiazide (Microzide and generic tablets)"),
	label("FDA-LABEL-METOPROLOL", "metoprolol (Lopressor, Toprol-XL)"),
}

// doseSpec is a dose limit beyond the adult table: an age band, a route,
// weight-based maxima or a frequency pattern. Amounts are in mg; "" is none.
type doseSpec struct {
	id, ingredient, route     string
	minAge, maxAge            int
	single, daily             string
	singlePerKg, dailyPerKg   string
	freqCount, freqPeriodDays int
	source, note              string
	// minDays and maxDays bound a neonatal or young-infant band by age in
	// days; 0, 0 for none.
	minDays, maxDays int
}

// extraDoses are the paediatric, route-specific, age-specific and pattern
// limits, each from the dosing section of the label named by its source.
var extraDoses = []doseSpec{
	// Acetaminophen for children: 15 mg/kg a dose, at most 60 mg/kg a day
	// under 2 years and 75 mg/kg a day from 2 to 12 years (Ofirmev 2.2; the
	// OTC children's directions give 10-15 mg/kg, at most 5 doses a day); never
	// more than the adult 1000 mg a dose and 4000 mg a day.
	{"PAED-ACETAMINOPHEN-INFANT", "acetaminophen", "", 0, 2, "", "", "15", "60", 0, 0, "FDA-LABEL-ACETAMINOPHEN-PAED",
		"Infants 29 days to 2 years; the neonatal band below is stricter.", 0, 0},
	// Neonates (0 to 28 days): 12.5 mg/kg a dose, at most 50 mg/kg a day
	// (Ofirmev 2.2). Where bands overlap the smaller maximum applies.
	{"NEONATE-ACETAMINOPHEN", "acetaminophen", "", 0, 0, "", "", "12.5", "50", 0, 0, "FDA-LABEL-ACETAMINOPHEN-PAED",
		"Neonates, 0 to 28 days of age.", 0, 29},
	{"PAED-ACETAMINOPHEN-CHILD", "acetaminophen", "", 2, 12, "1000", "4000", "15", "75", 0, 0, "FDA-LABEL-ACETAMINOPHEN-PAED", "", 0, 0},
	{"PAED-ACETAMINOPHEN-ADOLESCENT", "acetaminophen", "", 12, 18, "1000", "4000", "", "", 0, 0, "FDA-LABEL-ACETAMINOPHEN", "Adult OTC directions apply from 12 years.", 0, 0},
	{"ADULT-ACETAMINOPHEN-IV", "acetaminophen", "intravenous", 18, 0, "1000", "4000", "15", "75", 0, 0, "FDA-LABEL-ACETAMINOPHEN-PAED",
		"Ofirmev 2.1: 1000 mg every 6 hours, at most 4000 mg a day; under 50 kg 15 mg/kg a dose and 75 mg/kg a day.", 0, 0},
	// Ibuprofen for children 6 months to 12 years: 5-10 mg/kg every 6-8 hours,
	// at most 40 mg/kg a day (Motrin, pediatric dosing); never more than the
	// adult maxima.
	{"PAED-IBUPROFEN", "ibuprofen", "", 0, 12, "800", "3200", "10", "40", 0, 0, "FDA-LABEL-IBUPROFEN-PAED", "Not recommended under 6 months.", 0, 0},
	{"PAED-IBUPROFEN-ADOLESCENT", "ibuprofen", "", 12, 18, "800", "3200", "", "", 0, 0, "FDA-LABEL-IBUPROFEN", "", 0, 0},
	// Amoxicillin for children of 3 months and more: 25-45 mg/kg/day (Amoxil
	// 2.2), up to 90 mg/kg/day in two doses for otitis media (Augmentin ES-600;
	// AAP 2013), 4000 mg a day at most.
	{"PAED-AMOXICILLIN", "amoxicillin", "", 0, 18, "2000", "4000", "45", "90", 0, 0, "FDA-LABEL-AMOXICILLIN-PAED",
		"Children of 40 kg or more are dosed as adults; the young-infant band below is stricter.", 0, 0},
	// Neonates and infants aged 12 weeks (3 months) or less: at most 30
	// mg/kg/day divided every 12 hours (Amoxil 2.3).
	{"INFANT-AMOXICILLIN", "amoxicillin", "", 0, 0, "", "", "", "30", 0, 0, "FDA-LABEL-AMOXICILLIN-PAED",
		"Neonates and infants up to 12 completed weeks of age.", 0, 91},
	// Age-specific adult maxima.
	{"OLDER-CITALOPRAM", "citalopram", "", 60, 0, "", "20", "", "", 0, 0, "FDA-LABEL-CITALOPRAM-OLDER",
		"Over 60 years the maximum is 20 mg a day (QT prolongation).", 0, 0},
	{"OLDER-KETOROLAC-PARENTERAL", "ketorolac", "intravenous", 65, 0, "15", "60", "", "", 0, 0, "FDA-LABEL-KETOROLAC-INJ", "65 years and over, or under 50 kg.", 0, 0},
	// Route-specific limits.
	{"ADULT-KETOROLAC-ORAL", "ketorolac", "oral", 17, 0, "10", "40", "", "", 0, 0, "FDA-LABEL-KETOROLAC-ORAL", "Oral use only as continuation of parenteral therapy, at most 5 days in all.", 0, 0},
	{"ADULT-KETOROLAC-IV", "ketorolac", "intravenous", 17, 0, "30", "120", "", "", 0, 0, "FDA-LABEL-KETOROLAC-INJ", "", 0, 0},
	{"ADULT-KETOROLAC-IM", "ketorolac", "intramuscular", 17, 0, "60", "120", "", "", 0, 0, "FDA-LABEL-KETOROLAC-INJ", "A single 60 mg IM dose; repeated doses 30 mg.", 0, 0},
	// Dosing patterns that are dangerous in themselves.
	{"PATTERN-METHOTREXATE-WEEKLY", "methotrexate", "oral", 0, 0, "", "", "", "", 3, 7, "FDA-LABEL-METHOTREXATE",
		"Oral methotrexate for rheumatoid arthritis, psoriasis and polyarticular juvenile arthritis is weekly; daily dosing by mistake has caused deaths.", 0, 0},
	{"ADULT-COLCHICINE", "colchicine", "oral", 18, 0, "1.2", "2.4", "", "", 2, 1, "FDA-LABEL-COLCHICINE",
		"Gout flare: 1.2 mg then 0.6 mg an hour later; prophylaxis at most 1.2 mg a day; familial Mediterranean fever at most 2.4 mg a day, once or twice daily.", 0, 0},
}

// doseSources are the citations of extraDoses.
var doseSources = []rx.Source{
	labelSection("FDA-LABEL-ACETAMINOPHEN-PAED", "acetaminophen injection (Ofirmev)", "section 2 Dosage and Administration (2.1 adults and adolescents, 2.2 pediatric patients); with the OTC children's Drug Facts (at most 5 doses in 24 hours)"),
	labelSection("FDA-LABEL-IBUPROFEN-PAED", "ibuprofen (Motrin tablets and suspension)", "Dosage and Administration, pediatric patients (fever and pain: 5-10 mg/kg, maximum daily dose 40 mg/kg)"),
	labelSection("FDA-LABEL-AMOXICILLIN-PAED", "amoxicillin (Amoxil) section 2.2-2.3 and amoxicillin/clavulanate ES-600 (Augmentin ES-600) section 2; American Academy of Pediatrics, The diagnosis and management of acute otitis media, Pediatrics 2013;131(3):e964-99", "pediatric dosing"),
	labelSection("FDA-LABEL-CITALOPRAM-OLDER", "citalopram (Celexa)", "section 2.1 Dosage and Administration (maximum 20 mg/day for patients greater than 60 years of age; section 2.2 in earlier versions)"),
	labelSection("FDA-LABEL-KETOROLAC-ORAL", "ketorolac tromethamine tablets", "Dosage and Administration (10 mg every 4-6 hours, not more than 40 mg in 24 hours)"),
	labelSection("FDA-LABEL-KETOROLAC-INJ", "ketorolac tromethamine injection", "Dosage and Administration (IV 30 mg, IM 60 mg single dose; 120 mg a day; 15 mg and 60 mg a day from 65 years or under 50 kg)"),
	labelSection("FDA-LABEL-METHOTREXATE", "methotrexate tablets (Trexall; Xatmep)", "boxed warning and section 2.1 (verify weekly dosing: fatal toxicity from daily use)"),
	labelSection("FDA-LABEL-COLCHICINE", "colchicine (Colcrys)", "section 2 Dosage and Administration (2.1-2.3)"),
}
