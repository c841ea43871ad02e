package fhir

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ehrkit/ehrkit"
)

// MaxDepth is the deepest nesting of objects and arrays a resource may have.
// FHIR resources nest a few dozen levels at most (a Questionnaire's items
// within items are the deepest); refusing deeper input before it is parsed
// keeps a hostile document from exhausting the parser's stack.
const MaxDepth = 100

// DefaultMaxResource is the largest resource (in bytes of JSON) an Importer
// parses unless WithMaxResource says otherwise. The validating parser
// allocates up to about 115 bytes per byte of a densely structured resource
// (measured: 97-114 for 35 KB-350 KB Patients of many names), so a resource
// of this size costs at most about 240 MB while it is parsed, per parsing
// worker (WithWorkers); a longer one is refused unread.
const DefaultMaxResource = 2 << 20

// checkJSON checks, in one pass over the bytes and before the resource is
// parsed, what the parser would not refuse or would silently change: nesting
// deeper than MaxDepth, strings that are not valid UTF-8 (the parser rewrites
// them to U+FFFD) or that hold a NUL (FHIR strings are text: R4 Datatypes
// §2.24.0.1, "string"). It returns a *ehrkit.ValidationError whose issues name
// the element path of each offending string ("Patient.name[0].family").
// Malformed JSON is left to the parser to report.
func checkJSON(b []byte) error {
	c := checker{b: b}
	c.run()
	if len(c.issues) == 0 {
		return nil
	}
	for i := range c.issues {
		c.issues[i].Path = ehrkit.JoinPath(c.typ, c.issues[i].Path)
	}
	return &ehrkit.ValidationError{Issues: c.issues}
}

// level is one open object or array on the checker's path.
type level struct {
	array bool
	key   string // the current member's name (objects)
	index int    // the current element's index (arrays), -1 before the first
}

type checker struct {
	b      []byte
	stack  []level
	issues []ehrkit.Issue // paths below the resource type
	typ    string         // the top-level resourceType, once read
}

// maxStringIssues is how many offending strings checkJSON lists.
const maxStringIssues = 20

func (c *checker) run() {
	expectKey := false
	for i := 0; i < len(c.b); i++ {
		switch ch := c.b[i]; ch {
		case '{', '[':
			if len(c.stack) == MaxDepth {
				c.issues = append(c.issues, ehrkit.Issue{Path: c.path(), Code: ehrkit.IssueStructure,
					Message: "nested deeper than " + strconv.Itoa(MaxDepth) + " levels"})
				return
			}
			c.next()
			c.stack = append(c.stack, level{array: ch == '[', index: -1})
			expectKey = ch == '{'
		case '}', ']':
			if len(c.stack) > 0 {
				c.stack = c.stack[:len(c.stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(c.stack) > 0 && !c.stack[len(c.stack)-1].array
		case '"':
			end, s, ok := c.str(i + 1)
			if end < 0 {
				return // unterminated: the parser reports it
			}
			switch {
			case expectKey:
				c.stack[len(c.stack)-1].key = s
				expectKey = false
			default:
				c.next()
				if !ok {
					if len(c.issues) < maxStringIssues {
						c.issues = append(c.issues, ehrkit.Issue{Path: c.path(), Code: ehrkit.IssueValue,
							Message: "not valid UTF-8 text, or holds a NUL character"})
					}
				}
				if len(c.stack) == 1 && c.stack[0].key == "resourceType" {
					c.typ = s
				}
			}
			i = end
		default:
			if ch > ' ' && ch != ':' {
				c.next() // a number, true, false or null
				for i+1 < len(c.b) && !strings.ContainsRune(" \t\r\n,]}", rune(c.b[i+1])) {
					i++
				}
			}
		}
	}
}

// next moves the innermost array on to its next element when a value starts.
func (c *checker) next() {
	if n := len(c.stack); n > 0 && c.stack[n-1].array {
		c.stack[n-1].index++
	}
}

// str reads the string whose content starts at i. It returns the index of
// the closing quote (-1 if there is none), the content when it is short and
// needs no unescaping (member names and resourceType; "" otherwise), and
// whether the string is valid UTF-8 text without NUL, escapes decoded.
func (c *checker) str(i int) (end int, s string, ok bool) {
	ok = true
	start, escaped := i, false
	for i < len(c.b) {
		ch := c.b[i]
		switch {
		case ch == '"':
			if !escaped && i-start <= 64 {
				s = string(c.b[start:i])
			}
			return i, s, ok
		case ch == '\\':
			escaped = true
			if i+1 >= len(c.b) {
				return -1, "", false
			}
			if c.b[i+1] != 'u' {
				i += 2
				continue
			}
			r, n := c.escape(i)
			if n == 0 {
				return -1, "", false
			}
			if r == 0 || r == utf8.RuneError {
				ok = false
			}
			i += n
		case ch == 0:
			ok = false
			i++
		case ch < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(c.b[i:])
			if r == utf8.RuneError && n <= 1 {
				ok = false
			}
			i += n
		}
	}
	return -1, "", false
}

// escape decodes the \uXXXX escape at i (a surrogate pair as one rune) and
// returns the rune, utf8.RuneError for a lone surrogate, and the bytes it
// spans (0 when truncated or malformed: the parser reports it).
func (c *checker) escape(i int) (rune, int) {
	hex := func(at int) (rune, bool) {
		if at+6 > len(c.b) || c.b[at] != '\\' || c.b[at+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(c.b[at+2:at+6]), 16, 16)
		return rune(v), err == nil
	}
	r, ok := hex(i)
	if !ok {
		return 0, 0
	}
	if r < 0xD800 || r > 0xDFFF {
		return r, 6
	}
	if r >= 0xDC00 {
		return utf8.RuneError, 6 // a low surrogate alone
	}
	lo, ok := hex(i + 6)
	if !ok || lo < 0xDC00 || lo > 0xDFFF {
		return utf8.RuneError, 6 // a high surrogate alone
	}
	return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12
}

// path renders the checker's position as a FHIR element path below the
// resource type ("name[0].family").
func (c *checker) path() string {
	var sb strings.Builder
	for _, l := range c.stack {
		if l.array {
			if l.index >= 0 {
				sb.WriteString("[" + strconv.Itoa(l.index) + "]")
			}
			continue
		}
		if l.key != "" {
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(l.key)
		}
	}
	return sb.String()
}
