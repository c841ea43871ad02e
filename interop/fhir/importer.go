package fhir

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// OriginalType is the record type that keeps a source resource as it was read
// (KeepOriginal), with id "Type.id" and the compartment of the record it
// belongs to. Resources of types ehrkit does not model are kept the same way.
const OriginalType = "FHIROriginal"

// Option configures an Importer.
type Option func(*Importer)

// WithWorkers sets how many goroutines parse resources (default: GOMAXPROCS).
func WithWorkers(n int) Option { return func(im *Importer) { im.workers = max(1, n) } }

// WithBatchSize sets how many resources are written per transaction (default 500).
func WithBatchSize(n int) Option { return func(im *Importer) { im.batch = max(1, n) } }

// KeepOriginal keeps every source resource as read beside its record (type
// OriginalType), so content ehrkit does not model, and resources of types it
// does not model, survive and are exported again.
func KeepOriginal() Option { return func(im *Importer) { im.keep = true } }

// Lenient makes the import store resources whose only problems are
// terminology problems (an unknown code in a required value set, a code or
// NPI failing its check digit: issues with code ehrkit.IssueCodeInvalid) as
// the sender gave them, labelled ehrkit.LabelUnverifiedCode, and list each in
// Report.Warnings. Structural problems (invalid JSON, missing elements ehrkit
// needs, wrong types, references to records that do not exist) still fail the
// resource. Without it (the default) such resources fail.
func Lenient() Option { return func(im *Importer) { im.lenient = true } }

// WithServices sets the domain services resources are written through
// (default: NewServices over the importer's store, built at the first write).
// They must be built over the importer's store.
func WithServices(s *Services) Option { return func(im *Importer) { im.services = s } }

// WithMaxResource sets the largest resource, in bytes of JSON, the import
// parses (default DefaultMaxResource); it bounds the memory one resource can
// take. A larger resource, or NDJSON line, is reported as failed (ErrTooLarge)
// and the import goes on with the next one.
func WithMaxResource(n int) Option { return func(im *Importer) { im.maxResource = max(1, n) } }

// WithProgress calls fn after every committed batch.
func WithProgress(fn func(Progress)) Option { return func(im *Importer) { im.progress = fn } }

// Progress tells how far an import has come.
type Progress struct {
	Source    string // the source being read
	Resources int    // resources handled so far, all sources
	Failed    int    // failures so far, all sources
}

// Importer reads FHIR R4 Bundles and NDJSON into a store. Parsing (the costly
// part) runs on several goroutines while a writer per source batches
// resources into transactions, each written through its owning domain
// service (see Services). Records keep their FHIR ids, so importing a source twice updates
// instead of duplicating; invalid resources are reported and never written.
type Importer struct {
	store   storage.Store
	workers int
	batch   int
	keep    bool
	lenient bool
	// maxResource is the largest resource parsed, in bytes.
	maxResource int
	progress    func(Progress)
	services    *Services
	once        sync.Once
	svcErr      error

	mu     sync.Mutex // guards report: files of ImportPaths are imported two at a time
	report *Report
}

// NewImporter returns an importer writing to store.
func NewImporter(store storage.Store, opts ...Option) *Importer {
	im := &Importer{store: store, workers: runtime.GOMAXPROCS(0), batch: 500, maxResource: DefaultMaxResource, report: newReport()}
	for _, o := range opts {
		o(im)
	}
	return im
}

// Report returns the accumulated report of everything imported so far. Call it
// when no import is running.
func (im *Importer) Report() *Report { return im.report }

// ImportNDJSON imports one resource per line, streaming: memory holds one
// line per entry being parsed. A line longer than the resource limit
// (WithMaxResource) is reported as failed without being read, and the import
// goes on with the next line.
func (im *Importer) ImportNDJSON(ctx context.Context, r io.Reader, source string) error {
	return im.run(ctx, source, NewRefs(), false, func(emit func(Entry) error) error {
		return readNDJSON(r, source, im.maxResource, emit)
	})
}

