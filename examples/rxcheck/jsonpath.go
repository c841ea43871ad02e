package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/shopspring/decimal"
)

// locate finds where a JSON document that encoding/json refused to decode
// into a value of type t goes wrong, and returns an error naming the JSON
// path of the offending value ("orders[0].dose.value") and what was expected
// there, in the document's terms rather than Go's. It returns nil when it
// finds nothing wrong. Object keys match field names as encoding/json matches
// them (tag names, case-insensitively); unknown keys are ignored as there.
func locate(raw json.RawMessage, t reflect.Type) error {
	return locateAt("", raw, t)
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// scalars describe the values of the types that decode themselves from one
// JSON scalar.
var scalars = map[reflect.Type]string{
	reflect.TypeFor[decimal.Decimal](): "a number",
	reflect.TypeFor[ehrkit.Date]():     "a date (YYYY, YYYY-MM or YYYY-MM-DD)",
}

func locateAt(path string, raw json.RawMessage, t reflect.Type) error {
	if string(raw) == "null" {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		err := json.Unmarshal(raw, reflect.New(t).Interface())
		if err == nil {
			return nil
		}
		if t.Kind() == reflect.Struct && strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
			// A more precise place inside the value, if the fields tell.
			if inner := locateFields(path, raw, t); inner != nil {
				return inner
			}
		}
		if want, ok := scalars[t]; ok {
			return fmt.Errorf("%s: not %s", shown(path), want)
		}
		return at(path, err)
	}
	switch t.Kind() {
	case reflect.Struct:
		return locateFields(path, raw, t)
	case reflect.Slice:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return at(path, err)
		}
		for i, item := range items {
			if err := locateAt(fmt.Sprintf("%s[%d]", path, i), item, t.Elem()); err != nil {
				return err
			}
		}
		return nil
	}
	return at(path, json.Unmarshal(raw, reflect.New(t).Interface()))
}

// locateFields checks the members of a JSON object against the fields of
// struct type t.
func locateFields(path string, raw json.RawMessage, t reflect.Type) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return at(path, err)
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		for key, v := range members {
			if strings.EqualFold(key, name) {
				p := name
				if path != "" {
					p = path + "." + name
				}
				if err := locateAt(p, v, f.Type); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// at names the path of a decoding error, describing a type mismatch by JSON
// kinds; a nil error stays nil.
func at(path string, err error) error {
	if err == nil {
		return nil
	}
	path = shown(path)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%s: want %s, got %s", path, jsonKind(te.Type), article(te.Value))
	}
	return fmt.Errorf("%s: %w", path, err)
}

// shown is a path as messages show it: the root is "the document".
func shown(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another value"
}

// article puts "a" or "an" before the JSON kind encoding/json reports
// ("string", "number", "object", "array", "bool", "number 1.5").
func article(kind string) string {
	switch {
	case strings.HasPrefix(kind, "object"), strings.HasPrefix(kind, "array"):
		return "an " + kind
	case kind == "bool":
		return "true or false"
	}
	return "a " + kind
}
