package x12

import (
	"slices"
	"strings"
)

// structure checks the segments of one transaction set against an
// implementation guide's loops. It keeps one frame per open loop, so memory
// does not grow with the size of the set.
type structure interface {
	next(Segment) *Error
}

// loop is one loop of an implementation guide: the trigger segment (with the
// qualifier values that select it), the segments that may follow in order,
// then its child loops in order.
type loop struct {
	id       string
	trigger  string
	qualElem int      // element holding the qualifier (1 for NM1, 3 for HL)
	quals    []string // accepted qualifier values; nil accepts any
	req      bool
	anyOrder bool // sibling loops that may repeat in any order (HL levels)
	segs     []item
	loops    []*loop
}

type item struct {
	id  string
	req bool
}

func (l *loop) matches(s Segment) bool {
	return s.ID() == l.trigger && (l.quals == nil || slices.Contains(l.quals, s.Element(l.qualElem)))
}

func (l *loop) size() int { return len(l.segs) + len(l.loops) }

func (l *loop) required(i int) (string, bool) {
	if i < len(l.segs) {
		return "segment " + l.segs[i].id, l.segs[i].req
	}
	c := l.loops[i-len(l.segs)]
	return "loop " + c.id + " (" + c.trigger + ")", c.req && !c.anyOrder
}

type frame struct {
	l   *loop
	pos int // index reached in segs+loops; -1 after the trigger
}

type guide struct {
	name  string
	root  *loop
	stack []frame
}

func newStructure(setType, st03, gs08 string, skip bool) structure {
	if skip {
		return nil
	}
	v := st03
	if v == "" {
		v = gs08
	}
	if setType == "837" && strings.HasPrefix(v, "005010X222") {
		return &guide{name: "005010X222", root: guide837P}
	}
	return nil
}

func (g *guide) next(s Segment) *Error {
	id := s.ID()
	if id == "ST" {
		g.stack = []frame{{l: g.root, pos: -1}}
		return nil
	}
	if id == "SE" {
		for len(g.stack) > 0 {
			if e := g.pop(s); e != nil {
				return e
			}
		}
		return nil
	}
	for depth := len(g.stack) - 1; depth >= 0; depth-- {
		f := &g.stack[depth]
		// a later (or the same, repeating) segment of this loop, unless a
		// child loop has already begun
		if f.pos < len(f.l.segs) {
			for i := max(f.pos, 0); i < len(f.l.segs); i++ {
				if f.l.segs[i].id == id {
					if err := g.unwindTo(depth, s); err != nil {
						return err
					}
					if e := g.skipped(&g.stack[depth], i, s); e != nil {
						return e
					}
					g.stack[depth].pos = i
					return nil
				}
			}
		}
		start := max(f.pos-len(f.l.segs), 0)
		for k, c := range f.l.loops {
			if (k < start && !c.anyOrder) || !c.matches(s) {
				continue
			}
			if err := g.unwindTo(depth, s); err != nil {
				return err
			}
			f = &g.stack[depth]
			if k >= start {
				if e := g.skipped(f, len(f.l.segs)+k, s); e != nil {
					return e
				}
				f.pos = len(f.l.segs) + k
			}
			g.stack = append(g.stack, frame{l: c, pos: -1})
			return nil
		}
	}
	return &Error{Segment: id, Loop: g.stack[len(g.stack)-1].l.id,
		Message: "segment not expected here in " + g.name + " (out of order, or not part of the guide)"}
}

// skipped reports a required segment or loop between the frame's position and
// i that never appeared.
func (g *guide) skipped(f *frame, i int, s Segment) *Error {
	for j := f.pos + 1; j < i; j++ {
		if what, req := f.l.required(j); req {
			return &Error{Segment: s.ID(), Loop: f.l.id, Message: "required " + what + " of loop " + f.l.id + " missing before this segment"}
		}
	}
	return nil
}

func (g *guide) unwindTo(depth int, s Segment) *Error {
	for len(g.stack) > depth+1 {
		if e := g.pop(s); e != nil {
			return e
		}
	}
	return nil
}

