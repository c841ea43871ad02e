package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"google.golang.org/protobuf/proto"
)

// inBundle is a Bundle a client posts.
type inBundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
		Request  struct {
			Method      string `json:"method"`
			URL         string `json:"url"`
			IfNoneExist string `json:"ifNoneExist"`
			IfMatch     string `json:"ifMatch"`
		} `json:"request"`
	} `json:"entry"`
}

// entryError is the failure of one entry of a transaction: the transaction
// fails with it, naming the entry.
type entryError struct {
	index int
	typ   string
	err   error
}

func (e *entryError) Error() string { return fmt.Sprintf("entry %d: %v", e.index, e.err) }

func (e *entryError) Unwrap() error { return e.err }

// bundle serves POST of a batch or transaction Bundle.
func (h *Handler) bundle(rq *request) error {
	raw, err := body(rq)
	if err != nil {
		return err
	}
	var in inBundle
	if err := json.Unmarshal(raw, &in); err != nil || in.ResourceType != "Bundle" {
		return &httpError{status: http.StatusBadRequest, code: "structure", msg: "not a Bundle", cause: ehrkit.ErrInvalid}
	}
	for i, e := range in.Entry {
		if e.Request.Method == "" || e.Request.URL == "" {
			return &httpError{status: http.StatusBadRequest, code: "required", msg: "entry without request", expr: []string{fmt.Sprintf("Bundle.entry[%d].request", i)}}
		}
	}
	switch in.Type {
	case "batch":
		return h.batch(rq, in)
	case "transaction":
		return h.transaction(rq, in)
	}
	return &httpError{status: http.StatusBadRequest, code: "value", msg: "Bundle.type must be batch or transaction", expr: []string{"Bundle.type"}}
}

// batch runs each entry as a request of its own.
func (h *Handler) batch(rq *request, in inBundle) error {
	out := bundle{ResourceType: "Bundle", Type: "batch-response"}
	for _, e := range in.Entry {
		out.Entry = append(out.Entry, h.subrequest(rq, e.Request.Method, e.Request.URL, e.Resource, e.Request.IfNoneExist, e.Request.IfMatch))
	}
	writeJSON(rq.w, http.StatusOK, ContentType, out)
	return nil
}

// subrequest serves one entry as a request of the caller's principal and
// scopes, and returns its response entry.
func (h *Handler) subrequest(rq *request, method, target string, resource []byte, ifNoneExist, ifMatch string) bundleEntry {
	u, err := url.Parse(target)
	if err != nil {
		u = &url.URL{Path: "/"}
	}
	sub := httptest.NewRequestWithContext(rq.Context(), method, "/"+strings.TrimPrefix(u.Path, "/")+"?"+u.RawQuery, bytes.NewReader(resource))
	if ifNoneExist != "" {
		sub.Header.Set("If-None-Exist", ifNoneExist)
	}
	if ifMatch != "" {
		sub.Header.Set("If-Match", ifMatch)
	}
	rec := httptest.NewRecorder()
	srq := &request{Request: sub, w: rec, base: rq.base, scopes: rq.scopes}
	segs := strings.FieldsFunc(sub.URL.Path, func(c rune) bool { return c == '/' })
	if err := h.route(srq, segs); err != nil {
		h.fail(srq, err)
	}
	res := rec.Result()
	e := bundleEntry{Response: &entryResponse{Status: strconv.Itoa(res.StatusCode) + " " + http.StatusText(res.StatusCode),
		Location: res.Header.Get("Location"), Etag: res.Header.Get("ETag")}}
	if lm, err := http.ParseTime(res.Header.Get("Last-Modified")); err == nil {
		e.Response.LastModified = lm.UTC().Format(time.RFC3339)
	}
	b := rec.Body.Bytes()
	if res.StatusCode >= 400 {
		e.Response.Outcome = b
	} else if len(b) > 0 {
		e.Resource = b
	}
	return e
}

// txEntry is one write of a transaction.
type txEntry struct {
	index   int
	method  string
	typ     string
	id      string // PUT Type/id, or the id given to a POST
	cond    *searchSpec
	raw     []byte
	res     proto.Message // raw as the codec parsed it
	expect  int64
	fullURL string
	out     saved
	// original: a resource of a type ehrkit does not model, kept as sent
	original bool
}

// txDelete is a DELETE Type/id entry of a transaction.
type txDelete struct {
	index   int
	typ, id string
	del     deleter
}

