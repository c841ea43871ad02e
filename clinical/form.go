package clinical

import (
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/shopspring/decimal"
)

// ItemType is the type of a form item (a subset of FHIR Questionnaire item
// types).
type ItemType string

// Item types. A group holds other items; display shows text only.
const (
	ItemGroup   ItemType = "group"
	ItemDisplay ItemType = "display"
	ItemText    ItemType = "text"
	ItemNumber  ItemType = "number" // a decimal with a UCUM unit (FHIR quantity)
	ItemChoice  ItemType = "choice"
	ItemDate    ItemType = "date"
	ItemBoolean ItemType = "boolean"
)

// answerKind is the Value kind an answer of each question type has.
var answerKind = map[ItemType]ValueKind{
	ItemText: KindText, ItemNumber: KindQuantity, ItemChoice: KindCoded, ItemDate: KindDate, ItemBoolean: KindBoolean,
}

// FormDefinition is a structured form (FHIR Questionnaire): items to answer,
// which are required, when they show, and how answers become observations
// and scores.
type FormDefinition struct {
	ID      string                 `json:"id"`
	URL     string                 `json:"url,omitempty"`
	Version string                 `json:"version,omitempty"`
	Title   string                 `json:"title"`
	Status  string                 `json:"status"` // draft | active | retired
	Code    ehrkit.CodeableConcept `json:"code,omitzero"`
	// Source names where the form's content comes from.
	Source string      `json:"source,omitempty"`
	Items  []FormItem  `json:"items"`
	Scores []ScoreRule `json:"scores,omitempty"`
}

// FormItem is one question, group or display text (FHIR Questionnaire.item).
type FormItem struct {
	LinkID   string                 `json:"linkId"`
	Text     string                 `json:"text"`
	Type     ItemType               `json:"type"`
	Code     ehrkit.CodeableConcept `json:"code,omitzero"`
	Required bool                   `json:"required,omitempty"`
	// Repeats allows several answers to a question, or several instances of a
	// group (a repeating group: one per medication, per allergy ...).
	Repeats bool `json:"repeats,omitempty"`
	// Unit is the UCUM unit of a number item; answers may use any unit of
	// the same dimension (e.g. [lb_av] for kg).
	Unit    string           `json:"unit,omitempty"`
	Min     *decimal.Decimal `json:"min,omitempty"`
	Max     *decimal.Decimal `json:"max,omitempty"`
	Options []AnswerOption   `json:"options,omitempty"`
	// EnableWhen shows the item only when its conditions hold (all of them,
	// or any when EnableBehavior is "any"); a hidden item may not be answered.
	EnableWhen     []EnableWhen `json:"enableWhen,omitempty"`
	EnableBehavior string       `json:"enableBehavior,omitempty"`
	// Extract makes each answer an Observation coded with Code, in Category.
	Extract  bool       `json:"extract,omitempty"`
	Category string     `json:"category,omitempty"`
	Items    []FormItem `json:"items,omitempty"`
	// SafetyAt makes an answer scoring at least this much a safety finding
	// whatever the form's total (PHQ-9 item 9, thoughts of self-harm): the
	// extracted observation is flagged critical ("AA") and SafetyFindings
	// lists it.
	SafetyAt *int `json:"safetyAt,omitempty"`
}

// AnswerOption is one permitted answer of a choice item, with the ordinal
// value scoring rules add up.
type AnswerOption struct {
	Coding ehrkit.Coding `json:"coding"`
	Score  *int          `json:"score,omitempty"`
}

// Enable-when operators (FHIR questionnaire-enable-operator).
const (
	OpExists = "exists"
	OpEq     = "="
	OpNe     = "!="
	OpGt     = ">"
	OpLt     = "<"
	OpGe     = ">="
	OpLe     = "<="
)

// EnableWhen is one display condition: the answer to Question (a linkId)
// compared with Answer by Operator. For OpExists, Answer is a boolean saying
// whether an answer must exist.
type EnableWhen struct {
	Question string `json:"question"`
	Operator string `json:"operator"`
	Answer   Value  `json:"answer"`
}

// ScoreRule adds up the option scores of the answers to Items (linkIds) into
// a total coded Code, and places the total in a Band.
type ScoreRule struct {
	Code     ehrkit.CodeableConcept `json:"code"`
	Items    []string               `json:"items"`
	BandCode ehrkit.CodeableConcept `json:"bandCode,omitzero"`
	Bands    []Band                 `json:"bands,omitempty"`
}

// Band is an inclusive range of totals and what it means.
type Band struct {
	Min     int                    `json:"min"`
	Max     int                    `json:"max"`
	Meaning ehrkit.CodeableConcept `json:"meaning"`
}

