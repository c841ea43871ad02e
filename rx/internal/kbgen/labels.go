package main

import (
	"strings"

	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/rx/internal/drugname"
)

// Ingredient groups used by the label rules and by the texts of VA rules.
var (
	nitrates = []string{"nitroglycerin", "isosorbide mononitrate", "isosorbide dinitrate", "isosorbide",
		"erythrityl tetranitrate", "pentaerythritol tetranitrate"}
	pde5 = []string{"sildenafil", "tadalafil", "vardenafil", "avanafil"}
	// opioids are the opioid agonists whose labels carry the boxed warning on
	// concomitant benzodiazepines.
	opioids = []string{"morphine", "oxycodone", "hydrocodone", "hydromorphone", "fentanyl", "methadone", "tramadol",
		"codeine", "tapentadol", "meperidine", "oxymorphone", "buprenorphine", "levorphanol"}
	benzodiazepines = []string{"alprazolam", "lorazepam", "diazepam", "clonazepam", "temazepam", "midazolam",
		"chlordiazepoxide", "triazolam", "clorazepate", "oxazepam", "estazolam", "flurazepam", "quazepam", "clobazam"}
	// qtLabel are ingredients whose US labeling carries a boxed warning or a
	// warning on QT prolongation or torsades de pointes.
	qtLabel = []string{"amiodarone", "dronedarone", "sotalol", "dofetilide", "ibutilide fumarate", "quinidine",
		"procainamide", "disopyramide", "haloperidol", "droperidol", "thioridazine", "pimozide", "ziprasidone",
		"citalopram", "methadone", "ondansetron", "dolasetron", "azithromycin", "clarithromycin", "erythromycin",
		"levofloxacin", "moxifloxacin", "ciprofloxacin", "hydroxychloroquine", "chloroquine", "arsenic trioxide",
		"vandetanib", "nilotinib", "quetiapine", "iloperidone", "paliperidone", "fluconazole", "pentamidine", "quinine"}
	nsaids = []string{"aspirin", "ibuprofen", "naproxen", "diclofenac", "celecoxib", "ketorolac", "indomethacin",
		"meloxicam", "piroxicam", "etodolac", "sulindac", "nabumetone", "ketoprofen", "flurbiprofen", "oxaprozin",
		"fenoprofen", "mefenamic acid", "meclofenamate", "tolmetin", "diflunisal", "salsalate"}
	antiplatelets  = []string{"clopidogrel", "prasugrel", "ticlopidine", "cilostazol", "dipyridamole"}
	anticoagulants = []string{"warfarin", "dabigatran etexilate", "apixaban", "rivaroxaban", "heparin", "enoxaparin",
		"dalteparin", "phenprocoumon", "dicumarol", "anisindione", "fondaparinux"}
	warfarinPotentiators = []string{"fluconazole", "ketoconazole", "itraconazole", "voriconazole", "miconazole",
		"posaconazole", "amiodarone", "metronidazole", "sulfamethoxazole", "trimethoprim", "ciprofloxacin",
		"levofloxacin", "clarithromycin", "erythromycin", "fenofibrate", "gemfibrozil"}
	serotonergic = []string{"fluoxetine", "sertraline", "paroxetine", "citalopram", "escitalopram", "fluvoxamine",
		"venlafaxine", "desvenlafaxine", "duloxetine", "milnacipran", "vilazodone", "vortioxetine", "trazodone",
		"nefazodone", "mirtazapine", "amitriptyline", "nortriptyline", "imipramine", "desipramine", "clomipramine",
		"doxepin", "tramadol", "tapentadol", "meperidine", "methadone", "fentanyl", "dextromethorphan", "linezolid",
		"methylene blue", "phenelzine", "tranylcypromine", "isocarboxazid", "selegiline", "rasagiline",
		"sumatriptan", "rizatriptan", "zolmitriptan", "naratriptan", "almotriptan", "frovatriptan", "eletriptan",
		"buspirone", "lithium", "st. john's wort"}
	lithiumPrecipitants = []string{"hydrochlorothiazide", "chlorthalidone", "chlorothiazide", "indapamide",
		"metolazone", "lisinopril", "enalapril", "ramipril", "captopril", "benazepril", "losartan", "valsartan",
		"ibuprofen", "naproxen", "diclofenac", "celecoxib", "indomethacin", "meloxicam", "ketorolac"}
	potassiumSparing = []string{"spironolactone", "eplerenone", "amiloride", "triamterene"}
	potassiumRaisers = []string{"potassium chloride", "potassium citrate", "potassium bicarbonate", "potassium acetate",
		"potassium gluconate", "potassium phosphate", "lisinopril", "enalapril", "ramipril", "captopril", "benazepril",
		"losartan", "valsartan", "irbesartan", "candesartan", "olmesartan", "telmisartan", "trimethoprim"}
	methotrexatePrecipitants = []string{"trimethoprim", "sulfamethoxazole", "penicillin g", "amoxicillin",
		"probenecid", "omeprazole", "esomeprazole", "pantoprazole", "ibuprofen", "naproxen", "ketoprofen", "aspirin"}
)

