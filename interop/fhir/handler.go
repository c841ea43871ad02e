package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// ContentType is the media type of FHIR R4 JSON.
const ContentType = "application/fhir+json"

// maxBody is the largest request body the handler reads.
const maxBody = 32 << 20

// writeAttempts is how often a write runs again after losing a version race.
const writeAttempts = 10

// HandlerOption configures a Handler.
type HandlerOption func(*Handler)

// WithTokenVerifier makes the handler require a bearer token on every
// request but the CapabilityStatement and the SMART configuration, and run
// each request as the principal and within the scopes the verifier returns.
// Without one, requests run as the principal already in the request's
// context (put there by the vendor's own middleware) with no scope limits.
func WithTokenVerifier(v TokenVerifier) HandlerOption { return func(h *Handler) { h.verifier = v } }

// WithIDGenerator sets how the handler names the resources it creates
// (default: ehrkit.NewIDs over the real clock).
func WithIDGenerator(ids ehrkit.IDGenerator) HandlerOption { return func(h *Handler) { h.ids = ids } }

// WithSMARTConfiguration sets the document served at
// .well-known/smart-configuration (default: one naming no endpoints).
func WithSMARTConfiguration(c SMARTConfiguration) HandlerOption {
	return func(h *Handler) { h.smart = c }
}

// WithLenientCodes makes the handler store resources whose only problems are
// terminology problems (an unknown code, an NPI failing its check digit) as
// the client sent them, labelled ehrkit.LabelUnverifiedCode, as the
// Importer's Lenient does. Without it such resources are refused with 422.
func WithLenientCodes() HandlerOption { return func(h *Handler) { h.lenient = true } }

// Handler serves FHIR R4 REST over a store and the domain services built over
// it. See NewHandler.
type Handler struct {
	store    storage.Store
	services *Services
	verifier TokenVerifier
	ids      ehrkit.IDGenerator
	smart    SMARTConfiguration
	lenient  bool
	codecs   sync.Pool
}

// NewHandler returns an http.Handler serving the FHIR R4 REST API over store:
// capabilities, read, vread, create, update, delete, search, history,
// batch and transaction Bundles and Patient/$everything for the resource
// types ehrkit maps (Supported). Every write goes through the domain
// services (services, built over store; nil builds NewServices(store)), in
// a storage.Update of store. Give it a store guarded by access.Guard: every
// request then runs as its principal, is checked and is audited by the
// guard. Mount it under a prefix with http.StripPrefix; links it writes
// carry the prefix.
func NewHandler(store storage.Store, services *Services, opts ...HandlerOption) (*Handler, error) {
	if services == nil {
		var err error
		if services, err = NewServices(store); err != nil {
			return nil, err
		}
	}
	if _, err := NewCodec(); err != nil {
		return nil, err
	}
	h := &Handler{store: store, services: services, ids: ehrkit.NewIDs(nil)}
	h.codecs.New = func() any {
		c, _ := NewCodec() // checked above: it cannot fail once it has succeeded
		return c
	}
	for _, o := range opts {
		o(h)
	}
	return h, nil
}

// request is one request being served.
type request struct {
	*http.Request
	w      http.ResponseWriter
	base   string // absolute URL of the handler's root, without a trailing "/"
	scopes *Scopes
}

// ServeHTTP routes a FHIR request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := &request{Request: r, w: w, base: baseURL(r)}
	segs := strings.FieldsFunc(r.URL.Path, func(c rune) bool { return c == '/' })
	if len(segs) == 1 && segs[0] == "metadata" && r.Method == http.MethodGet {
		h.capabilities(rq)
		return
	}
	if len(segs) == 2 && segs[0] == ".well-known" && segs[1] == "smart-configuration" && r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, "application/json", h.smart)
		return
	}
	ctx, scopes, err := h.authenticate(r)
	if err != nil {
		h.fail(rq, err)
		return
	}
	rq.Request, rq.scopes = r.WithContext(ctx), scopes
	if err := h.route(rq, segs); err != nil {
		h.fail(rq, err)
	}
}

