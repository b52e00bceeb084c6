package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"supportline/api"
)

// servedDocument mounts the API on a bare Echo (no database: building the
// document calls no service) and returns the raw document it serves.
func servedDocument(t *testing.T) []byte {
	t.Helper()
	e := echo.New()
	(&api.Server{Version: "test"}).Mount(e)
	srv := httptest.NewServer(e)
	defer srv.Close()
	res, err := http.Get(srv.URL + api.Prefix + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET openapi.json without a token: %d %s", res.StatusCode, raw)
	}
	return raw
}

// TestOpenAPIDocumentLints checks, without npm, what a standard linter
// (Redocly CLI's recommended ruleset, and its operation-description and
// operation-tag-defined rules) needs of the document, so that it cannot
// regress between runs of the linter itself:
//
//	SUPPORTLINE_OPENAPI_OUT=/tmp/openapi.json go test ./api -run TestOpenAPIDocumentLints
//	cd /tmp && npx --yes @redocly/cli@2.77.0 lint /tmp/openapi.json
func TestOpenAPIDocumentLints(t *testing.T) {
	raw := servedDocument(t)
	if out := os.Getenv("SUPPORTLINE_OPENAPI_OUT"); out != "" {
		if err := os.WriteFile(out, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title       string `json:"title"`
			Version     string `json:"version"`
			Description string `json:"description"`
			License     *struct {
				Name string `json:"name"`
			} `json:"license"`
		} `json:"info"`
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Security []map[string][]string `json:"security"`
		Tags     []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"tags"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type   string `json:"type"`
				Scheme string `json:"scheme"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}

	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if doc.Info.Title == "" || doc.Info.Version == "" || doc.Info.Description == "" {
		t.Errorf("info needs a title, a version and a description: %+v", doc.Info)
	}
	if doc.Info.License == nil || doc.Info.License.Name == "" { // info-license
		t.Errorf("info has no license with a name")
	}
	if len(doc.Servers) == 0 { // no-empty-servers
		t.Errorf("no servers")
	}
	for _, s := range doc.Servers {
		if s.URL != api.Prefix {
			t.Errorf("server %q, want %q", s.URL, api.Prefix)
		}
	}
	// security-defined: every operation is covered by a defined scheme.
	for name, s := range doc.Components.SecuritySchemes {
		if s.Type != "http" || s.Scheme != "bearer" {
			t.Errorf("security scheme %s is %s/%s, want http/bearer", name, s.Type, s.Scheme)
		}
	}
	checkSecurity := func(where string, reqs []map[string][]string) {
		for _, req := range reqs {
			for name := range req {
				if _, ok := doc.Components.SecuritySchemes[name]; !ok {
					t.Errorf("%s: security names an undefined scheme %q", where, name)
				}
			}
		}
	}
	if len(doc.Security) == 0 {
		t.Errorf("no document-wide security")
	}
	checkSecurity("document", doc.Security)

	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		if tag.Name == "" || tag.Description == "" || tags[tag.Name] {
			t.Errorf("tag %+v: want a unique name and a description", tag)
		}
		tags[tag.Name] = true
	}
	used := map[string]bool{}

	methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}
	pathParam := regexp.MustCompile(`\{([^}]+)\}`)
	urlSafe := regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	ids := map[string]string{}
	n := 0
	for path, item := range doc.Paths {
		for method, rawOp := range item {
			if !methods[method] {
				continue
			}
			n++
			where := strings.ToUpper(method) + " " + path
			var op struct {
				OperationID string   `json:"operationId"`
				Summary     string   `json:"summary"`
				Description string   `json:"description"`
				Tags        []string `json:"tags"`
				Parameters  []struct {
					Name     string `json:"name"`
					In       string `json:"in"`
					Required bool   `json:"required"`
				} `json:"parameters"`
				Responses map[string]struct {
					Description string                     `json:"description"`
					Content     map[string]json.RawMessage `json:"content"`
				} `json:"responses"`
				// A pointer: absent inherits the document's security, an
				// explicit [] would make the operation public.
				Security *[]map[string][]string `json:"security"`
			}
			if err := json.Unmarshal(rawOp, &op); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			// operation-operationId, operation-operationId-unique,
			// operation-operationId-url-safe
			if op.OperationID == "" || !urlSafe.MatchString(op.OperationID) {
				t.Errorf("%s: operationId %q", where, op.OperationID)
			}
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %q already used by %s", where, op.OperationID, prev)
			}
			ids[op.OperationID] = where
			if op.Summary == "" { // operation-summary
				t.Errorf("%s: no summary", where)
			}
			if op.Description == "" { // operation-description
				t.Errorf("%s: no description", where)
			}
			if len(op.Tags) == 0 {
				t.Errorf("%s: no tag", where)
			}
			for _, tag := range op.Tags { // operation-tag-defined
				used[tag] = true
				if !tags[tag] {
					t.Errorf("%s: tag %q is not among the document's tags", where, tag)
				}
			}
			if op.Security != nil { // otherwise the document's bearer scheme
				checkSecurity(where, *op.Security)
			}
			// path-parameters-defined: every {name} is a required path parameter.
			declared := map[string]bool{}
			for _, p := range op.Parameters {
				if p.In == "path" && p.Required {
					declared[p.Name] = true
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter %q is not declared as required", where, m[1])
				}
			}
			// operation-2xx-response, operation-4xx-response; every answer
			// described; errors are problem documents.
			var ok2xx, ok4xx bool
			for status, res := range op.Responses {
				ok2xx = ok2xx || strings.HasPrefix(status, "2")
				ok4xx = ok4xx || strings.HasPrefix(status, "4")
				if res.Description == "" {
					t.Errorf("%s: response %s has no description", where, status)
				}
				if status >= "400" {
					if _, ok := res.Content["application/problem+json"]; !ok {
						t.Errorf("%s: error response %s is not application/problem+json", where, status)
					}
				}
			}
			if !ok2xx || !ok4xx {
				t.Errorf("%s: responses need a 2xx and a 4xx, have %v", where, sortedKeys(op.Responses))
			}
			for _, status := range []string{"400", "401", "403"} {
				if _, ok := op.Responses[status]; !ok {
					t.Errorf("%s: no %s response", where, status)
				}
			}
			// Input errors are 400; only a reused Idempotency-Key is 422.
			keyed := false
			for _, p := range op.Parameters {
				keyed = keyed || p.Name == "Idempotency-Key"
			}
			if _, ok := op.Responses["422"]; ok && !keyed {
				t.Errorf("%s: declares 422, which it never sends", where)
			}
		}
	}
	if n == 0 {
		t.Fatal("the document has no operations")
	}
	for name := range tags { // tags of no operation are noise in the docs
		if !used[name] {
			t.Errorf("tag %q is used by no operation", name)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
