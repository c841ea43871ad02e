package fhir

import (
	"errors"
	"io"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Refs resolves the references of one source (a Bundle or an NDJSON file) to
// ehrkit references. Records keep their FHIR logical id as their ehrkit id, so
// "Patient/123" resolves to itself and re-importing a source never creates
// duplicates; a Bundle's "urn:uuid:..." full URLs resolve to the resource they
// name, including resources that appear later in the Bundle.
type Refs struct {
	byURL map[string]ehrkit.Reference
}

// NewRefs returns a resolver that knows no full URLs yet.
func NewRefs() *Refs { return &Refs{byURL: map[string]ehrkit.Reference{}} }

// Add records that fullURL names the resource typ/id.
func (r *Refs) Add(fullURL string, ref ehrkit.Reference) {
	if fullURL != "" {
		r.byURL[fullURL] = ref
	}
}

// Resolve turns a FHIR reference string into an ehrkit reference: a known full
// URL, "Type/id", "Type/id/_history/n" or an absolute URL ending in "Type/id".
// Contained ("#id") and conditional ("Type?query") references do not resolve.
func (r *Refs) Resolve(ref string) (ehrkit.Reference, bool) {
	if out, ok := r.byURL[ref]; ok {
		return out, true
	}
	if strings.HasPrefix(ref, "#") || strings.Contains(ref, "?") || strings.HasPrefix(ref, "urn:") {
		return ehrkit.Reference{}, false
	}
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	parts := strings.Split(ref, "/")
	if len(parts) < 2 {
		return ehrkit.Reference{}, false
	}
	typ, id := parts[len(parts)-2], parts[len(parts)-1]
	if !storage.ValidType(typ) || !ValidID(id) {
		return ehrkit.Reference{}, false
	}
	return ehrkit.Reference{Type: typ, ID: id}, true
}

// ValidID reports whether id is a FHIR logical id: 1 to 64 characters from
// letters, digits, "-" and ".".
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// identify finds the type and the ehrkit id of an entry without parsing it
// fully: the resource's own id, else the UUID of a "urn:uuid:" full URL.
func identify(e Entry) (typ, id string) {
	typ, id = resourceHead(e.JSON, true)
	if id == "" {
		id = strings.TrimPrefix(strings.TrimPrefix(e.FullURL, "urn:uuid:"), "urn:oid:")
	}
	return typ, id
}

// errHeadDone stops resourceHead's scan once it has what it looks for.
var errHeadDone = errors.New("fhir: resource head read")

// resourceHead reads the resourceType and (withID) id members of a JSON
// object, stopping as soon as it has them (writers put them first), so that
// finding them costs little beside the parse. It returns "" for what it
// cannot find.
func resourceHead(b []byte, withID bool) (typ, id string) {
	s := &splitter{buf: b, mark: -1, rerr: io.EOF, index: -1}
	if c, ok := s.peek(); !ok || c != '{' {
		return "", ""
	}
	s.pos++
	s.members(true, func(name string) error {
		var dst *string
		switch name {
		case "resourceType":
			dst = &typ
		case "id":
			dst = &id
		}
		if dst == nil || s.kind() != "string" {
			return s.skip()
		}
		v, err := s.str()
		if err != nil {
			return err
		}
		*dst = v
		if typ != "" && (!withID || id != "") {
			return errHeadDone
		}
		return nil
	})
	return typ, id
}