func (h *Handler) route(rq *request, segs []string) error {
	m := rq.Method
	switch {
	case len(segs) == 0 && m == http.MethodPost:
		return h.bundle(rq)
	case len(segs) == 1 && segs[0] == "_history" && m == http.MethodGet:
		return h.history(rq, "", "")
	}
	if len(segs) == 0 {
		return errMethod
	}
	typ := segs[0]
	if _, ok := registry[typ]; !ok {
		return &httpError{status: http.StatusNotFound, code: "not-supported", msg: "resource type not supported"}
	}
	switch {
	case len(segs) == 1 && m == http.MethodGet:
		return h.search(rq, typ, "")
	case len(segs) == 1 && m == http.MethodPost:
		return h.create(rq, typ)
	case len(segs) == 1 && m == http.MethodPut:
		return h.conditionalUpdate(rq, typ)
	case len(segs) == 1 && m == http.MethodDelete:
		return h.conditionalDelete(rq, typ)
	case len(segs) == 2 && segs[1] == "_search" && m == http.MethodPost:
		return h.search(rq, typ, "")
	case len(segs) == 2 && segs[1] == "_history" && m == http.MethodGet:
		return h.history(rq, typ, "")
	case len(segs) == 2 && m == http.MethodGet:
		return h.read(rq, typ, segs[1])
	case len(segs) == 2 && m == http.MethodPut:
		return h.update(rq, typ, segs[1])
	case len(segs) == 2 && m == http.MethodDelete:
		return h.delete(rq, typ, segs[1])
	case len(segs) == 3 && typ == "Patient" && segs[2] == "$everything" && m == http.MethodGet:
		return h.everything(rq, segs[1])
	case len(segs) == 3 && segs[2] == "_history" && m == http.MethodGet:
		return h.history(rq, typ, segs[1])
	case len(segs) == 3 && typ == "Patient" && m == http.MethodGet:
		if _, ok := registry[segs[2]]; !ok {
			return &httpError{status: http.StatusNotFound, code: "not-supported", msg: "resource type not supported"}
		}
		return h.search(rq, segs[2], segs[1])
	case len(segs) == 4 && segs[2] == "_history" && m == http.MethodGet:
		v, err := strconv.ParseInt(segs[3], 10, 64)
		if err != nil || v < 1 {
			return &httpError{status: http.StatusNotFound, code: "not-found", msg: "no such version"}
		}
		return h.vread(rq, typ, segs[1], v)
	}
	return errMethod
}

var errMethod = &httpError{status: http.StatusMethodNotAllowed, code: "not-supported", msg: "interaction not supported"}

// baseURL is the absolute URL the handler is mounted at: the request's
// scheme and host and the part of the request URI a StripPrefix removed.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	path := r.URL.EscapedPath()
	full := r.RequestURI
	if i := strings.IndexByte(full, '?'); i >= 0 {
		full = full[:i]
	}
	prefix := strings.TrimSuffix(full, path)
	return scheme + "://" + r.Host + strings.TrimSuffix(prefix, "/")
}

// codec borrows a Codec; give it back with release.
func (h *Handler) codec() *Codec { return h.codecs.Get().(*Codec) }

func (h *Handler) release(c *Codec) { h.codecs.Put(c) }

// render is the FHIR JSON of a stored record with its meta (versionId,
// lastUpdated) set.
func (h *Handler) render(rec storage.Record) (json.RawMessage, error) {
	m, ok := registry[rec.Type].(messageExporter)
	if !ok {
		return nil, &httpError{status: http.StatusNotFound, code: "not-supported", msg: "resource type not supported"}
	}
	res, err := m.message(rec)
	if err != nil {
		return nil, err
	}
	setMeta(res, rec)
	return renderResource(res)
}

// writeResource writes a record as the response, with its ETag and
// Last-Modified.
func (h *Handler) writeResource(rq *request, status int, rec storage.Record) error {
	raw, err := h.render(rec)
	if err != nil {
		return err
	}
	setVersionHeaders(rq.w, rec)
	rq.w.Header().Set("Content-Type", ContentType)
	rq.w.WriteHeader(status)
	_, err = rq.w.Write(raw)
	return err
}

func setVersionHeaders(w http.ResponseWriter, rec storage.Record) {
	w.Header().Set("ETag", etag(rec.Version))
	w.Header().Set("Last-Modified", rec.Updated.UTC().Format(http.TimeFormat))
}

func etag(v int64) string { return `W/"` + strconv.FormatInt(v, 10) + `"` }

