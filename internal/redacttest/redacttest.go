// Package redacttest checks that a value holding PHI shows none of it when
// printed with fmt or logged with slog, while encoding/json still writes it.
package redacttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// verbs are the fmt verbs (with flags and widths) Check prints with.
var verbs = []string{
	"%v", "%+v", "%#v", "%s", "%q", "%+q", "%#q", "%x", "%X", "% x", "%d", "%t", "%b", "%o",
	"%e", "%f", "%g", "%c", "%U", "%T", "%20s", "%-30v", "%.3s",
}

// Check prints v with every verb of fmt (on its own, through a pointer, as an
// exported struct field, as slice and map elements) and logs it through
// slog's text and JSON handlers, and reports every output that contains one
// of the phi strings. It first checks that json.Marshal(v) contains each of
// them: the PHI is really in v, and encoding is not redacted.
func Check(t testing.TB, v any, phi ...string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%T): %v", v, err)
	}
	for _, s := range phi {
		if !strings.Contains(string(b), s) {
			t.Errorf("json.Marshal(%T) lost %q: encoding must keep every field", v, s)
		}
	}
	for name, out := range outputs(v) {
		for _, s := range phi {
			if strings.Contains(out, s) {
				t.Errorf("%T printed as %s shows PHI %q: %s", v, name, s, out)
			}
		}
	}
}

// outputs renders v every way Check inspects, keyed by how.
func outputs(v any) map[string]string {
	typ := reflect.TypeOf(v)
	field := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "Held", Type: typ}})).Elem()
	field.Field(0).Set(reflect.ValueOf(v))
	slice := reflect.MakeSlice(reflect.SliceOf(typ), 0, 2)
	slice = reflect.Append(slice, reflect.ValueOf(v), reflect.ValueOf(v))
	m := reflect.MakeMap(reflect.MapOf(reflect.TypeFor[string](), typ))
	m.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf(v))
	ptr := reflect.New(typ)
	ptr.Elem().Set(reflect.ValueOf(v))
	shapes := map[string]any{
		"value": v, "pointer": ptr.Interface(), "struct field": field.Interface(),
		"pointer to struct": field.Addr().Interface(), "slice": slice.Interface(), "map": m.Interface(),
		"any field": struct{ V any }{v},
	}
	out := map[string]string{}
	for shape, x := range shapes {
		for _, verb := range verbs {
			out[verb+" of "+shape] = fmt.Sprintf(verb, x)
		}
		out["Sprint of "+shape] = fmt.Sprint(x)
		out["Sprintln of "+shape] = fmt.Sprintln(x)
		out["Errorf %v of "+shape] = fmt.Errorf("wrapped: %v", x).Error()
	}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, noTime) },
		"slog JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, noTime) },
	} {
		var buf bytes.Buffer
		log := slog.New(h(&buf))
		log.Info("value", "v", v)
		log.Info("any", slog.Any("v", v))
		log.Info("pointer", "v", ptr.Interface())
		log.Info("group", slog.Group("g", "v", v))
		log.With("v", v).Info("with")
		log.Info("formatted", "v", fmt.Sprint(v))
		out[name] = buf.String()
	}
	return out
}

// noTime drops the record's time from log lines: its digits could contain a
// PHI fragment being searched for ("1970" in the nanoseconds).
var noTime = &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}}