// pairText is ehrkit's wording for interactions between two groups, used for
// the VA rules, whose source gives no text. The first matching entry wins.
type pairText struct {
	a, b []string
	ruleText
}

var pairTexts = []pairText{
	{nitrates, pde5, ruleText{"Severe, possibly fatal, fall in blood pressure",
		"Pharmacodynamic: both raise cyclic GMP in vascular smooth muscle",
		"Do not combine; allow the interval the PDE-5 inhibitor's label gives before a nitrate"}},
	{[]string{"warfarin"}, warfarinPotentiators, ruleText{"The anticoagulant effect of warfarin rises: higher INR and bleeding",
		"Pharmacokinetic: the other drug slows warfarin's metabolism (CYP2C9, CYP3A4 or CYP1A2) or displaces it",
		"Avoid, or lower the warfarin dose and check the INR within days of starting or stopping the other drug"}},
	{anticoagulants, append(append([]string{}, nsaids...), antiplatelets...), ruleText{"Additive bleeding risk",
		"Pharmacodynamic: platelet inhibition (and, for NSAIDs, gastric mucosal injury) adds to anticoagulation",
		"Avoid unless the combination is intended; if combined, watch for bleeding and consider gastric protection"}},
	{[]string{"linezolid"}, serotonergic, ruleText{"Risk of serotonin syndrome",
		"Pharmacodynamic: linezolid is a reversible monoamine oxidase inhibitor",
		"Avoid; if the combination is essential, observe closely for serotonin toxicity"}},
	{[]string{"lithium"}, lithiumPrecipitants, ruleText{"Lithium levels rise, with a risk of toxicity",
		"Pharmacokinetic: reduced renal clearance of lithium",
		"Avoid, or lower the lithium dose and check lithium levels and renal function"}},
	{[]string{"methotrexate"}, methotrexatePrecipitants, ruleText{"Methotrexate toxicity: bone-marrow suppression, mucositis, renal injury",
		"Pharmacokinetic or additive antifolate effect: reduced renal clearance of methotrexate, or added folate antagonism",
		"Avoid, especially with higher methotrexate doses; otherwise monitor blood counts and renal function"}},
	{potassiumSparing, potassiumRaisers, ruleText{"Risk of hyperkalaemia",
		"Pharmacodynamic: additive potassium retention",
		"Avoid potassium supplements; otherwise monitor serum potassium and renal function"}},
	{[]string{"azathioprine", "mercaptopurine"}, []string{"allopurinol", "febuxostat"}, ruleText{"Azathioprine or mercaptopurine accumulates: severe bone-marrow suppression",
		"Pharmacokinetic: xanthine oxidase, which inactivates thiopurines, is blocked",
		"Avoid; if allopurinol is essential, cut the thiopurine dose to a quarter to a third as its label directs and monitor blood counts"}},
	{[]string{"theophylline", "aminophylline", "oxtriphylline"}, []string{"ciprofloxacin", "fluvoxamine", "enoxacin", "cimetidine", "norfloxacin"}, ruleText{"Theophylline levels rise: nausea, arrhythmia and seizures",
		"Pharmacokinetic: CYP1A2 inhibition slows theophylline clearance",
		"Avoid, or lower the theophylline dose and check serum levels"}},
	{[]string{"ethinyl estradiol", "norethindrone", "levonorgestrel", "desogestrel", "norgestimate", "drospirenone", "ethynodiol diacetate", "etonogestrel"},
		[]string{"rifampin", "rifabutin", "rifapentine", "carbamazepine", "phenytoin", "fosphenytoin", "phenobarbital", "primidone", "oxcarbazepine", "topiramate", "st. john's wort", "bosentan"},
		ruleText{"Contraceptive failure and breakthrough bleeding",
			"Pharmacokinetic: induction of CYP3A and glucuronidation lowers hormone levels",
			"Use a non-hormonal or additional method during and for 28 days after the inducer"}},
	{qtLabel, qtLabel, ruleText{"Additive prolongation of the QT interval, with a risk of torsades de pointes",
		"Pharmacodynamic, sometimes with a pharmacokinetic component",
		"Avoid; if combined, correct potassium and magnesium and monitor the ECG"}},
	{serotonergic, serotonergic, ruleText{"Risk of serotonin syndrome",
		"Pharmacodynamic: both drugs increase serotonin activity",
		"Avoid unless intended; start low and watch for agitation, tremor, clonus and hyperthermia"}},
}

