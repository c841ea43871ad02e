package ehrkit_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
)

func TestValidationError(t *testing.T) {
	var v ehrkit.Issues
	assert.NoError(t, v.Err(), "no issue, no error")
	v.Required("name", false)
	v.Required("birthDate", true)
	v.Check(false, "gender", ehrkit.IssueCodeInvalid, "unknown gender %q", "x")
	v.Check(true, "telecom", ehrkit.IssueValue, "never")
	v.Add("identifier[0].system", ehrkit.IssueRequired, "is required")
	assert.Equal(t, 3, v.Len())

	err := fmt.Errorf("patient service: %w", v.Err())
	assert.ErrorIs(t, err, ehrkit.ErrInvalid)
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []ehrkit.Issue{
		{Path: "name", Code: ehrkit.IssueRequired, Message: "is required"},
		{Path: "gender", Code: ehrkit.IssueCodeInvalid, Message: `unknown gender "x"`},
		{Path: "identifier[0].system", Code: ehrkit.IssueRequired, Message: "is required"},
	}, ve.Issues)
	assert.True(t, ve.Has("gender", ehrkit.IssueCodeInvalid))
	assert.False(t, ve.Has("gender", ehrkit.IssueRequired))
	assert.Contains(t, ve.Error(), "identifier[0].system")

	// The error is a snapshot: later issues do not change it.
	v.Required("more", false)
	assert.Len(t, ve.Issues, 3)
}

func TestIssuesMerge(t *testing.T) {
	var inner ehrkit.Issues
	inner.Required("family", false)
	inner.Add("", ehrkit.IssueInvariant, "whole value")
	inner.Add("[2]", ehrkit.IssueValue, "indexed")

	var v ehrkit.Issues
	v.Merge("name[0]", nil)
	assert.Zero(t, v.Len(), "a nil error adds nothing")
	v.Merge("name[0]", inner.Err())
	v.Merge("", inner.Err())
	v.Merge("telecom[1]", errors.New("plain error"))
	v.Merge("wrapped", fmt.Errorf("ctx: %w", inner.Err()))

	var ve *ehrkit.ValidationError
	require.ErrorAs(t, v.Err(), &ve)
	var paths []string
	for _, is := range ve.Issues {
		paths = append(paths, string(is.Code)+" "+is.Path)
	}
	assert.Equal(t, []string{
		"required name[0].family", "invariant name[0]", "value name[0][2]",
		"required family", "invariant ", "value [2]",
		"value telecom[1]",
		"required wrapped.family", "invariant wrapped", "value wrapped[2]",
	}, paths)
}

func TestPaths(t *testing.T) {
	assert.Equal(t, "name[0]", ehrkit.Index("name", 0))
	cases := []struct{ prefix, sub, want string }{
		{"", "family", "family"},
		{"name[0]", "", "name[0]"},
		{"name[0]", "family", "name[0].family"},
		{"name", "[3]", "name[3]"},
		{"", "", ""},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, ehrkit.JoinPath(tc.prefix, tc.sub), "JoinPath(%q, %q)", tc.prefix, tc.sub)
	}
}

func TestSentinels(t *testing.T) {
	all := []error{ehrkit.ErrNotFound, ehrkit.ErrConflict, ehrkit.ErrInvalid, ehrkit.ErrFailedPrecondition,
		ehrkit.ErrPermission, ehrkit.ErrUnauthenticated, ehrkit.ErrUnsupported}
	for i, a := range all {
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(a, b), "%v vs %v", a, b)
		}
	}
}

// Every validator of the root package fails with an error wrapping
// ErrInvalid; those checking a value with fields are a *ValidationError
// naming the offending field.
func TestValidatorsWrapErrInvalid(t *testing.T) {
	cases := []struct {
		name string
		err  error
		path string // "" for errors that name no field
		code ehrkit.IssueCode
	}{
		{"CheckCode", ehrkit.CheckCode(ehrkit.SystemLOINC, "2345-8"), "code", ehrkit.IssueCodeInvalid},
		{"Coding", ehrkit.Coding{System: ehrkit.SystemICD10CM, Code: "i10"}.Validate(), "code", ehrkit.IssueCodeInvalid},
		{"CodeableConcept", ehrkit.CodeableConcept{Coding: []ehrkit.Coding{{System: ehrkit.SystemSNOMED}}}.Validate(), "coding[0].code", ehrkit.IssueRequired},
		{"Identifier", ehrkit.Identifier{Value: "1"}.Validate(), "system", ehrkit.IssueRequired},
		{"Period", ehrkit.Period{Start: time.Unix(10, 0), End: time.Unix(5, 0)}.Validate(), "end", ehrkit.IssueInvariant},
		{"HumanName", ehrkit.HumanName{Family: "x", Use: "alias"}.Validate(), "use", ehrkit.IssueCodeInvalid},
		{"ContactPoint", ehrkit.ContactPoint{System: "pigeon", Value: "x"}.Validate(), "system", ehrkit.IssueCodeInvalid},
		{"Date", ehrkit.NewDate(2023, time.February, 30).Validate(), "", ehrkit.IssueValue},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.err, ehrkit.ErrInvalid)
			var ve *ehrkit.ValidationError
			require.ErrorAs(t, tc.err, &ve)
			assert.True(t, ve.Has(tc.path, tc.code), "issues: %v", ve.Issues)
		})
	}
	_, err := ehrkit.ParseDate("1970-13")
	assert.ErrorIs(t, err, ehrkit.ErrInvalid, "ParseDate")
	var d ehrkit.Date
	assert.ErrorIs(t, json.Unmarshal([]byte(`true`), &d), ehrkit.ErrInvalid, "Date.UnmarshalJSON")
	var q ehrkit.Quantity
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"value":[]}`), &q), ehrkit.ErrInvalid, "Quantity.UnmarshalJSON")
}