// transaction runs the writes of a Bundle in one storage.Update: all commit
// or none does. urn:uuid: full URLs become the ids given to the created
// resources, and every reference to them is rewritten; a conditional
// reference (Type?query) must match exactly one resource, else the
// transaction fails with an OperationOutcome naming the entry. DELETE
// Type/id entries run first (R4 http §3.1.0.11.2 processing order) through
// the owning services; GET entries are served after the commit.
func (h *Handler) transaction(rq *request, in inBundle) error {
	ctx := rq.Context()
	var writes []*txEntry
	var deletes []txDelete
	var reads []int
	for i, e := range in.Entry {
		method := strings.ToUpper(e.Request.Method)
		u, err := url.Parse(e.Request.URL)
		if err != nil {
			return &entryError{i, "", &httpError{status: http.StatusBadRequest, code: "value", msg: "malformed request url", expr: []string{"request.url"}}}
		}
		segs := strings.FieldsFunc(u.Path, func(c rune) bool { return c == '/' })
		if method == http.MethodGet || method == http.MethodHead {
			reads = append(reads, i)
			continue
		}
		if len(segs) == 0 {
			return &entryError{i, "", errMethod}
		}
		typ := segs[0]
		w := &txEntry{index: i, method: method, typ: typ, raw: e.Resource, fullURL: e.FullURL}
		_, mapped := registry[typ]
		switch {
		case !mapped && (method != http.MethodPost || len(segs) != 1 || e.Request.IfNoneExist != ""):
			return &entryError{i, typ, &httpError{status: http.StatusNotFound, code: "not-supported", msg: "resource type not supported"}}
		case !mapped:
			// kept as sent beside the records of its patient (OriginalType)
			w.id, w.original = h.ids.NewID(), true
			err = rq.scopes.allow(typ, 'c')
		case method == http.MethodPost && len(segs) == 1:
			w.id = h.ids.NewID()
			if e.Request.IfNoneExist != "" {
				if w.cond, err = h.condition(ctx, typ, e.Request.IfNoneExist); err != nil {
					return &entryError{i, typ, err}
				}
			}
			err = rq.scopes.allow(typ, 'c')
		case method == http.MethodPut && len(segs) == 2:
			w.id = segs[1]
			if e.Request.IfMatch != "" {
				v, ok := parseETag(e.Request.IfMatch)
				if !ok {
					return &entryError{i, typ, &httpError{status: http.StatusBadRequest, code: "value", msg: "ifMatch is not a version ETag"}}
				}
				w.expect = v
			}
			if err = bodyID(e.Resource, typ, w.id); err == nil {
				err = rq.scopes.allow(typ, 'u')
			}
		case method == http.MethodPut && len(segs) == 1 && u.RawQuery != "":
			if w.cond, err = h.condition(ctx, typ, u.RawQuery); err == nil {
				err = rq.scopes.allow(typ, 'u')
			}
		case method == http.MethodDelete && len(segs) == 2:
			var del deleter
			if del, err = h.deletable(rq, typ); err == nil {
				deletes = append(deletes, txDelete{index: i, typ: typ, id: segs[1], del: del})
				continue
			}
		case method == http.MethodDelete:
			err = errDelete
		default:
			err = errMethod
		}
		if err != nil {
			return &entryError{i, typ, err}
		}
		if w.res, err = h.validate(w.raw, typ); err != nil {
			return &entryError{i, typ, err}
		}
		writes = append(writes, w)
	}
	// Records are checked against the records they name, so patients and
	// organizations are written first, then encounters and the directory,
	// then the rest (as ImportPaths stages files).
	order := slices.Clone(writes)
	slices.SortStableFunc(order, func(a, b *txEntry) int { return stage(a.typ) - stage(b.typ) })
	err := h.commitConditional(ctx, func(tx storage.Tx) error {
		for _, d := range deletes {
			cur, err := tx.Get(ctx, d.typ, d.id)
			if errors.Is(err, ehrkit.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := h.remove(rq, tx, d.del, cur); err != nil {
				return &entryError{d.index, d.typ, err}
			}
		}
		refs := NewRefs()
		for _, w := range writes {
			w.out = saved{}
			if w.cond != nil && w.method == http.MethodPost {
				if err := claim(ctx, tx, w.cond); err != nil {
					return err
				}
				found, err := h.matches(ctx, tx, w.cond, 2)
				if err != nil {
					return err
				}
				switch len(found) {
				case 1:
					w.out = saved{rec: found[0], exists: true}
				case 2:
					return &entryError{w.index, w.typ, precondition("the condition matches several resources")}
				}
			}
			id := w.id
			if w.out.exists {
				id = w.out.rec.ID
			}
			if id != "" {
				refs.Add(w.fullURL, ehrkit.Reference{Type: w.typ, ID: id})
			}
		}
		for _, w := range order {
			if w.out.exists {
				continue
			}
			raw, err := h.resolveConditional(ctx, tx, w.raw)
			if err != nil {
				return &entryError{w.index, w.typ, err}
			}
			if w.original {
				rec := original(w.typ, w.id, compartmentOf(raw, refs), raw)
				if _, err := upsertOriginal(ctx, tx, *rec); err != nil {
					return &entryError{w.index, w.typ, err}
				}
				got, err := tx.Get(ctx, rec.Type, rec.ID)
				if err != nil {
					return err
				}
				got.Type, got.ID = w.typ, w.id
				w.out = saved{rec: got, created: true}
				continue
			}
			if w.cond != nil {
				w.out, err = h.conditionalUpdateIn(ctx, tx, w.typ, raw, w.cond, refs)
			} else {
				var p parsed
				res := w.res
				if !bytes.Equal(raw, w.raw) {
					res = nil // references rewritten: parsed again
				}
				if p, err = h.mapResource(res, raw, w.typ, w.id, refs); err == nil {
					w.out, err = h.save(ctx, tx, p, w.expect)
				}
			}
			if err != nil {
				return &entryError{w.index, w.typ, err}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	out := bundle{ResourceType: "Bundle", Type: "transaction-response", Entry: make([]bundleEntry, len(in.Entry))}
	for _, w := range writes {
		status := "200 OK"
		if w.out.created {
			status = "201 Created"
		}
		rec := w.out.rec
		out.Entry[w.index] = bundleEntry{Response: &entryResponse{Status: status,
			Location: rec.Type + "/" + rec.ID + "/_history/" + strconv.FormatInt(rec.Version, 10),
			Etag:     etag(rec.Version), LastModified: rec.Updated.UTC().Format(time.RFC3339Nano)}}
	}
	for _, d := range deletes {
		out.Entry[d.index] = bundleEntry{Response: &entryResponse{Status: "204 No Content"}}
	}
	for _, i := range reads {
		e := in.Entry[i]
		out.Entry[i] = h.subrequest(rq, e.Request.Method, e.Request.URL, nil, "", "")
	}
	writeJSON(rq.w, http.StatusOK, ContentType, out)
	return nil
}

// validate parses raw as a resource of type typ with the codec (R4) and
// returns the resource message.
func (h *Handler) validate(raw []byte, typ string) (proto.Message, error) {
	c := h.codec()
	cr, err := c.Parse(raw)
	h.release(c)
	if err != nil {
		return nil, &httpError{status: http.StatusBadRequest, code: "structure", msg: "not a valid FHIR R4 resource", issues: splitIssues(err), cause: ehrkit.ErrInvalid}
	}
	got, res := ResourceOf(cr)
	if got != typ {
		return nil, &httpError{status: http.StatusBadRequest, code: "value", msg: "resourceType does not match the URL", expr: []string{"resourceType"}}
	}
	return res, nil
}

// resolveConditional rewrites every conditional reference (Type?query) in
// raw to the one resource it matches.
func (h *Handler) resolveConditional(ctx context.Context, r storage.Reader, raw []byte) ([]byte, error) {
	if !bytes.Contains(raw, []byte("?")) {
		return raw, nil
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	var failed error
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				s, ok := e.(string)
				if !ok || k != "reference" || !strings.Contains(s, "?") || strings.HasPrefix(s, "#") {
					walk(e, path+"."+k)
					continue
				}
				typ, q, _ := strings.Cut(s, "?")
				spec, err := h.condition(ctx, typ, q)
				if err == nil {
					var found []storage.Record
					if found, err = h.matches(ctx, r, spec, 2); err == nil && len(found) != 1 {
						err = &httpError{status: http.StatusPreconditionFailed, code: "not-found",
							msg: fmt.Sprintf("a conditional reference matches %d resources, not one", len(found)), expr: []string{strings.TrimPrefix(path+"."+k, ".")}}
						if len(found) > 1 {
							err.(*httpError).code = "multiple-matches"
						}
					} else if err == nil {
						v[k] = found[0].Type + "/" + found[0].ID
					}
				}
				if err != nil && failed == nil {
					failed = err
				}
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(doc, "")
	if failed != nil {
		return nil, failed
	}
	return json.Marshal(doc)
}

// mapResource maps an already validated resource to its domain value: from
// res, the message the codec parsed from raw, or from raw when res is nil.
func (h *Handler) mapResource(res proto.Message, raw []byte, typ, id string, refs *Refs) (parsed, error) {
	var v Value
	var err error
	if res != nil {
		v, err = registry[typ].ImportResource(res, id, refs)
	} else {
		v, err = registry[typ].Import(raw, id, refs)
	}
	switch {
	case err != nil && h.lenient && v != nil && ehrkit.Waivable(err):
		return parsed{typ: typ, value: v, lenient: true}, nil
	case err != nil:
		return parsed{}, err
	}
	return parsed{typ: typ, value: v}, nil
}

// everything serves Patient/id/$everything: the patient's compartment, type
// by type, paged with _count (no cap on the whole), with _since and _type;
// each page includes the directory resources its records reference.
func (h *Handler) everything(rq *request, id string) error {
	ctx := rq.Context()
	params := rq.URL.Query()
	if err := rq.scopes.allow("Patient", 'r'); err != nil {
		return err
	}
	pat, err := h.store.Get(ctx, "Patient", id)
	if err != nil {
		return err
	}
	if err := rq.scopes.allowRecord(pat, 'r'); err != nil {
		return err
	}
	count := 500
	if s := params.Get("_count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return &httpError{status: http.StatusBadRequest, code: "value", msg: "malformed _count", expr: []string{"_count"}}
		}
		count = min(n, storage.MaxLimit)
	}
	var extra []clause
	if s := params.Get("_since"); s != "" {
		lo, _, ok := dateRange(s)
		if !ok {
			return &httpError{status: http.StatusBadRequest, code: "value", msg: "malformed _since", expr: []string{"_since"}}
		}
		extra = append(extra, clause{special: "_lastUpdated", param: searchParam{kind: kindDate}, values: []searchValue{{prefix: "ge", lo: lo, hi: lo.Add(time.Microsecond)}}})
	}
	types := []string{"Patient"}
	for _, t := range Supported() {
		if t != "Patient" && !registryShared(t) {
			types = append(types, t)
		}
	}
	if s := params.Get("_type"); s != "" {
		want := strings.Split(s, ",")
		types = slices.DeleteFunc(types, func(t string) bool { return !slices.Contains(want, t) })
	}
	var pos everythingPosition
	if c := params.Get("_cursor"); c != "" {
		if pos, err = decodeEverything(c); err != nil {
			return err
		}
	}
	b := bundle{ResourceType: "Bundle", Type: "searchset"}
	b.Link = []bundleLink{{Relation: "self", URL: rq.base + rq.URL.Path + "?" + encodeParams(params, "")}}
	var recs []storage.Record
	for pos.Type < len(types) && len(recs) < count {
		spec := &searchSpec{typ: types[pos.Type], compartment: id, clauses: extra}
		if rq.scopes.narrow(spec) != nil {
			pos = everythingPosition{Type: pos.Type + 1}
			continue
		}
		page, next, err := h.page(ctx, h.store, spec, pos.position, count-len(recs))
		if err != nil {
			return err
		}
		recs = append(recs, page...)
		if next != nil {
			pos.position = *next
		} else {
			pos = everythingPosition{Type: pos.Type + 1}
		}
	}
	if pos.Type < len(types) {
		b.Link = append(b.Link, bundleLink{Relation: "next", URL: rq.base + rq.URL.Path + "?" + encodeParams(params, pos.encode())})
	}
	for _, rec := range recs {
		e, err := h.entry(rq, rec, "match")
		if err != nil {
			return err
		}
		b.Entry = append(b.Entry, e)
	}
	inc, err := h.directoryIncludes(rq, recs)
	if err != nil {
		return err
	}
	b.Entry = append(b.Entry, inc...)
	writeJSON(rq.w, http.StatusOK, ContentType, b)
	return nil
}

// everythingPosition is where a page of $everything starts: the index of
// the type and the position within it.
type everythingPosition struct {
	Type int `json:"t"`
	position
}

func (p everythingPosition) encode() string {
	b, _ := json.Marshal(p)
	return position{Cursor: string(b)}.encode()
}

func decodeEverything(s string) (everythingPosition, error) {
	var p everythingPosition
	outer, err := decodePosition(s)
	if err != nil {
		return p, err
	}
	if json.Unmarshal([]byte(outer.Cursor), &p) != nil || p.Type < 0 {
		return p, &httpError{status: http.StatusBadRequest, code: "value", msg: "malformed _cursor", expr: []string{"_cursor"}}
	}
	return p, nil
}

// directoryIncludes are the directory resources records reference, each
// once, those the principal and token may read.
func (h *Handler) directoryIncludes(rq *request, recs []storage.Record) ([]bundleEntry, error) {
	seen := map[string]bool{}
	var out []bundleEntry
	for _, rec := range recs {
		raw, err := h.render(rec)
		if err != nil {
			return nil, err
		}
		for _, ref := range referencesIn(raw, nil) {
			typ, id, _ := strings.Cut(ref, "/")
			if seen[ref] || !slices.Contains(directoryTypes, typ) {
				continue
			}
			seen[ref] = true
			got, err := h.store.Get(rq.Context(), typ, id)
			if errors.Is(err, ehrkit.ErrNotFound) || errors.Is(err, ehrkit.ErrPermission) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if rq.scopes.allowRecord(got, 'r') != nil {
				continue
			}
			e, err := h.entry(rq, got, "include")
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}
