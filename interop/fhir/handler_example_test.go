package fhir_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// Serve FHIR REST over a store: a patient is created with PUT, read back
// with its version ETag, and found by a name search. Here the principal is
// put in the request context by the caller; a server gives the handler a
// TokenVerifier instead.
func ExampleNewHandler() {
	store := access.Trusted(memstore.New())
	h, err := fhir.NewHandler(store, nil)
	if err != nil {
		panic(err)
	}
	ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.System, ID: "example"})
	do := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	res := do(http.MethodPut, "/Patient/p1", `{"resourceType":"Patient","id":"p1","name":[{"family":"Nguyễn","given":["An"]}]}`)
	fmt.Println(res.Code, res.Header().Get("ETag"))
	res = do(http.MethodGet, "/Patient/p1", "")
	fmt.Println(res.Code, res.Header().Get("ETag"))
	res = do(http.MethodGet, "/Patient?name=nguyen", "")
	var bundle struct {
		Total int `json:"total"`
	}
	_ = json.Unmarshal(res.Body.Bytes(), &bundle)
	fmt.Println(res.Code, "total", bundle.Total)
	// Output:
	// 201 W/"1"
	// 200 W/"1"
	// 200 total 1
}
