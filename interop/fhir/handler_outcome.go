package fhir

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
)

// httpError is a failure with its HTTP status and the OperationOutcome
// issue that describes it.
type httpError struct {
	status int
	code   string   // FHIR issue type
	msg    string   // diagnostics, no PHI
	expr   []string // FHIRPath expressions of the offending elements
	issues []string // parser findings, one issue each
	cause  error
}

func (e *httpError) Error() string { return e.msg }

func (e *httpError) Unwrap() error { return e.cause }

// outcomeIssue is one OperationOutcome.issue.
type outcomeIssue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

// operationOutcome is an OperationOutcome resource.
type operationOutcome struct {
	ResourceType string         `json:"resourceType"`
	Issue        []outcomeIssue `json:"issue"`
}

// Outcome maps an error of the handler, a domain service or the store to
// its HTTP status and OperationOutcome: a *ehrkit.ValidationError is 422
// with one issue per problem, its path turned into the FHIRPath expression
// of the element of a resource of type typ; ErrNotFound 404,
// ErrUnauthenticated 401, ErrPermission 403, ErrConflict (a version race
// lost every retry) 409, ErrFailedPrecondition (a business refusal: an
// identifier in use, a slot taken) 409, ErrInvalid 400.
func outcomeOf(typ string, err error) (int, operationOutcome) {
	oo := operationOutcome{ResourceType: "OperationOutcome"}
	var he *httpError
	var ve *ehrkit.ValidationError
	var de *access.DeniedError
	var ee *entryError
	switch {
	case errors.As(err, &ee):
		status, inner := outcomeOf(ee.typ, ee.err)
		at := fmt.Sprintf("Bundle.entry[%d]", ee.index)
		for i, is := range inner.Issue {
			is.Diagnostics = at + ": " + is.Diagnostics
			if len(is.Expression) == 0 {
				is.Expression = []string{at}
			}
			for j, e := range is.Expression {
				if !strings.HasPrefix(e, "Bundle.") {
					is.Expression[j] = at + ".resource." + e
				}
			}
			inner.Issue[i] = is
		}
		return status, inner
	case errors.As(err, &he):
		if len(he.issues) > 0 {
			for _, is := range he.issues {
				oo.Issue = append(oo.Issue, outcomeIssue{Severity: "error", Code: he.code, Diagnostics: is})
			}
		} else {
			oo.Issue = []outcomeIssue{{Severity: "error", Code: he.code, Diagnostics: he.msg, Expression: he.expr}}
		}
		return he.status, oo
	case errors.As(err, &ve):
		for _, is := range ve.Issues {
			expr := typ
			if is.Path != "" {
				expr = ehrkit.JoinPath(typ, fhirPath(typ, is.Path))
			}
			oo.Issue = append(oo.Issue, outcomeIssue{Severity: "error", Code: string(is.Code), Diagnostics: is.Message, Expression: []string{expr}})
		}
		return http.StatusUnprocessableEntity, oo
	case errors.Is(err, ehrkit.ErrUnauthenticated):
		oo.Issue = []outcomeIssue{{Severity: "error", Code: "login", Diagnostics: "authentication required"}}
		return http.StatusUnauthorized, oo
	case errors.As(err, &de), errors.Is(err, ehrkit.ErrPermission):
		msg := "access denied"
		if de != nil {
			msg += ": " + string(de.Reason)
		}
		oo.Issue = []outcomeIssue{{Severity: "error", Code: "forbidden", Diagnostics: msg}}
		return http.StatusForbidden, oo
	case errors.Is(err, ehrkit.ErrNotFound):
		oo.Issue = []outcomeIssue{{Severity: "error", Code: "not-found", Diagnostics: "resource not found"}}
		return http.StatusNotFound, oo
	case errors.Is(err, ehrkit.ErrConflict):
		oo.Issue = []outcomeIssue{{Severity: "error", Code: "conflict", Diagnostics: "concurrent writes: try again"}}
		return http.StatusConflict, oo
	case errors.Is(err, ehrkit.ErrFailedPrecondition):
		oo.Issue = []outcomeIssue{{Severity: "error", Code: "business-rule", Diagnostics: err.Error()}}
		return http.StatusConflict, oo
	case errors.Is(err, ehrkit.ErrInvalid), errors.Is(err, ehrkit.ErrUnsupported):
		oo.Issue = []outcomeIssue{{Severity: "error", Code: "invalid", Diagnostics: err.Error()}}
		return http.StatusBadRequest, oo
	}
	oo.Issue = []outcomeIssue{{Severity: "fatal", Code: "exception", Diagnostics: "internal error"}}
	return http.StatusInternalServerError, oo
}

// fail writes err as an OperationOutcome.
func (h *Handler) fail(rq *request, err error) {
	status, oo := outcomeOf(resourceTypeOf(rq.URL.Path), err)
	if status == http.StatusUnauthorized && h.verifier != nil {
		rq.w.Header().Set("WWW-Authenticate", `Bearer realm="fhir"`)
	}
	writeJSON(rq.w, status, ContentType, oo)
}

// resourceTypeOf is the resource type a request path names ("" for none).
func resourceTypeOf(path string) string {
	for len(path) > 0 && path[0] == '/' {
		path = path[1:]
	}
	for i := range len(path) {
		if path[i] == '/' {
			return path[:i]
		}
	}
	return path
}