// resolvedText is a pairText with its groups as sets of codes.
type resolvedText struct {
	a, b map[string]bool
	t    ruleText
}

type resolvedTexts []resolvedText

// resolveTexts turns the groups of pairTexts into codes; names the base does
// not hold are left out (a group lists the ingredients it may contain).
func (b *builder) resolveTexts() resolvedTexts {
	set := func(names []string) map[string]bool {
		m := map[string]bool{}
		for _, c := range b.known(names) {
			m[c] = true
		}
		return m
	}
	out := make(resolvedTexts, len(pairTexts))
	for i, p := range pairTexts {
		out[i] = resolvedText{set(p.a), set(p.b), p.ruleText}
	}
	return out
}

// find returns the text of the first group pair that holds the two parties.
func (rt resolvedTexts) find(b *builder, pa, pb rx.Party) ruleText {
	as, bs := b.partyCodes(pa), b.partyCodes(pb)
	in := func(m map[string]bool, cs []string) bool {
		for _, c := range cs {
			if m[c] {
				return true
			}
		}
		return false
	}
	for _, t := range rt {
		if (in(t.a, as) && in(t.b, bs)) || (in(t.a, bs) && in(t.b, as)) {
			return t.t
		}
	}
	return ruleText{}
}

// known returns the codes of the names the base holds.
func (b *builder) known(names []string) []string {
	var out []string
	for _, n := range names {
		if c, ok := b.byName[drugname.Normalize(n)]; ok {
			out = append(out, c)
		}
	}
	return out
}

// labelRule is an interaction stated by FDA labeling (or an FDA safety
// communication), written by ehrkit with the label section named. A side is a
// list of ingredient names or one "class:" reference to a class of the base.
type labelRule struct {
	id           string
	a, b         []string
	severity     rx.Severity
	interruptive bool
	text         ruleText
	sources      []string
}

