package api_test

import (
	"html/template"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"supportline/api"
	"supportline/store"
	"supportline/store/storetest"
)

// getDocs fetches a docs URL without a token, as a browser would, and
// checks the security headers every answer of the page carries.
func getDocs(t *testing.T, h *harness, path, wantType string) string {
	t.Helper()
	res, err := http.Get(h.http.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), wantType) {
		t.Fatalf("GET %s: %d %s\n%.500s", path, res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "style-src 'self'") ||
		!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
		t.Errorf("GET %s: Content-Security-Policy %q; want no script, our own style only, no framing", path, csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
		if got := res.Header.Get(k); got != v {
			t.Errorf("GET %s: %s %q, want %q", path, k, got, v)
		}
	}
	return string(body)
}

// escaped is s as html/template writes it in text.
func escaped(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	if err := template.Must(template.New("").Parse("{{.}}")).Execute(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	articleRE = regexp.MustCompile(`(?s)<article class="op" id="([^"]+)">(.*?)</article>`)
	attrRE    = regexp.MustCompile(`\b(?:href|src|action)="([^"]*)"`)
)

// articles are the page's operations by id.
func articles(page string) map[string]string {
	out := map[string]string{}
	for _, m := range articleRE.FindAllStringSubmatch(page, -1) {
		out[m[1]] += m[2]
	}
	return out
}

// TestAPIDocs fetches /api/docs without a token and finds every operation
// of the served document on it, under its tag, with its method, path,
// summary, parameters, body and response statuses; the page has no
// script, loads nothing from elsewhere, links to the document, and is
// not an operation of the document itself.
func TestAPIDocs(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	doc := h.srv.OpenAPI()
	page := getDocs(t, h, api.DocsPath, "text/html")
	getDocs(t, h, api.DocsPath+".css", "text/css")

	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("the page has a script")
	}
	for _, m := range attrRE.FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "/") && !strings.HasPrefix(m[1], "#") || strings.HasPrefix(m[1], "//") {
			t.Errorf("the page refers to %q: only our own paths and anchors are allowed", m[1])
		}
	}
	if !strings.Contains(page, `<a href="/api/v1/openapi.json">`) || !strings.Contains(page, `<link rel="stylesheet" href="/api/docs.css">`) {
		t.Error("the page does not link to the document and its stylesheet")
	}
	for path := range doc.Paths {
		if strings.Contains(path, "docs") {
			t.Errorf("the document has %s: the page must not be an operation", path)
		}
	}

	// Tags in the document's order, each operation under its own.
	at := 0
	for _, tag := range doc.Tags {
		i := strings.Index(page[at:], "<h2>"+tag.Name+"</h2>")
		if i < 0 {
			t.Fatalf("tag %s missing or out of the document's order", tag.Name)
		}
		at += i
	}
	ops := operationsOf(doc)
	byID := articles(page)
	if len(byID) != len(ops) || len(articleRE.FindAllString(page, -1)) != len(ops) {
		t.Errorf("%d operations on the page (%d distinct), want the document's %d", len(articleRE.FindAllString(page, -1)), len(byID), len(ops))
	}
	for _, op := range ops {
		t.Run(op.OperationID, func(t *testing.T) {
			a, ok := byID[op.OperationID]
			if !ok {
				t.Fatalf("%s is not on the page", op)
			}
			section := page[strings.Index(page, `<section id="tag-`+op.Tags[0]+`">`):]
			if !strings.Contains(section[:strings.Index(section, "</section>")], `id="`+op.OperationID+`"`) {
				t.Errorf("%s is not under its tag %s", op, op.Tags[0])
			}
			want := []string{`<span class="method">` + op.method + `</span> <code>` + api.Prefix + op.path + `</code>`,
				escaped(t, op.Summary), escaped(t, op.Description)}
			for _, p := range op.Parameters {
				want = append(want, `<tr><td><code>`+escaped(t, p.Name)+`</code></td><td>`+p.In+`</td>`)
			}
			if op.RequestBody != nil {
				want = append(want, "<h4>Request body</h4>")
			}
			for status := range op.Responses {
				want = append(want, "<strong>"+status+"</strong>")
			}
			if op.Metadata[api.ActionKey] != nil {
				want = append(want, "Token roles that may call it: admin")
			}
			for _, w := range want {
				if !strings.Contains(a, w) {
					t.Errorf("%s: the page lacks %q in:\n%s", op, w, a)
				}
			}
		})
	}

	// A body's fields come from its schema, through $ref.
	if a := byID["add-engineer"]; a != "" && !strings.Contains(a, "<caption>Fields</caption>") {
		t.Errorf("add-engineer shows no fields of its body:\n%s", a)
	}
}

// TestAPIDocsEscapes: text from the document is text on the page, never
// markup, wherever it appears (the title, a summary, a description, a
// parameter, a field of a body).
func TestAPIDocsEscapes(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	doc := h.srv.OpenAPI()
	hostile := map[string]string{
		"version":     `1<script>alert("v")</script>`,
		"summary":     `Evil <script>alert('s')</script>`,
		"description": `<img src=x onerror=alert(1)> & "quotes" + more`,
		"parameter":   `</td></tr><tr><td><b>injected</b>`,
		"field":       `<field onclick="x">`,
		"field text":  `</table><form action="https://evil.example/">`,
	}
	doc.Info.Version = hostile["version"]
	doc.Paths["/hostile/{id}"] = &huma.PathItem{Post: &huma.Operation{
		OperationID: "hostile", Summary: hostile["summary"], Description: hostile["description"], Tags: []string{"audit"},
		Parameters: []*huma.Param{{Name: "id", In: "path", Required: true, Description: hostile["parameter"], Schema: &huma.Schema{Type: "string"}}},
		RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{"application/json": {Schema: &huma.Schema{
			Type: "object", Properties: map[string]*huma.Schema{hostile["field"]: {Type: "string", Description: hostile["field text"]}}}}}},
		Responses: map[string]*huma.Response{"204": {Description: "Done."}},
	}}
	page := getDocs(t, h, api.DocsPath, "text/html")

	for what, s := range hostile {
		if strings.Contains(page, s) {
			t.Errorf("the %s is on the page as markup: %q", what, s)
		}
		if !strings.Contains(page, escaped(t, s)) {
			t.Errorf("the %s is not on the page as text: want %q", what, escaped(t, s))
		}
	}
	for _, tag := range []string{"<script", "<img", "<b>", "<field", "<form"} {
		if strings.Contains(page, tag) {
			t.Errorf("the page has %s", tag)
		}
	}
	if a := articles(page)["hostile"]; !strings.Contains(a, `<span class="method">POST</span> <code>/api/v1/hostile/{id}</code>`) {
		t.Errorf("the added operation is not on the page:\n%s", a)
	}
}