// FormResponse is a filled-in form (FHIR QuestionnaireResponse).
type FormResponse struct {
	ID        string           `json:"id"`
	Patient   patient.ID       `json:"patient"`
	Encounter string           `json:"encounter,omitempty"`
	Form      string           `json:"form"` // FormDefinition.ID
	Status    string           `json:"status"`
	Authored  time.Time        `json:"authored"`
	Author    ehrkit.Reference `json:"author,omitzero"`
	Items     []ResponseItem   `json:"items,omitempty"`
}

// Response statuses (FHIR questionnaire-answers-status).
const (
	ResponseInProgress = "in-progress"
	ResponseCompleted  = "completed"
	ResponseAmended    = "amended"
)

// ResponseItem answers one item; a group's answers are in its Items. A
// repeating group appears once per instance.
type ResponseItem struct {
	LinkID  string         `json:"linkId"`
	Answers []Value        `json:"answers,omitempty"`
	Items   []ResponseItem `json:"items,omitempty"`
}

// Validate checks the definition itself: unique linkIds, known types, groups
// with items, choices with valid options, units, enable-when conditions that
// refer to other questions of the form, extraction codes and score rules.
func (f *FormDefinition) Validate() error {
	var is ehrkit.Issues
	is.Required("id", f.ID != "")
	is.Required("title", strings.TrimSpace(f.Title) != "")
	checkCode(&is, "status", f.Status, true, "draft", "active", "retired")
	if !f.Code.IsZero() {
		is.Merge("code", f.Code.Validate())
	}
	is.Check(len(f.Items) > 0, "items", ehrkit.IssueRequired, "a form needs items")
	index := map[string]*FormItem{}
	f.walk(func(path string, it *FormItem) {
		if _, dup := index[it.LinkID]; dup {
			is.Add(path+".linkId", ehrkit.IssueDuplicate, "linkId used twice")
		}
		index[it.LinkID] = it
	})
	f.walk(func(path string, it *FormItem) { validateItem(&is, path, it, index) })
	for i, s := range f.Scores {
		p := ehrkit.Index("scores", i)
		is.Merge(p+".code", s.Code.Validate())
		is.Check(len(s.Items) > 0, p+".items", ehrkit.IssueRequired, "is required")
		for j, id := range s.Items {
			it := index[id]
			is.Check(it != nil && it.Type == ItemChoice && allScored(it.Options), ehrkit.Index(p+".items", j), ehrkit.IssueValue, "must name a choice item whose options all have scores")
		}
		for j, b := range s.Bands {
			is.Check(b.Min <= b.Max, ehrkit.Index(p+".bands", j)+".max", ehrkit.IssueInvariant, "is below min")
			is.Merge(ehrkit.Index(p+".bands", j)+".meaning", b.Meaning.Validate())
		}
	}
	return is.Err()
}

func allScored(opts []AnswerOption) bool {
	for _, o := range opts {
		if o.Score == nil {
			return false
		}
	}
	return len(opts) > 0
}

func validateItem(is *ehrkit.Issues, path string, it *FormItem, index map[string]*FormItem) {
	is.Required(path+".linkId", it.LinkID != "")
	checkCode(is, path+".type", it.Type, true, ItemGroup, ItemDisplay, ItemText, ItemNumber, ItemChoice, ItemDate, ItemBoolean)
	is.Check(it.Type != ItemGroup || len(it.Items) > 0, path+".items", ehrkit.IssueRequired, "a group needs items")
	is.Check(it.Type == ItemGroup || len(it.Items) == 0, path+".items", ehrkit.IssueStructure, "only groups hold items")
	is.Check(it.Type == ItemChoice || len(it.Options) == 0, path+".options", ehrkit.IssueStructure, "only choice items have options")
	is.Check(it.Type != ItemChoice || len(it.Options) > 0, path+".options", ehrkit.IssueRequired, "a choice item needs options")
	is.Check(it.SafetyAt == nil || (len(it.Options) > 0 && allScored(it.Options)), path+".safetyAt", ehrkit.IssueInvariant, "a safety threshold needs scored options")
	for i, o := range it.Options {
		is.Merge(ehrkit.Index(path+".options", i)+".coding", o.Coding.Validate())
	}
	if it.Unit != "" {
		is.Check(it.Type == ItemNumber, path+".unit", ehrkit.IssueStructure, "only number items have a unit")
		is.Merge(path, CheckUnit(it.Unit))
	}
	is.Check(it.Type != ItemNumber || it.Unit != "", path+".unit", ehrkit.IssueRequired, "a number item needs a unit")
	is.Check(it.Min == nil || it.Max == nil || !it.Max.LessThan(*it.Min), path+".max", ehrkit.IssueInvariant, "is below min")
	checkCode(is, path+".enableBehavior", it.EnableBehavior, false, "all", "any")
	for i, ew := range it.EnableWhen {
		p := ehrkit.Index(path+".enableWhen", i)
		target := index[ew.Question]
		is.Check(target != nil && target != it && answerKind[target.Type] != "", p+".question", ehrkit.IssueValue, "must name another question of the form")
		checkCode(is, p+".operator", ew.Operator, true, OpExists, OpEq, OpNe, OpGt, OpLt, OpGe, OpLe)
		want := KindBoolean
		if ew.Operator != OpExists && target != nil {
			want = answerKind[target.Type]
		}
		is.Check(ew.Answer.Kind == want, p+".answer.kind", ehrkit.IssueValue, "does not fit the question")
	}
	if it.Extract {
		is.Check(answerKind[it.Type] != "", path+".extract", ehrkit.IssueStructure, "only questions are extracted")
		is.Merge(path+".code", it.Code.Validate())
		is.Check(it.Category == "" || oneOf(it.Category, observationCategories...), path+".category", ehrkit.IssueCodeInvalid, "unknown observation category")
	}
}