var labelRules = []labelRule{
	{"LABEL-PDE5-NITRATE", pde5, nitrates, rx.Contraindicated, true,
		ruleText{"Severe, possibly fatal, fall in blood pressure",
			"Pharmacodynamic: both raise cyclic GMP in vascular smooth muscle",
			"Do not combine: the PDE-5 inhibitor labels contraindicate organic nitrates in any form, regular or intermittent"},
		[]string{"FDA-LABEL-VIAGRA-4", "FDA-LABEL-CIALIS-4", "FDA-LABEL-LEVITRA-4"}},
	{"LABEL-TRIAZOLAM-CYP3A", []string{"triazolam"}, []string{"class:FDA_CYP3A_INHIBITOR_STRONG"}, rx.Contraindicated, true,
		ruleText{"Triazolam exposure rises many-fold: profound, prolonged sedation and respiratory depression",
			"Pharmacokinetic: strong inhibition of CYP3A, which clears triazolam",
			"Do not combine; choose a hypnotic that CYP3A does not clear"},
		[]string{"FDA-LABEL-HALCION-4", "FDA-HCP-CYP-T1"}},
	{"LABEL-MIDAZOLAM-CYP3A", []string{"midazolam"}, []string{"ketoconazole", "itraconazole", "ritonavir", "lopinavir", "saquinavir", "indinavir", "nelfinavir"}, rx.Contraindicated, true,
		ruleText{"Midazolam exposure rises many-fold: profound, prolonged sedation and respiratory depression",
			"Pharmacokinetic: strong inhibition of CYP3A, which clears midazolam",
			"Do not combine with oral midazolam; parenteral midazolam only with close monitoring and a reduced dose where the precipitant's label allows it"},
		[]string{"FDA-LABEL-SPORANOX-4", "FDA-LABEL-KETOCONAZOLE-4", "FDA-LABEL-NORVIR-4"}},
	{"LABEL-SILDENAFIL-RITONAVIR", []string{"sildenafil"}, []string{"ritonavir"}, rx.Contraindicated, true,
		ruleText{"Sildenafil exposure rises about tenfold: hypotension, syncope, priapism and visual disturbance",
			"Pharmacokinetic: ritonavir strongly inhibits CYP3A, which clears sildenafil",
			"Do not combine sildenafil for pulmonary arterial hypertension with ritonavir; for erectile dysfunction, do not exceed 25 mg in 48 hours"},
		[]string{"FDA-LABEL-NORVIR-4"}},
	{"LABEL-SIMVASTATIN-FIBRATE-CICLOSPORIN", []string{"simvastatin"}, []string{"gemfibrozil", "cyclosporine", "danazol"}, rx.Contraindicated, true,
		ruleText{"Risk of myopathy and rhabdomyolysis",
			"Pharmacokinetic: raised simvastatin acid exposure (OATP1B1 and glucuronidation inhibition by gemfibrozil; CYP3A and transporter inhibition by ciclosporin and danazol)",
			"Do not combine; choose another lipid-lowering option"},
		[]string{"FDA-LABEL-ZOCOR-4"}},
	{"LABEL-DOFETILIDE", []string{"dofetilide"}, []string{"verapamil", "cimetidine", "trimethoprim", "ketoconazole", "prochlorperazine", "megestrol", "dolutegravir", "hydrochlorothiazide"}, rx.Contraindicated, true,
		ruleText{"Dofetilide levels rise: QT prolongation and torsades de pointes",
			"Pharmacokinetic: inhibition of the renal cation secretion or metabolism that clears dofetilide (thiazides also lower potassium and magnesium)",
			"Do not combine"},
		[]string{"FDA-LABEL-TIKOSYN-4"}},
	{"LABEL-PIMOZIDE", []string{"pimozide"}, []string{"clarithromycin", "erythromycin", "azithromycin", "ketoconazole", "itraconazole", "ritonavir", "nefazodone", "zileuton", "sertraline", "citalopram", "escitalopram", "fluvoxamine"}, rx.Contraindicated, true,
		ruleText{"Pimozide levels rise or QT effects add: QT prolongation, torsades de pointes and sudden death",
			"Pharmacokinetic (CYP3A inhibition) or pharmacodynamic (QT)",
			"Do not combine"},
		[]string{"FDA-LABEL-ORAP-4"}},
	{"LABEL-OPIOID-BENZODIAZEPINE", opioids, benzodiazepines, rx.Major, true,
		ruleText{"Profound sedation, respiratory depression, coma and death",
			"Pharmacodynamic: additive central nervous system and respiratory depression",
			"Prescribe together only when alternatives are inadequate; use the lowest doses for the shortest time and watch for sedation and breathing problems"},
		[]string{"FDA-DSC-2016-OPIOID-BENZO"}},
	{"LABEL-CLOPIDOGREL-CYP2C19", []string{"clopidogrel"}, []string{"omeprazole", "esomeprazole"}, rx.Major, true,
		ruleText{"Less antiplatelet effect of clopidogrel, with a risk of stent thrombosis and cardiovascular events",
			"Pharmacokinetic: CYP2C19 inhibition reduces the formation of clopidogrel's active metabolite",
			"Avoid; if acid suppression is needed, prefer a PPI with less CYP2C19 inhibition (such as pantoprazole) or an H2 blocker other than cimetidine"},
		[]string{"FDA-LABEL-PLAVIX-5-7"}},
	{"LABEL-COLCHICINE-CYP3A-PGP", []string{"colchicine"}, []string{"clarithromycin", "telithromycin", "ketoconazole", "itraconazole", "ritonavir", "cyclosporine", "verapamil", "diltiazem"}, rx.Major, true,
		ruleText{"Colchicine toxicity, fatal in some cases: neuromuscular and bone-marrow toxicity",
			"Pharmacokinetic: inhibition of CYP3A and P-glycoprotein, which clear colchicine",
			"Contraindicated in renal or hepatic impairment; otherwise reduce the colchicine dose as its label directs, or avoid"},
		[]string{"FDA-LABEL-COLCRYS-4-7"}},
	{"LABEL-DIGOXIN-PGP", []string{"digoxin"}, []string{"amiodarone", "dronedarone", "verapamil", "quinidine", "propafenone", "clarithromycin", "itraconazole"}, rx.Major, true,
		ruleText{"Digoxin levels rise, with a risk of toxicity (bradycardia, heart block, arrhythmia)",
			"Pharmacokinetic: P-glycoprotein inhibition reduces digoxin clearance",
			"Measure serum digoxin before starting and reduce the digoxin dose (by 30 to 50 percent for amiodarone) as its label directs"},
		[]string{"FDA-LABEL-LANOXIN-7"}},
	{"LABEL-WARFARIN-BLEEDING", []string{"warfarin"}, append(append([]string{}, nsaids...), antiplatelets...), rx.Major, true,
		ruleText{"Additive bleeding risk, including gastrointestinal and intracranial bleeding",
			"Pharmacodynamic: platelet inhibition (and, for NSAIDs, gastric mucosal injury) adds to anticoagulation",
			"Avoid unless the combination is intended (for example low-dose aspirin with a mechanical valve); if combined, monitor for bleeding and the INR"},
		[]string{"FDA-LABEL-COUMADIN-7"}},
	{"LABEL-QT-QT", []string{"class:EHRKIT_QT_LABEL"}, []string{"class:EHRKIT_QT_LABEL"}, rx.Major, true,
		ruleText{"Additive prolongation of the QT interval, with a risk of torsades de pointes",
			"Pharmacodynamic: both drugs prolong cardiac repolarisation",
			"Avoid; if the combination is needed, correct potassium and magnesium, and monitor the ECG"},
		[]string{"FDA-LABEL-QT", "ONC-HP-2012"}},
}

