package fhir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// ConditionType is the record type of the claims that make conditional
// writes unique: one record per resource type and condition (its id a hash
// of them, so it holds no PHI), written by every conditional create and
// update in the transaction of the write. Two requests with one condition
// write the same record, so the store lets one commit and the other, retried,
// finds what the first created.
const ConditionType = "FHIRCondition"

// Groups returns the record-type groups of the REST handler for an access
// policy (access.DefaultPolicy): a condition claim is written beside the
// resource it guards, so it belongs to every class a mapped resource does,
// and to no patient.
func Groups() []access.Group {
	var out []access.Group
	for _, c := range []access.Class{access.ClassDemographic, access.ClassClinical, access.ClassCharting, access.ClassResult,
		access.ClassMedication, access.ClassDiagnosticOrder, access.ClassScheduling, access.ClassDirectory} {
		out = append(out, access.Group{Class: c, Types: []string{ConditionType}, Shared: true})
	}
	return out
}

// claim writes the claim of a condition in tx.
func claim(ctx context.Context, tx storage.Tx, spec *searchSpec) error {
	sum := sha256.Sum256([]byte(spec.key))
	id := "fc-" + hex.EncodeToString(sum[:20])
	var expect int64
	cur, err := tx.Get(ctx, ConditionType, id)
	switch {
	case err == nil:
		expect = cur.Version
	case !errors.Is(err, ehrkit.ErrNotFound):
		return err
	}
	_, err = tx.Put(ctx, storage.Record{Type: ConditionType, ID: id, Value: []byte(`{}`)}, expect)
	return err
}

// history serves instance (typ and id), type (typ) and system history,
// newest first, with _since and _count.
func (h *Handler) history(rq *request, typ, id string) error {
	ctx := rq.Context()
	params := rq.URL.Query()
	var since time.Time
	if s := params.Get("_since"); s != "" {
		lo, _, ok := dateRange(s)
		if !ok {
			return &httpError{status: http.StatusBadRequest, code: "value", msg: "malformed _since", expr: []string{"_since"}}
		}
		since = lo
	}
	count := defaultCount
	if s := params.Get("_count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return &httpError{status: http.StatusBadRequest, code: "value", msg: "malformed _count", expr: []string{"_count"}}
		}
		count = min(n, storage.MaxLimit)
	}
	skip := 0
	if c := params.Get("_cursor"); c != "" {
		p, err := decodePosition(c)
		if err != nil {
			return err
		}
		skip = p.Skip
	}
	if typ != "" {
		if err := rq.scopes.allow(typ, 'r'); err != nil {
			return err
		}
	}
	versions, err := h.versions(ctx, typ, id, since)
	if err != nil {
		return err
	}
	b := bundle{ResourceType: "Bundle", Type: "history"}
	b.Link = []bundleLink{{Relation: "self", URL: rq.base + rq.URL.Path + "?" + encodeParams(params, "")}}
	n := 0
	for i := skip; i < len(versions) && n < count; i++ {
		rec := versions[i]
		if rq.scopes.allowRecord(rec, 'r') != nil {
			skip++
			continue
		}
		e, err := h.historyEntry(rq, rec)
		if err != nil {
			return err
		}
		b.Entry = append(b.Entry, e)
		n++
	}
	if end := skip + n; end < len(versions) {
		b.Link = append(b.Link, bundleLink{Relation: "next", URL: rq.base + rq.URL.Path + "?" + encodeParams(params, position{Skip: end}.encode())})
	}
	total := len(versions)
	b.Total = &total
	writeJSON(rq.w, http.StatusOK, ContentType, b)
	return nil
}

// versions lists the versions of a history, newest first.
func (h *Handler) versions(ctx context.Context, typ, id string, since time.Time) ([]storage.Record, error) {
	var out []storage.Record
	if id != "" {
		hist, err := h.store.History(ctx, typ, id)
		if err != nil {
			return nil, err
		}
		for _, r := range hist {
			if !r.Updated.Before(since) {
				out = append(out, r)
			}
		}
		slices.Reverse(out)
		return out, nil
	}
	type ver struct {
		typ, id string
		v       int64
	}
	var list []ver
	var after int64
	for {
		chs, err := h.store.Changes(ctx, after, storage.MaxChangeRead)
		if err != nil {
			return nil, err
		}
		for _, ch := range chs {
			after = ch.Seq
			if ch.Kind == storage.ChangeEvent || ch.Time.Before(since) {
				continue
			}
			if _, mapped := registry[ch.Type]; !mapped || typ != "" && ch.Type != typ {
				continue
			}
			list = append(list, ver{ch.Type, ch.ID, ch.Version})
		}
		if len(chs) < storage.MaxChangeRead {
			break
		}
	}
	slices.Reverse(list)
	for _, v := range list {
		rec, err := h.store.GetVersion(ctx, v.typ, v.id, v.v)
		if errors.Is(err, ehrkit.ErrPermission) || errors.Is(err, ehrkit.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// historyEntry is the history Bundle entry of one version.
func (h *Handler) historyEntry(rq *request, rec storage.Record) (bundleEntry, error) {
	e := bundleEntry{FullURL: rq.base + "/" + rec.Type + "/" + rec.ID,
		Response: &entryResponse{Etag: etag(rec.Version), LastModified: rec.Updated.UTC().Format(time.RFC3339Nano)}}
	switch {
	case rec.Deleted:
		e.Request = &entryRequest{Method: http.MethodDelete, URL: rec.Type + "/" + rec.ID}
		e.Response.Status = "204"
		return e, nil
	case rec.Version == 1:
		e.Request = &entryRequest{Method: http.MethodPost, URL: rec.Type}
		e.Response.Status = "201"
	default:
		e.Request = &entryRequest{Method: http.MethodPut, URL: rec.Type + "/" + rec.ID}
		e.Response.Status = "200"
	}
	raw, err := h.render(rec)
	e.Resource = raw
	return e, err
}

// conditionKey is the claim key of a condition: the type and its parameters
// in a canonical order.
func conditionKey(typ string, params url.Values) string { return typ + "?" + params.Encode() }