// walk visits every item depth first with its definition path ("items[2].items[0]").
func (f *FormDefinition) walk(fn func(path string, it *FormItem)) {
	var rec func(prefix string, items []FormItem)
	rec = func(prefix string, items []FormItem) {
		for i := range items {
			p := ehrkit.Index(ehrkit.JoinPath(prefix, "items"), i)
			fn(p, &items[i])
			rec(p, items[i].Items)
		}
	}
	rec("", f.Items)
}

// Check validates a response against the definition and reports every
// problem in one *ehrkit.ValidationError, each at its item path built from
// linkIds: "item[weight].answer[0]", "item[allergies][1].item[substance]". It
// checks unknown items, answers of the wrong type, choices outside the
// options, units that are not UCUM or do not convert to the item's unit,
// numbers outside min/max, several answers to a non-repeating item, answers to
// items hidden by enableWhen and, once the response is completed, required
// items left unanswered.
func (f *FormDefinition) Check(r *FormResponse) error {
	var is ehrkit.Issues
	is.Merge("", r.Validate())
	is.Check(r.Form == "" || r.Form == f.ID, "form", ehrkit.IssueValue, "answers a different form")
	c := checker{is: &is, final: r.Status != ResponseInProgress}
	c.items(f.Items, r.Items, "", [][]ResponseItem{r.Items})
	return is.Err()
}

type checker struct {
	is    *ehrkit.Issues
	final bool
}

func (c checker) items(defs []FormItem, got []ResponseItem, path string, scope [][]ResponseItem) {
	byID := map[string]*FormItem{}
	for i := range defs {
		byID[defs[i].LinkID] = &defs[i]
	}
	for _, g := range got {
		if byID[g.LinkID] == nil {
			c.is.Add(itemPath(path, g.LinkID, -1), ehrkit.IssueStructure, "not an item of the form here")
		}
	}
	for i := range defs {
		def := &defs[i]
		var occ []ResponseItem
		for _, g := range got {
			if g.LinkID == def.LinkID {
				occ = append(occ, g)
			}
		}
		p := itemPath(path, def.LinkID, -1)
		if !enabled(def, scope) {
			c.is.Check(!hasContent(occ), p, ehrkit.IssueInvariant, "answered although not enabled")
			continue
		}
		c.is.Check(!c.final || !def.Required || hasContent(occ), p, ehrkit.IssueRequired, "is required")
		if def.Type == ItemGroup {
			c.is.Check(len(occ) <= 1 || def.Repeats, p, ehrkit.IssueStructure, "the group does not repeat")
			for k, o := range occ {
				gp := p
				if def.Repeats {
					gp = itemPath(path, def.LinkID, k)
				}
				c.is.Check(len(o.Answers) == 0, gp+".answer", ehrkit.IssueStructure, "a group has no answers")
				c.items(def.Items, o.Items, gp, append([][]ResponseItem{o.Items}, scope...))
			}
			continue
		}
		c.is.Check(len(occ) <= 1, p, ehrkit.IssueStructure, "answered more than once; put several answers in one item")
		for _, o := range occ {
			c.is.Check(len(o.Items) == 0, p+".item", ehrkit.IssueStructure, "a question holds no items")
			c.is.Check(def.Type != ItemDisplay || len(o.Answers) == 0, p+".answer", ehrkit.IssueStructure, "display items take no answers")
			c.is.Check(len(o.Answers) <= 1 || def.Repeats, p+".answer", ehrkit.IssueStructure, "takes one answer")
			for j, a := range o.Answers {
				c.is.Merge(ehrkit.Index(p+".answer", j), checkAnswer(def, a))
			}
		}
	}
}