// labelClasses are the interaction classes the label rules name.
var labelClasses = []curatedClass{
	{"EHRKIT_QT_LABEL", "Drugs whose US labeling warns of QT prolongation or torsades de pointes", rx.UseInteraction, qtLabel,
		[]string{"FDA-LABEL-QT"}, "Boxed warning or Warnings and Precautions section of each drug's FDA labeling.", nil},
}

// labelDocument writes the label rules; a side of several ingredients becomes
// a class of its own.
func (b *builder) labelDocument() rx.Document {
	d := rx.Document{Format: rx.FormatV1}
	for _, c := range labelClasses {
		d.Classes = append(d.Classes, rx.Class{ID: c.id, Name: c.name, Use: c.use, Members: b.codes(c.members), Sources: b.cite(c.sources...), Note: c.note})
	}
	side := func(id, which string, names []string) rx.Party {
		if len(names) == 1 && strings.HasPrefix(names[0], "class:") {
			return rx.Party{Class: strings.TrimPrefix(names[0], "class:")}
		}
		if len(names) == 1 {
			return rx.Party{RxCUI: b.code(names[0])}
		}
		cid := strings.ReplaceAll(id, "-", "_") + "_" + which
		d.Classes = append(d.Classes, rx.Class{ID: cid, Name: id + " (" + which + ")", Use: rx.UseInteraction, Members: b.codes(names), Sources: b.cite(b.sourcesOf(id)...)})
		return rx.Party{Class: cid}
	}
	for _, r := range labelRules {
		d.Interactions = append(d.Interactions, rx.Interaction{
			ID: r.id, A: side(r.id, "A", r.a), B: side(r.id, "B", r.b), Severity: r.severity, Interruptive: r.interruptive,
			Summary: r.text.summary, Mechanism: r.text.mechanism, Management: r.text.management, Sources: b.cite(r.sources...),
		})
	}
	return d
}

