package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Exporter writes records of a store as FHIR R4 JSON.
type Exporter struct {
	store storage.Store
}

// NewExporter returns an exporter reading from store; a nil store is
// refused (ehrkit.ErrInvalid).
func NewExporter(store storage.Store) (*Exporter, error) {
	if store == nil {
		return nil, fmt.Errorf("fhir: exporter without a store: %w", ehrkit.ErrInvalid)
	}
	return &Exporter{store: store}, nil
}

// Types returns the resource types present in the store (optionally in one
// patient's compartment): the mapped ones and those kept as originals only.
func (x *Exporter) Types(ctx context.Context, compartment string) ([]string, error) {
	var out []string
	for _, t := range Supported() {
		page, err := x.store.Query(ctx, storage.Query{Type: t, Compartment: compartment, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(page.Records) > 0 {
			out = append(out, t)
		}
	}
	err := x.originals(ctx, compartment, "", func(typ string, _ []byte) error {
		if _, mapped := registry[typ]; !mapped && !slices.Contains(out, typ) {
			out = append(out, typ)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// originals calls fn for each kept original (of resource type typ, or all when
// typ is "").
func (x *Exporter) originals(ctx context.Context, compartment, typ string, fn func(typ string, raw []byte) error) error {
	q := storage.Query{Type: OriginalType, Compartment: compartment, SortBy: "type", Limit: storage.MaxLimit}
	if typ != "" {
		q.Filters = []storage.Filter{{Term: "type", Op: storage.Eq, Value: typ}}
	}
	for {
		page, err := x.store.Query(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			if err := fn(storage.SortKey(r, "type"), r.Value); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
}

// Each calls fn with the FHIR JSON of every resource of type typ (optionally in
// one compartment), in id order.
func (x *Exporter) Each(ctx context.Context, typ, compartment string, fn func(raw []byte) error) error {
	m, mapped := registry[typ]
	if !mapped {
		return x.originals(ctx, compartment, typ, func(_ string, raw []byte) error { return fn(raw) })
	}
	q := storage.Query{Type: typ, Compartment: compartment, Limit: storage.MaxLimit}
	for {
		page, err := x.store.Query(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			raw, err := m.Export(r)
			if err != nil {
				return err
			}
			if err := fn(raw); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
}

// NDJSON writes every resource of type typ (optionally in one compartment) to w,
// one per line, and returns how many it wrote.
func (x *Exporter) NDJSON(ctx context.Context, typ, compartment string, w io.Writer) (int, error) {
	n := 0
	err := x.Each(ctx, typ, compartment, func(raw []byte) error {
		n++
		_, err := w.Write(append(raw, '\n'))
		return err
	})
	return n, err
}

// Dir writes one Type.ndjson file per resource type into dir (the Bulk Data
// layout), optionally for one compartment, and returns the count per type.
func (x *Exporter) Dir(ctx context.Context, dir, compartment string) (map[string]int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	types, err := x.Types(ctx, compartment)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, t := range types {
		f, err := os.Create(filepath.Join(dir, t+".ndjson"))
		if err != nil {
			return nil, err
		}
		n, err := x.NDJSON(ctx, t, compartment, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		counts[t] = n
	}
	return counts, nil
}

// Everything writes one patient's compartment as a FHIR searchset Bundle (the
// result of Patient/$everything), streaming entry by entry: the compartment's
// resources (search mode "match"), then the directory resources they
// reference — practitioners, practitioner roles, organizations, locations —
// (search mode "include"), each once.
func (x *Exporter) Everything(ctx context.Context, patientID string, w io.Writer) error {
	types, err := x.Types(ctx, patientID)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, `{"resourceType":"Bundle","type":"searchset","entry":[`); err != nil {
		return err
	}
	first := true
	entry := func(typ, mode string, raw []byte) error {
		var id struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &id)
		sep := ","
		if first {
			sep, first = "", false
		}
		_, err := fmt.Fprintf(w, `%s{"fullUrl":"%s/%s","resource":%s,"search":{"mode":"%s"}}`, sep, typ, id.ID, raw, mode)
		return err
	}
	included := map[string]bool{}
	for _, t := range types {
		err := x.Each(ctx, t, patientID, func(raw []byte) error {
			collectDirectoryRefs(raw, included)
			return entry(t, "match", raw)
		})
		if err != nil {
			return err
		}
	}
	refs := slices.Sorted(maps.Keys(included))
	for _, ref := range refs {
		typ, id, _ := strings.Cut(ref, "/")
		rec, err := x.store.Get(ctx, typ, id)
		if errors.Is(err, ehrkit.ErrNotFound) || errors.Is(err, ehrkit.ErrPermission) {
			continue // a dangling reference, or one the reader may not see
		}
		if err != nil {
			return err
		}
		raw, err := registry[typ].Export(rec)
		if err != nil {
			return err
		}
		if err := entry(typ, "include", raw); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "]}")
	return err
}

// directoryTypes are the resource types $everything includes when the
// compartment references them.
var directoryTypes = []string{"Practitioner", "PractitionerRole", "Organization", "Location"}

// collectDirectoryRefs adds to refs every literal reference "Type/id" to a
// directory resource found anywhere in the FHIR JSON raw.
func collectDirectoryRefs(raw []byte, refs map[string]bool) {
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && k == "reference" {
					if typ, id, ok := strings.Cut(s, "/"); ok && slices.Contains(directoryTypes, typ) && storage.ValidID(id) {
						refs[s] = true
					}
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	var doc any
	if json.Unmarshal(raw, &doc) == nil {
		walk(doc)
	}
}