// itemPath appends "item[linkId]" (and "[k]" for a repeating group's k-th
// instance when k >= 0) to path.
func itemPath(path, linkID string, k int) string {
	p := ehrkit.JoinPath(path, "item["+linkID+"]")
	if k >= 0 {
		p = ehrkit.Index(p, k)
	}
	return p
}

func hasContent(occ []ResponseItem) bool {
	for _, o := range occ {
		if len(o.Answers) > 0 || hasContent(o.Items) {
			return true
		}
	}
	return false
}

func checkAnswer(def *FormItem, a Value) error {
	var is ehrkit.Issues
	if want := answerKind[def.Type]; a.Kind != want {
		is.Add("kind", ehrkit.IssueValue, "a %s item takes a %s answer", def.Type, want)
		return is.Err()
	}
	is.Merge("", a.Validate())
	if is.Len() > 0 {
		return is.Err()
	}
	switch def.Type {
	case ItemChoice:
		is.Check(optionOf(def, a.Concept) != nil, "concept", ehrkit.IssueCodeInvalid, "not one of the item's options")
	case ItemNumber:
		q, err := Convert(a.Quantity, def.Unit)
		if err != nil {
			is.Add("quantity.unit", ehrkit.IssueValue, "does not convert to the item's unit")
			break
		}
		is.Check(def.Min == nil || !q.Value.LessThan(*def.Min), "quantity.value", ehrkit.IssueValue, "below the minimum")
		is.Check(def.Max == nil || !q.Value.GreaterThan(*def.Max), "quantity.value", ehrkit.IssueValue, "above the maximum")
	}
	return is.Err()
}

// optionOf returns the option a coded answer picks, or nil.
func optionOf(def *FormItem, c ehrkit.CodeableConcept) *AnswerOption {
	for i, o := range def.Options {
		if c.Has(o.Coding.System, o.Coding.Code) {
			return &def.Options[i]
		}
	}
	return nil
}

// enabled evaluates the item's enableWhen conditions against the answers in
// scope (the innermost group instance first, then its ancestors).
func enabled(def *FormItem, scope [][]ResponseItem) bool {
	if len(def.EnableWhen) == 0 {
		return true
	}
	anyOf := def.EnableBehavior == "any"
	for _, ew := range def.EnableWhen {
		ok := conditionHolds(ew, findAnswers(ew.Question, scope))
		if ok && anyOf {
			return true
		}
		if !ok && !anyOf {
			return false
		}
	}
	return !anyOf
}

func findAnswers(linkID string, scope [][]ResponseItem) []Value {
	var find func(items []ResponseItem) ([]Value, bool)
	find = func(items []ResponseItem) ([]Value, bool) {
		for _, it := range items {
			if it.LinkID == linkID {
				return it.Answers, true
			}
			if v, ok := find(it.Items); ok {
				return v, true
			}
		}
		return nil, false
	}
	for _, items := range scope {
		if v, ok := find(items); ok {
			return v
		}
	}
	return nil
}

func conditionHolds(ew EnableWhen, answers []Value) bool {
	if ew.Operator == OpExists {
		return (len(answers) > 0) == ew.Answer.Boolean
	}
	for _, a := range answers {
		if c, ok := compareValues(a, ew.Answer); ok && compareMatches(ew.Operator, c) {
			return true
		}
	}
	return false
}

func compareMatches(op string, c int) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpNe:
		return c != 0
	case OpGt:
		return c > 0
	case OpLt:
		return c < 0
	case OpGe:
		return c >= 0
	case OpLe:
		return c <= 0
	}
	return false
}

// compareValues orders two values of one kind; coded and boolean values only
// compare for equality (0 or 1).
func compareValues(a, b Value) (int, bool) {
	if a.Kind != b.Kind {
		return 0, false
	}
	switch a.Kind {
	case KindQuantity:
		bq, err := Convert(b.Quantity, a.Quantity.Unit)
		if err != nil {
			return 0, false
		}
		return a.Quantity.Value.Cmp(bq.Value), true
	case KindDate:
		return a.Date.Compare(b.Date), true
	case KindText:
		return strings.Compare(a.Text, b.Text), true
	case KindBoolean:
		return boolDiff(a.Boolean != b.Boolean), true
	case KindCoded:
		for _, c := range b.Concept.Coding {
			if a.Concept.Has(c.System, c.Code) {
				return 0, true
			}
		}
		return 1, true
	}
	return 0, false
}

func boolDiff(differ bool) int {
	if differ {
		return 1
	}
	return 0
}