// ImportBundle imports the entries of a Bundle. References between entries
// ("urn:uuid:" full URLs, forward ones included) are resolved first, so the
// Bundle's entries are held in memory while it is imported. A transaction
// Bundle is atomic, as FHIR defines it: its entries are written in one
// transaction, and when any entry fails none is written (the failing ones are
// reported in Report.Failed, the others counted in Report.RolledBack). The
// entries of other Bundles (batch, collection ...) succeed or fail one by one.
func (im *Importer) ImportBundle(ctx context.Context, r io.Reader, source string) error {
	return im.importBundle(ctx, source, func(fn func(Entry) error) (string, error) {
		return readBundle(r, source, fn)
	})
}

// importBundle imports the entries split calls its function with, split
// returning Bundle.type.
func (im *Importer) importBundle(ctx context.Context, source string, split func(func(Entry) error) (string, error)) error {
	var entries []Entry
	typ, err := split(func(e Entry) error {
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return im.sourceFailed(err)
	}
	refs := NewRefs()
	for _, e := range entries {
		typ, id := identify(e)
		if storage.ValidType(typ) && ValidID(id) {
			refs.Add(e.FullURL, ehrkit.Reference{Type: typ, ID: id})
		}
	}
	return im.run(ctx, source, refs, typ == "transaction", func(emit func(Entry) error) error {
		for _, e := range entries {
			if err := emit(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// ImportFile imports a file: ".ndjson" files line by line, other files as a
// Bundle or a single resource.
func (im *Importer) ImportFile(ctx context.Context, path string) error {
	if strings.HasSuffix(path, ".ndjson") {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		return im.ImportNDJSON(ctx, f, path)
	}
	b, err := os.ReadFile(path) // sized from the file: one allocation
	if err != nil {
		return err
	}
	if typ, _ := resourceHead(b, false); typ != "Bundle" && typ != "" {
		return im.run(ctx, path, NewRefs(), false, func(emit func(Entry) error) error {
			return emit(Entry{Source: path, Index: 1, JSON: b})
		})
	}
	return im.importBundle(ctx, path, func(fn func(Entry) error) (string, error) {
		return splitBundle(b, path, fn)
	})
}

// ImportPaths imports files and, recursively, the .json and .ndjson files of
// folders. Records are checked against the records they name (an
// Observation's patient and encounter must exist), so files are imported in
// stages by the resource type their name starts with, as bulk data exports
// name them ("Patient.ndjson", "Encounter.000.ndjson"): patients and
// organizations first, then encounters, schedules, practitioners,
// locations, coverages and claims, then everything else (Bundles, which carry their patients,
// included). Within a stage two files are imported at a time, so
// that one file's parsing overlaps the other's writing (a Bundle is written
// only once its references are resolved); the report counts them all.
func (im *Importer) ImportPaths(ctx context.Context, paths ...string) error {
	var stages [3][]string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (path == p || strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".ndjson")) {
				st := stage(filepath.Base(path))
				stages[st] = append(stages[st], path)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	var err error
	for _, files := range stages {
		if err = im.importFiles(ctx, files); err != nil {
			break
		}
	}
	for _, list := range [][]Failure{im.report.Failed, im.report.Warnings} {
		slices.SortStableFunc(list, func(a, b Failure) int {
			return cmp.Or(strings.Compare(a.Source, b.Source), a.Entry-b.Entry)
		})
	}
	return err
}

// stage is the import stage of a file by the resource type its name starts
// with: 0 for patients and organizations, 1 for the encounters, schedules,
// practitioners, locations, coverages and claims other records name
// (an Account its coverages, an ExplanationOfBenefit its claim), 2 for the
// rest.
func stage(name string) int {
	typ, _, _ := strings.Cut(name, ".")
	typ, _, _ = strings.Cut(typ, "-")
	switch typ {
	case "Patient", "Organization":
		return 0
	case "Encounter", "Schedule", "Practitioner", "Location", "Coverage", "Claim":
		return 1
	}
	return 2
}

// importFiles imports files two at a time.
func (im *Importer) importFiles(ctx context.Context, files []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan string)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			for f := range next {
				if err := im.ImportFile(ctx, f); err != nil {
					cancel()
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
feed:
	for _, f := range files {
		select {
		case next <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	return errors.Join(<-errs, <-errs)
}

// sourceFailed records a source that could not be read; it is not fatal.
func (im *Importer) sourceFailed(err error) error {
	var se *SourceError
	if !errors.As(err, &se) {
		return err
	}
	im.mu.Lock()
	im.report.Failed = append(im.report.Failed, Failure{Source: se.Source, Entry: se.Index, Issues: []string{se.Err.Error()}})
	im.mu.Unlock()
	return nil
}

// result is one entry after parsing and mapping.
type result struct {
	entry       Entry
	typ         string
	value       Value           // the mapped domain value, nil if unsupported or failed
	original    *storage.Record // the source as read (KeepOriginal or unsupported)
	unsupported bool
	unmapped    []string
	issues      []string
	warnings    []string // terminology problems a lenient import stores the value with
}

// run parses the entries feed gives on the workers and writes them in
// batches, in the order feed gave them (a patient's transaction comes no
// later than that of the resources after it that name it, however the
// parsers finish); atomic writes them all in one transaction that fails as a
// whole.
func (im *Importer) run(ctx context.Context, source string, refs *Refs, atomic bool, feed func(emit func(Entry) error) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type numbered struct {
		seq   int
		entry Entry
	}
	type parsed struct {
		seq int
		result
	}
	entries := make(chan numbered, im.workers*4)
	results := make(chan parsed, im.workers*4)
	var feedErr error
	go func() {
		defer close(entries)
		seq := 0
		feedErr = feed(func(e Entry) error {
			select {
			case entries <- numbered{seq, e}:
				seq++
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var wg sync.WaitGroup
	for range im.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codec, err := NewCodec()
			for n := range entries {
				r := result{entry: n.entry}
				if err != nil {
					r.issues = []string{err.Error()}
				} else {
					r = im.convert(codec, n.entry, refs)
				}
				select {
				case results <- parsed{n.seq, r}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	// Results wait in pending until every earlier one has arrived; at most
	// the channels' capacity of them, since the feed blocks beyond it.
	batch := make([]result, 0, im.batch)
	pending := map[int]result{}
	next := 0
	var werr error
	for p := range results {
		if werr != nil {
			continue
		}
		pending[p.seq] = p.result
		for r, ok := pending[next]; ok && werr == nil; r, ok = pending[next] {
			delete(pending, next)
			next++
			batch = append(batch, r)
			if len(batch) == im.batch && !atomic {
				werr = im.write(ctx, source, batch, false)
				batch = batch[:0]
				if werr != nil {
					cancel()
				}
			}
		}
	}
	if werr == nil && len(batch) > 0 {
		werr = im.write(ctx, source, batch, atomic)
	}
	if werr != nil {
		return werr
	}
	if feedErr != nil {
		return im.sourceFailed(feedErr)
	}
	return ctx.Err()
}

// convert parses and maps one entry.
func (im *Importer) convert(codec *Codec, e Entry, refs *Refs) result {
	r := result{entry: e}
	var se *SourceError
	switch {
	case errors.As(e.Err, &se):
		r.issues = []string{se.Err.Error()}
		return r
	case e.Err != nil:
		r.issues = []string{e.Err.Error()}
		return r
	case len(e.JSON) > im.maxResource:
		r.typ, _ = identify(e)
		r.issues = []string{fmt.Sprintf("%s: %d bytes, over the limit of %d (%s)", r.typ, len(e.JSON), im.maxResource, ehrkit.IssueTooLong)}
		return r
	}
	cr, err := codec.Parse(e.JSON)
	var ve *ehrkit.ValidationError
	switch {
	case errors.As(err, &ve):
		r.typ, _ = identify(e)
		r.issues = issueLines(ve.Issues)
		return r
	case err != nil:
		r.typ, _ = identify(e)
		r.issues = splitIssues(err)
		return r
	}
	typ, res := ResourceOf(cr)
	r.typ = typ
	id := resourceID(res)
	if id == "" {
		id = strings.TrimPrefix(e.FullURL, "urn:uuid:")
	}
	if !ValidID(id) {
		r.issues = []string{typ + ".id: missing or not a FHIR id"}
		return r
	}
	m, ok := registry[typ]
	if !ok {
		r.unsupported = true
		if im.keep {
			comp := compartmentOf(e.JSON, refs)
			r.original = original(typ, id, comp, e.JSON)
		}
		return r
	}
	v, err := m.ImportResource(res, id, refs)
	switch {
	case err != nil && im.lenient && v != nil && ehrkit.Waivable(err):
		r.warnings = validationIssues(typ, err)
	case err != nil:
		r.issues = validationIssues(typ, err)
		return r
	}
	r.value = v
	r.unmapped = unmapped(typ, res, m.Elements())
	if im.keep {
		r.original = original(typ, id, v.Compartment(), e.JSON)
	}
	return r
}

// errRolledBack rolls back the transaction of an atomic batch one of whose
// entries failed.
var errRolledBack = errors.New("fhir: transaction Bundle rolled back")

// write stores one batch in one transaction through the domain services,
// retrying on conflict (another writer importing the same records), and
// counts the outcome. A resource a service refuses (*ehrkit.ValidationError:
// a patient that does not exist, an identifier held by another patient; or
// a business refusal wrapping ehrkit.ErrFailedPrecondition, such as a slot
// already taken) is reported and the rest of the batch is written; in an
// atomic batch (a transaction Bundle) one failure rolls back the whole batch,
// every entry still being tried so that every failure is reported.
func (im *Importer) write(ctx context.Context, source string, batch []result, atomic bool) error {
	im.once.Do(func() {
		if im.services == nil {
			im.services, im.svcErr = NewServices(im.store)
		}
	})
	if im.svcErr != nil {
		return im.svcErr
	}
	slices.SortFunc(batch, func(a, b result) int { return a.entry.Index - b.entry.Index })
	var outcome []storage.Outcome
	var refused map[int][]string
	err := ehrkit.Retry(ctx, 5, func() error {
		outcome, refused = outcome[:0], map[int][]string{}
		return im.store.Update(ctx, func(tx storage.Tx) error {
			cache := newReadCache(tx)
			for i, r := range batch {
				var status storage.Outcome
				if r.value != nil {
					var err error
					sctx := ctx
					if len(r.warnings) > 0 {
						sctx = ehrkit.Lenient(ctx)
					}
					status, err = im.save(sctx, cache, r.value)
					cache.forget(r.typ, r.value.ID())
					var ve *ehrkit.ValidationError
					if errors.As(err, &ve) || errors.Is(err, ehrkit.ErrFailedPrecondition) {
						refused[i] = validationIssues(r.typ, err)
						outcome = append(outcome, "")
						continue
					}
					if err != nil {
						return err
					}
				}
				if r.original != nil {
					if _, err := upsertOriginal(ctx, tx, *r.original); err != nil {
						return err
					}
				}
				outcome = append(outcome, status)
			}
			if atomic && (len(refused) > 0 || slices.ContainsFunc(batch, func(r result) bool { return len(r.issues) > 0 })) {
				return errRolledBack
			}
			return nil
		})
	})
	rolledBack := errors.Is(err, errRolledBack)
	if err != nil && !rolledBack {
		return err
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	rep := im.report
	for i, r := range batch {
		rep.Resources++
		if issues, ok := refused[i]; ok {
			r.issues = issues
		}
		switch {
		case len(r.issues) > 0:
			rep.Failed = append(rep.Failed, Failure{Source: r.entry.Source, Entry: r.entry.Index, Type: r.typ, Issues: r.issues})
		case rolledBack:
			rep.RolledBack[r.typ]++
		case r.unsupported:
			rep.Unsupported[r.typ]++
		default:
			if len(r.warnings) > 0 {
				rep.Warnings = append(rep.Warnings, Failure{Source: r.entry.Source, Entry: r.entry.Index, Type: r.typ, Issues: r.warnings})
			}
			rep.count(outcome[i], r.typ)
			for _, p := range r.unmapped {
				rep.Unmapped[p]++
			}
		}
	}
	if im.progress != nil {
		im.progress(Progress{Source: source, Resources: rep.Resources, Failed: len(rep.Failed)})
	}
	return nil
}

// original is the record that keeps a source resource as read.
// It is stored compact, so that it exports as one NDJSON line.
func original(typ, id, compartment string, raw []byte) *storage.Record {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		raw = buf.Bytes()
	}
	return &storage.Record{
		Type: OriginalType, ID: typ + "." + id, Compartment: compartment,
		Terms: []storage.Term{{Name: "type", Value: typ}}, Value: raw,
	}
}

// save writes one value through its service. A refusal leaves nothing of the
// resource behind: the service validates and checks before it writes.
func (im *Importer) save(ctx context.Context, tx storage.Tx, v Value) (storage.Outcome, error) {
	return v.save(ctx, tx, im.services)
}

// upsertOriginal creates, replaces or leaves the record keeping a source
// resource as read (the importer's own record type).
func upsertOriginal(ctx context.Context, tx storage.Tx, rec storage.Record) (storage.Outcome, error) {
	cur, err := tx.Get(ctx, rec.Type, rec.ID)
	switch {
	case errors.Is(err, ehrkit.ErrNotFound):
		if _, err = tx.Put(ctx, rec, 0); errors.Is(err, ehrkit.ErrConflict) {
			_, err = tx.Put(ctx, rec, storage.Any) // a deleted record: re-create it over its tombstone
		}
		return storage.Created, err
	case err != nil:
		return "", err
	case sameRecord(cur, rec):
		return storage.Unchanged, nil
	}
	_, err = tx.Put(ctx, rec, cur.Version)
	return storage.Updated, err
}

func sameRecord(a, b storage.Record) bool {
	return bytes.Equal(a.Value, b.Value) && a.Compartment == b.Compartment &&
		slices.Equal(a.Labels, b.Labels) && slices.Equal(a.Terms, b.Terms)
}

// splitIssues turns a parse error into one issue per line.
func splitIssues(err error) []string {
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// validationIssues renders a mapping or validation error as issues with paths
// starting at the resource type.
func validationIssues(typ string, err error) []string {
	var ve *ehrkit.ValidationError
	if !errors.As(err, &ve) {
		return []string{typ + ": " + err.Error()}
	}
	issues := slices.Clone(ve.Issues)
	for i, is := range issues {
		issues[i].Path = ehrkit.JoinPath(typ, fhirPath(typ, is.Path))
	}
	return issueLines(issues)
}

// issueLines renders issues whose paths are FHIR element paths.
func issueLines(issues []ehrkit.Issue) []string {
	out := make([]string, len(issues))
	for i, is := range issues {
		out[i] = fmt.Sprintf("%s: %s (%s)", is.Path, is.Message, is.Code)
	}
	return out
}

// unmapped lists the top-level elements present in a parsed resource that its
// mapping does not hold. A choice element counts as mapped when the mapping
// holds one of its forms ("deceased" for "deceasedBoolean").
func unmapped(typ string, res proto.Message, elements []string) []string {
	var out []string
	res.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		name := fd.JSONName()
		if name == "id" || slices.ContainsFunc(elements, func(e string) bool { return strings.HasPrefix(e, name) }) {
			return true
		}
		out = append(out, typ+"."+name)
		return true
	})
	slices.Sort(out)
	return out
}

// resourceID returns the logical id of a parsed resource, "" if it has none.
func resourceID(res proto.Message) string {
	m := res.ProtoReflect()
	fd := m.Descriptor().Fields().ByName("id")
	if fd == nil || !m.Has(fd) {
		return ""
	}
	id := m.Get(fd).Message()
	return id.Get(id.Descriptor().Fields().ByName("value")).String()
}

// compartmentOf finds the patient a resource of an unmodelled type belongs to,
// from its subject, patient or beneficiary reference.
func compartmentOf(raw []byte, refs *Refs) string {
	var refsOf struct {
		Subject     struct{ Reference string } `json:"subject"`
		Patient     struct{ Reference string } `json:"patient"`
		Beneficiary struct{ Reference string } `json:"beneficiary"`
	}
	_ = json.Unmarshal(raw, &refsOf)
	for _, s := range []string{refsOf.Subject.Reference, refsOf.Patient.Reference, refsOf.Beneficiary.Reference} {
		if ref, ok := refs.Resolve(s); ok && ref.Type == "Patient" {
			return ref.ID
		}
	}
	return ""
}