// parseETag reads W/"n" (or "n", or n) as a version.
func parseETag(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	s = strings.Trim(s, `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"exception"}]}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// read serves GET Type/id.
func (h *Handler) read(rq *request, typ, id string) error {
	if err := rq.scopes.allow(typ, 'r'); err != nil {
		return err
	}
	rec, err := h.store.Get(rq.Context(), typ, id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		return h.gone(rq.Context(), typ, id, err)
	}
	if err != nil {
		return err
	}
	if err := rq.scopes.allowRecord(rec, 'r'); err != nil {
		return err
	}
	if notModified(rq.Request, rec) {
		setVersionHeaders(rq.w, rec)
		rq.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return h.writeResource(rq, http.StatusOK, rec)
}

// gone turns a not-found read into 410 when the record was deleted.
func (h *Handler) gone(ctx context.Context, typ, id string, err error) error {
	hist, herr := h.store.History(ctx, typ, id)
	if herr == nil && len(hist) > 0 && hist[len(hist)-1].Deleted {
		return &httpError{status: http.StatusGone, code: "deleted", msg: "resource deleted", cause: err}
	}
	return err
}

// notModified reports whether the request's If-None-Match or
// If-Modified-Since says the client holds rec already.
func notModified(r *http.Request, rec storage.Record) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			if v, ok := parseETag(t); ok && v == rec.Version || strings.TrimSpace(t) == "*" {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		t, err := http.ParseTime(ims)
		return err == nil && !rec.Updated.Truncate(time.Second).After(t)
	}
	return false
}

// vread serves GET Type/id/_history/n.
func (h *Handler) vread(rq *request, typ, id string, version int64) error {
	if err := rq.scopes.allow(typ, 'r'); err != nil {
		return err
	}
	rec, err := h.store.GetVersion(rq.Context(), typ, id, version)
	if err != nil {
		return err
	}
	if err := rq.scopes.allowRecord(rec, 'r'); err != nil {
		return err
	}
	if rec.Deleted {
		return &httpError{status: http.StatusGone, code: "deleted", msg: "version is a deletion"}
	}
	return h.writeResource(rq, http.StatusOK, rec)
}

// body reads the request body.
func body(rq *request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(rq.w, rq.Body, maxBody))
	if err != nil {
		return nil, &httpError{status: http.StatusRequestEntityTooLarge, code: "too-long", msg: "request body too large", cause: err}
	}
	return b, nil
}

// parsed is a resource of a request body, parsed, validated and mapped.
type parsed struct {
	typ     string
	value   Value
	lenient bool // stored as sent despite terminology problems (WithLenientCodes)
}

// parse validates raw as a resource of type typ (R4, by the codec) and maps
// it to its domain value with record id id (the resource's own id when id
// is ""). refs resolves its references.
func (h *Handler) parse(raw []byte, typ, id string, refs *Refs) (parsed, error) {
	c := h.codec()
	cr, err := c.Parse(raw)
	h.release(c)
	if err != nil {
		return parsed{}, &httpError{status: http.StatusBadRequest, code: "structure", msg: "not a valid FHIR R4 resource", issues: splitIssues(err), cause: ehrkit.ErrInvalid}
	}
	got, res := ResourceOf(cr)
	if got != typ {
		return parsed{}, &httpError{status: http.StatusBadRequest, code: "value", msg: "resourceType does not match the URL", expr: []string{"resourceType"}}
	}
	if id == "" {
		id = resourceID(res)
	}
	if !ValidID(id) {
		return parsed{}, &httpError{status: http.StatusBadRequest, code: "value", msg: "missing or malformed id", expr: []string{typ + ".id"}}
	}
	return h.mapResource(res, raw, typ, id, refs)
}

// precondition is a failed HTTP precondition (If-Match, several conditional
// matches): 412.
func precondition(msg string) error {
	return &httpError{status: http.StatusPreconditionFailed, code: "conflict", msg: msg}
}

// saved is the result of a write.
type saved struct {
	rec     storage.Record
	created bool
	exists  bool // a conditional create found the resource
}

// save writes p through its domain service in tx. expect is the version an
// If-Match names (0 for none).
func (h *Handler) save(ctx context.Context, tx storage.Tx, p parsed, expect int64) (saved, error) {
	id := p.value.ID()
	cur, err := tx.Get(ctx, p.typ, id)
	exists := err == nil
	if err != nil && !errors.Is(err, ehrkit.ErrNotFound) {
		return saved{}, err
	}
	if expect > 0 && (!exists || cur.Version != expect) {
		return saved{}, precondition("the resource is not at the version If-Match names")
	}
	if err := scopesFrom(ctx).allowWrite(p.typ, p.value.Compartment(), exists); err != nil {
		return saved{}, err
	}
	sctx := ctx
	if p.lenient {
		sctx = ehrkit.Lenient(ctx)
	}
	if _, err := p.value.save(sctx, tx, h.services); err != nil {
		return saved{}, err
	}
	typ := p.typ
	if r, ok := p.value.(recordedOn); ok {
		typ, id = r.recordedOn()
	}
	rec, err := tx.Get(ctx, typ, id)
	if err != nil {
		return saved{}, err
	}
	return saved{rec: rec, created: !exists}, nil
}

// commit runs fn in a transaction of the store, again after a lost version
// race.
func (h *Handler) commit(ctx context.Context, fn func(tx storage.Tx) error) error {
	return ehrkit.Retry(ctx, writeAttempts, func() error { return h.store.Update(ctx, fn) })
}

// commitConditional is commit for a write guarded by a condition claim. A
// transaction that lost the claim to another may learn of it only as a
// domain refusal (an identifier claimed by the winner's resource, read once
// the winner committed) rather than as a conflict: it runs once more, and
// then finds the winner's resource.
func (h *Handler) commitConditional(ctx context.Context, fn func(tx storage.Tx) error) error {
	err := h.commit(ctx, fn)
	var he *httpError
	if err != nil && !errors.As(err, &he) && (errors.Is(err, ehrkit.ErrInvalid) || errors.Is(err, ehrkit.ErrFailedPrecondition)) {
		err = h.commit(ctx, fn)
	}
	return err
}

// create serves POST Type, conditional with If-None-Exist.
func (h *Handler) create(rq *request, typ string) error {
	if err := rq.scopes.allow(typ, 'c'); err != nil {
		return err
	}
	raw, err := body(rq)
	if err != nil {
		return err
	}
	p, err := h.parse(raw, typ, h.ids.NewID(), NewRefs())
	if err != nil {
		return err
	}
	var cond *searchSpec
	if q := rq.Header.Get("If-None-Exist"); q != "" {
		if cond, err = h.condition(rq.Context(), typ, q); err != nil {
			return err
		}
	}
	var out saved
	write := h.commit
	if cond != nil {
		write = h.commitConditional
	}
	err = write(rq.Context(), func(tx storage.Tx) error {
		var err error
		out, err = h.createIn(rq.Context(), tx, p, cond)
		return err
	})
	if err != nil {
		return err
	}
	return h.respondSaved(rq, out)
}

// createIn creates p in tx; with cond, only when nothing matches it (the
// match found is returned instead, several fail with 412). The condition is
// claimed first (see claim), so concurrent conditional creates of one
// condition serialize and exactly one creates.
func (h *Handler) createIn(ctx context.Context, tx storage.Tx, p parsed, cond *searchSpec) (saved, error) {
	if cond != nil {
		if err := claim(ctx, tx, cond); err != nil {
			return saved{}, err
		}
		found, err := h.matches(ctx, tx, cond, 2)
		if err != nil {
			return saved{}, err
		}
		switch len(found) {
		case 1:
			return saved{rec: found[0], exists: true}, nil
		case 2:
			return saved{}, precondition("the condition matches several resources")
		}
	}
	return h.save(ctx, tx, p, 0)
}

func (h *Handler) respondSaved(rq *request, out saved) error {
	status := http.StatusOK
	if out.created {
		status = http.StatusCreated
		rq.w.Header().Set("Location", rq.base+"/"+out.rec.Type+"/"+out.rec.ID+"/_history/"+strconv.FormatInt(out.rec.Version, 10))
	}
	return h.writeResource(rq, status, out.rec)
}

// update serves PUT Type/id, versioned with If-Match.
func (h *Handler) update(rq *request, typ, id string) error {
	if err := rq.scopes.allow(typ, 'u'); err != nil {
		return err
	}
	var expect int64
	if im := rq.Header.Get("If-Match"); im != "" {
		v, ok := parseETag(im)
		if !ok {
			return &httpError{status: http.StatusBadRequest, code: "value", msg: "If-Match is not a version ETag"}
		}
		expect = v
	}
	raw, err := body(rq)
	if err != nil {
		return err
	}
	if err := bodyID(raw, typ, id); err != nil {
		return err
	}
	p, err := h.parse(raw, typ, id, NewRefs())
	if err != nil {
		return err
	}
	var out saved
	err = h.commit(rq.Context(), func(tx storage.Tx) error {
		var err error
		out, err = h.save(rq.Context(), tx, p, expect)
		return err
	})
	if err != nil {
		return err
	}
	return h.respondSaved(rq, out)
}

// bodyID checks that an update's resource carries the id of its URL.
func bodyID(raw []byte, typ, id string) error {
	var head struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &head)
	if head.ID != id {
		return &httpError{status: http.StatusBadRequest, code: "value", msg: "the resource id does not match the URL", expr: []string{typ + ".id"}}
	}
	return nil
}

// conditionalUpdate serves PUT Type?query: the one match is updated, none
// creates, several fail with 412.
func (h *Handler) conditionalUpdate(rq *request, typ string) error {
	if err := rq.scopes.allow(typ, 'u'); err != nil {
		return err
	}
	cond, err := h.condition(rq.Context(), typ, rq.URL.RawQuery)
	if err != nil {
		return err
	}
	raw, err := body(rq)
	if err != nil {
		return err
	}
	var out saved
	err = h.commitConditional(rq.Context(), func(tx storage.Tx) error {
		var err error
		out, err = h.conditionalUpdateIn(rq.Context(), tx, typ, raw, cond, NewRefs())
		return err
	})
	if err != nil {
		return err
	}
	return h.respondSaved(rq, out)
}

func (h *Handler) conditionalUpdateIn(ctx context.Context, tx storage.Tx, typ string, raw []byte, cond *searchSpec, refs *Refs) (saved, error) {
	if err := claim(ctx, tx, cond); err != nil {
		return saved{}, err
	}
	found, err := h.matches(ctx, tx, cond, 2)
	if err != nil {
		return saved{}, err
	}
	var id string
	switch len(found) {
	case 0:
		var head struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &head)
		id = head.ID
		if id == "" {
			id = h.ids.NewID()
		}
	case 1:
		id = found[0].ID
		if err := bodyIDOptional(raw, typ, id); err != nil {
			return saved{}, err
		}
	default:
		return saved{}, precondition("the condition matches several resources")
	}
	p, err := h.parse(raw, typ, id, refs)
	if err != nil {
		return saved{}, err
	}
	return h.save(ctx, tx, p, 0)
}

// bodyIDOptional checks that a conditional update's resource carries no id
// or the id of the match.
func bodyIDOptional(raw []byte, typ, id string) error {
	var head struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &head)
	if head.ID != "" && head.ID != id {
		return &httpError{status: http.StatusBadRequest, code: "value", msg: "the resource id is not the id of the match", expr: []string{typ + ".id"}}
	}
	return nil
}

// delete serves DELETE Type/id: the record is deleted through its owning
// service (a tombstone) and 204 answers, also when it was deleted already or
// never existed (R4 http §3.1.0.7.1).
func (h *Handler) delete(rq *request, typ, id string) error {
	del, err := h.deletable(rq, typ)
	if err != nil {
		return err
	}
	err = h.commit(rq.Context(), func(tx storage.Tx) error {
		cur, err := tx.Get(rq.Context(), typ, id)
		if errors.Is(err, ehrkit.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return h.remove(rq, tx, del, cur)
	})
	if err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// conditionalDelete serves DELETE Type?query in single mode: no match
// answers 204, one match is deleted (204), several fail with 412.
func (h *Handler) conditionalDelete(rq *request, typ string) error {
	del, err := h.deletable(rq, typ)
	if err != nil {
		return err
	}
	cond, err := h.condition(rq.Context(), typ, rq.URL.RawQuery)
	if err != nil {
		return err
	}
	err = h.commit(rq.Context(), func(tx storage.Tx) error {
		found, err := h.matches(rq.Context(), tx, cond, 2)
		switch {
		case err != nil:
			return err
		case len(found) > 1:
			return precondition("the condition matches several resources")
		case len(found) == 1:
			return h.remove(rq, tx, del, found[0])
		}
		return nil
	})
	if err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// deletable checks the request's scopes for deletions of typ and returns
// the delete entry point of its owning package.
func (h *Handler) deletable(rq *request, typ string) (deleter, error) {
	if err := rq.scopes.allow(typ, 'd'); err != nil {
		return nil, err
	}
	del, ok := deleterOf(typ)
	if !ok {
		return nil, errDelete
	}
	return del, nil
}

// remove deletes cur in tx when the scopes reach it.
func (h *Handler) remove(rq *request, tx storage.Tx, del deleter, cur storage.Record) error {
	if err := rq.scopes.allowRecord(cur, 'd'); err != nil {
		return err
	}
	_, err := del(rq.Context(), tx, h.services, cur.ID)
	return err
}

// errDelete answers a delete of a type whose owning package offers none:
// orders, appointments and schedules are held by the medication and day
// ledgers, reports by their results, directory entries by the records that
// name them; they are marked (entered-in-error, cancelled, inactive)
// instead.
var errDelete = &httpError{status: http.StatusMethodNotAllowed, code: "not-supported",
	msg: "delete is not offered for this type: update the resource's status (entered-in-error, cancelled, inactive) instead"}

// methods lists the interactions offered per resource type in the
// CapabilityStatement.
var interactions = []string{"read", "vread", "update", "create", "search-type", "history-instance", "history-type"}

// capabilities serves GET metadata: a CapabilityStatement generated from the
// registered mappings and their search parameters.
func (h *Handler) capabilities(rq *request) {
	type param struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	type code struct {
		Code string `json:"code"`
	}
	type op struct {
		Name       string `json:"name"`
		Definition string `json:"definition"`
	}
	type resource struct {
		Type              string   `json:"type"`
		Interaction       []code   `json:"interaction"`
		Versioning        string   `json:"versioning"`
		ReadHistory       bool     `json:"readHistory"`
		UpdateCreate      bool     `json:"updateCreate"`
		ConditionalCreate bool     `json:"conditionalCreate"`
		ConditionalUpdate bool     `json:"conditionalUpdate"`
		ConditionalDelete string   `json:"conditionalDelete,omitempty"`
		SearchInclude     []string `json:"searchInclude,omitempty"`
		SearchRevInclude  []string `json:"searchRevInclude,omitempty"`
		SearchParam       []param  `json:"searchParam"`
		Operation         []op     `json:"operation,omitempty"`
	}
	var rs []resource
	for _, t := range Supported() {
		r := resource{Type: t, Versioning: "versioned-update", ReadHistory: true, UpdateCreate: true, ConditionalCreate: true, ConditionalUpdate: true}
		for _, i := range interactions {
			r.Interaction = append(r.Interaction, code{i})
		}
		if _, ok := deleterOf(t); ok {
			r.Interaction = append(r.Interaction, code{"delete"})
			r.ConditionalDelete = "single"
		}
		for _, p := range paramsOf(t) {
			r.SearchParam = append(r.SearchParam, param{Name: p.name, Type: p.kind.fhirType()})
			if p.kind == kindReference {
				r.SearchInclude = append(r.SearchInclude, t+":"+p.name)
			}
		}
		for _, other := range Supported() {
			for _, p := range paramsOf(other) {
				if p.kind == kindReference && slices.Contains(p.targets, t) {
					r.SearchRevInclude = append(r.SearchRevInclude, other+":"+p.name)
				}
			}
		}
		if t == "Patient" {
			r.Operation = []op{{Name: "everything", Definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything"}}
		}
		rs = append(rs, r)
	}
	doc := map[string]any{
		"resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
		"date":        time.Now().UTC().Format("2006-01-02"),
		"fhirVersion": "4.0.1", "format": []string{"json"},
		"software":       map[string]string{"name": "ehrkit"},
		"implementation": map[string]string{"description": "ehrkit FHIR R4 facade", "url": rq.base},
		"rest": []map[string]any{{
			"mode":        "server",
			"resource":    rs,
			"interaction": []code{{"transaction"}, {"batch"}, {"history-system"}},
			"security":    h.securityComponent(),
		}},
	}
	writeJSON(rq.w, http.StatusOK, ContentType, doc)
}

// authenticate finds the principal and scopes of a request.
func (h *Handler) authenticate(r *http.Request) (context.Context, *Scopes, error) {
	ctx := r.Context()
	if h.verifier == nil {
		if _, ok := access.PrincipalFrom(ctx); !ok {
			return nil, nil, &httpError{status: http.StatusUnauthorized, code: "login", msg: "no principal", cause: ehrkit.ErrUnauthenticated}
		}
		return ctx, nil, nil
	}
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || token == "" {
		return nil, nil, &httpError{status: http.StatusUnauthorized, code: "login", msg: "bearer token required", cause: ehrkit.ErrUnauthenticated}
	}
	a, err := h.verifier.Verify(ctx, token)
	if err != nil {
		return nil, nil, &httpError{status: http.StatusUnauthorized, code: "login", msg: "token not accepted", cause: errors.Join(ehrkit.ErrUnauthenticated, err)}
	}
	scopes, err := ParseScopes(a.Scopes)
	if err != nil {
		return nil, nil, &httpError{status: http.StatusUnauthorized, code: "login", msg: "token scopes malformed", cause: errors.Join(ehrkit.ErrUnauthenticated, err)}
	}
	scopes.Patient = a.Patient
	ctx = access.WithPrincipal(ctx, a.Principal)
	return withScopes(ctx, scopes), scopes, nil
}