func (b *builder) sourcesOf(id string) []string {
	for _, r := range labelRules {
		if r.id == id {
			return r.sources
		}
	}
	return nil
}

func labelSection(id, product, section string) rx.Source {
	return rx.Source{
		ID:       id,
		Citation: "US FDA-approved labeling, " + product + ", " + section + " (DailyMed)",
		URL:      "https://dailymed.nlm.nih.gov/dailymed/",
		Licence:  "US Government work, public domain",
	}
}

// labelSources are the citations of the label rules.
var labelSources = []rx.Source{
	labelSection("FDA-LABEL-VIAGRA-4", "sildenafil (Viagra)", "section 4 Contraindications (4.1 nitrates)"),
	labelSection("FDA-LABEL-CIALIS-4", "tadalafil (Cialis)", "section 4 Contraindications (4.1 nitrates)"),
	labelSection("FDA-LABEL-LEVITRA-4", "vardenafil (Levitra)", "section 4 Contraindications (4.1 nitrates)"),
	labelSection("FDA-LABEL-HALCION-4", "triazolam (Halcion)", "section 4 Contraindications (strong CYP3A inhibitors)"),
	labelSection("FDA-LABEL-SPORANOX-4", "itraconazole (Sporanox)", "section 4 Contraindications (oral midazolam, triazolam)"),
	labelSection("FDA-LABEL-KETOCONAZOLE-4", "ketoconazole tablets", "section 4 Contraindications (oral midazolam, alprazolam, triazolam)"),
	labelSection("FDA-LABEL-NORVIR-4", "ritonavir (Norvir)", "section 4 Contraindications (oral midazolam, triazolam; sildenafil for pulmonary arterial hypertension)"),
	labelSection("FDA-LABEL-ZOCOR-4", "simvastatin (Zocor)", "section 4 Contraindications (gemfibrozil, cyclosporine, danazol)"),
	labelSection("FDA-LABEL-TIKOSYN-4", "dofetilide (Tikosyn)", "section 4 Contraindications"),
	labelSection("FDA-LABEL-ORAP-4", "pimozide (Orap)", "Contraindications"),
	labelSection("FDA-LABEL-PLAVIX-5-7", "clopidogrel (Plavix)", "sections 5.1 and 7.1 (avoid omeprazole and esomeprazole)"),
	labelSection("FDA-LABEL-COLCRYS-4-7", "colchicine (Colcrys)", "sections 4 Contraindications and 7 Drug Interactions"),
	labelSection("FDA-LABEL-COUMADIN-7", "warfarin (Coumadin)", "section 7.3 Drugs that increase bleeding risk"),
	labelSection("FDA-LABEL-LANOXIN-7", "digoxin (Lanoxin)", "section 7.1 (P-glycoprotein inhibitors)"),
	{ID: "FDA-LABEL-QT", Citation: "US FDA-approved labeling of each member drug, boxed warning or Warnings and Precautions section on QT prolongation and torsades de pointes (DailyMed)",
		URL: "https://dailymed.nlm.nih.gov/dailymed/", Licence: "US Government work, public domain"},
	{ID: "FDA-DSC-2016-OPIOID-BENZO", Citation: "US FDA Drug Safety Communication, 31 August 2016: FDA warns about serious risks and death when combining opioid pain or cough medicines with benzodiazepines; requires its strongest warning (boxed warning in the labeling of both classes)",
		URL: "https://www.fda.gov/drugs/drug-safety-and-availability/fda-drug-safety-communication-fda-warns-about-serious-risks-and-death-when-combining-opioid-pain-or", Licence: "US Government work, public domain"},
}