func (g *guide) pop(s Segment) *Error {
	f := g.stack[len(g.stack)-1]
	if e := g.skipped(&f, f.l.size(), s); e != nil {
		return e
	}
	g.stack = g.stack[:len(g.stack)-1]
	return nil
}

func seq(ids string) []item {
	var out []item
	for _, f := range strings.Fields(ids) {
		req := strings.HasSuffix(f, "!")
		out = append(out, item{id: strings.TrimSuffix(f, "!"), req: req})
	}
	return out
}

func nm1(id string, req bool, segs string, quals ...string) *loop {
	return &loop{id: id, trigger: "NM1", qualElem: 1, quals: quals, req: req, segs: seq(segs)}
}

// guide837P is the loop structure of the 837 Professional guide
// (ASC X12N 005010X222A2), segments marked "!" required.
var guide837P = func() *loop {
	claim := &loop{id: "2300", trigger: "CLM", segs: seq("DTP PWK CN1 AMT REF K3 NTE CR1 CR2 CRC HI! HCP"),
		loops: []*loop{
			nm1("2310A", false, "REF", "DN", "P3"),
			nm1("2310B", false, "PRV REF", "82"),
			nm1("2310C", false, "N3! N4! REF PER", "77"),
			nm1("2310D", false, "REF", "DQ"),
			nm1("2310E", false, "N3! N4!", "PW"),
			nm1("2310F", false, "N3! N4!", "45"),
			{id: "2320", trigger: "SBR", segs: seq("CAS AMT OI! MIA MOA"), loops: []*loop{
				nm1("2330A", true, "N3 N4 REF", "IL"),
				nm1("2330B", false, "N3 N4 DTP REF", "PR"),
				nm1("2330C", false, "REF", "DN", "P3"),
				nm1("2330D", false, "REF", "82"),
				nm1("2330E", false, "REF", "77"),
				nm1("2330F", false, "REF", "DQ"),
				nm1("2330G", false, "REF", "85"),
			}},
			{id: "2400", trigger: "LX", req: true, segs: seq("SV1! SV5 PWK CR1 CR3 CRC DTP QTY MEA CN1 REF AMT K3 NTE PS1 HCP"), loops: []*loop{
				{id: "2410", trigger: "LIN", segs: seq("CTP! REF")},
				nm1("2420A", false, "PRV REF", "82"),
				nm1("2420B", false, "REF", "QB"),
				nm1("2420C", false, "N3! N4! REF", "77"),
				nm1("2420D", false, "REF", "DQ"),
				nm1("2420E", false, "N3 N4 REF PER", "DK"),
				nm1("2420F", false, "REF", "DN", "P3"),
				nm1("2420G", false, "N3! N4!", "PW"),
				nm1("2420H", false, "N3! N4!", "45"),
				{id: "2430", trigger: "SVD", segs: seq("CAS DTP! AMT")},
				{id: "2440", trigger: "LQ", segs: seq("FRM!")},
			}},
		}}
	hl := func(id, level, segs string, loops ...*loop) *loop {
		return &loop{id: id, trigger: "HL", qualElem: 3, quals: []string{level}, anyOrder: true, segs: seq(segs), loops: loops}
	}
	return &loop{id: "header", trigger: "ST", segs: seq("BHT!"), loops: []*loop{
		nm1("1000A", true, "PER!", "41"),
		nm1("1000B", true, "", "40"),
		hl("2000A", "20", "PRV CUR",
			nm1("2010AA", true, "N3! N4! REF! PER", "85"),
			nm1("2010AB", false, "N3! N4!", "87"),
			nm1("2010AC", false, "N3 N4 REF", "PE")),
		hl("2000B", "22", "SBR! PAT",
			nm1("2010BA", true, "N3 N4 DMG REF PER", "IL"),
			nm1("2010BB", true, "N3 N4 REF", "PR"),
			claim),
		hl("2000C", "23", "PAT!",
			nm1("2010CA", true, "N3! N4! DMG! REF", "QC"),
			claim),
	}}
}()
