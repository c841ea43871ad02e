package ehrkit

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// MaxText bounds one string of a record (a note's text, an address line):
// 1 MiB, some 500 pages.
const MaxText = 1 << 20

// CheckText records a problem at path when s exceeds MaxText, is not valid UTF-8 or holds a
// control character other than tab, line feed and carriage return (FHIR R4
// §2.24.0.1, primitive type string: "Strings SHALL NOT contain Unicode
// character points below 32, except for u0009, u000D and u000A"). Encoding
// such a string as JSON would rewrite its invalid bytes to U+FFFD, and
// PostgreSQL's jsonb refuses U+0000, so the value is refused before it is
// stored.
func CheckText(v *Issues, path, s string) {
	if len(s) > MaxText {
		v.Add(path, IssueTooLong, "exceeds %d bytes", MaxText)
		return
	}
	if !utf8.ValidString(s) {
		v.Add(path, IssueValue, "is not valid UTF-8")
		return
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' }); i >= 0 {
		v.Add(path, IssueValue, "holds control character U+%04X at byte %d", s[i], i)
	}
}

// CheckStrings applies CheckText to every string x holds: x is walked through
// exported struct fields (named by their JSON names, as issue paths are),
// slices, arrays, maps (keys and values) and pointers. Byte slices and
// unexported fields are not text and are skipped.
func CheckStrings(v *Issues, path string, x any) {
	checkStrings(v, path, reflect.ValueOf(x))
}

func checkStrings(v *Issues, path string, rv reflect.Value) {
	switch rv.Kind() {
	case reflect.String:
		CheckText(v, path, rv.String())
	case reflect.Pointer, reflect.Interface:
		if !rv.IsNil() {
			checkStrings(v, path, rv.Elem())
		}
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range rv.Len() {
			checkStrings(v, Index(path, i), rv.Index(i))
		}
	case reflect.Map:
		for it := rv.MapRange(); it.Next(); {
			key := fmt.Sprint(it.Key().Interface())
			var kv Issues
			CheckText(&kv, path, key)
			if kv.Len() > 0 {
				// A key that is not text names no path: its problem is the map's.
				v.list = append(v.list, kv.list...)
				key = "?"
			}
			checkStrings(v, JoinPath(path, key), it.Value())
		}
	case reflect.Struct:
		t := rv.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-":
				continue
			case name == "" && f.Anonymous:
				checkStrings(v, path, rv.Field(i))
				continue
			case name == "":
				name = f.Name
			}
			checkStrings(v, JoinPath(path, name), rv.Field(i))
		}
	}
}

// CheckLen records a too-long problem at path when s holds more than max
// bytes: fields that are indexed must fit an index term.
func CheckLen(v *Issues, path, s string, max int) {
	v.Check(len(s) <= max, path, IssueTooLong, "exceeds %d bytes", max)
}
