package api

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/labstack/echo/v4"

	"supportline/auth"
)

// DocsPath is the API's human-readable documentation on the admin
// listener: a page of our own, rendered from the OpenAPI document, with no
// script and nothing from the network (huma's docs page loads a CDN's).
// Like the document, it needs no token. It is a plain route, not an
// operation: it is not in the document it shows.
const DocsPath = "/api/docs"

//go:embed docs.html
var docsHTML string

//go:embed docs.css
var docsCSS []byte

var docsTemplate = template.Must(template.New("docs").Parse(docsHTML))

// docsCSP allows our own stylesheet and nothing else: no script, no
// images, no framing (the console's policy, less what the page needs not).
const docsCSP = "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// mountDocs serves the page and its stylesheet with the console's
// security headers. The page is rendered once, at its first request, from
// the document as it then is (Mount has finished amending it).
func (s *Server) mountDocs(e *echo.Echo) {
	render := sync.OnceValues(func() ([]byte, error) {
		var page bytes.Buffer
		if err := docsTemplate.Execute(&page, docsOf(s.api.OpenAPI())); err != nil {
			return nil, fmt.Errorf("render the API docs page: %w", err)
		}
		return page.Bytes(), nil
	})
	secure := func(c echo.Context) {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", docsCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
	}
	e.GET(DocsPath, func(c echo.Context) error {
		secure(c)
		c.Response().Header().Set("Cache-Control", "no-store")
		page, err := render()
		if err != nil {
			return err // logged and answered 500 by wrapEchoErrors
		}
		return c.HTMLBlob(http.StatusOK, page)
	})
	e.GET(DocsPath+".css", func(c echo.Context) error {
		secure(c)
		return c.Blob(http.StatusOK, "text/css; charset=utf-8", docsCSS)
	})
}

// docsPage is what docs.html shows.
type docsPage struct {
	Title, Version, Description string
	// Document is the address of the OpenAPI document.
	Document string
	Tags     []docsTag
}

type docsTag struct {
	Name, Description string
	Ops               []docsOp
}

type docsOp struct {
	ID, Method, Path, Summary, Description string
	Deprecated                             bool
	// Roles are the token roles that may call it; NoToken is an operation
	// that needs none.
	Roles     string
	NoToken   bool
	Params    []docsField
	Body      *docsBody
	Responses []docsResponse
}

// docsField is a parameter or a property of a body.
type docsField struct {
	Name, In, Type, Description string
	Required                    bool
}

type docsBody struct {
	MediaType, Description string
	Required               bool
	docsSchema
}

type docsResponse struct {
	Status, Description, MediaType string
	docsSchema
}

// docsSchema is a body's type and, for an object or an array of objects,
// its properties (of each item, for an array: Each).
type docsSchema struct {
	Type   string
	Fields []docsField
	Each   bool
}

// methods are the methods an operation may have, in the order docs list
// one path's.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodTrace}

func operationOf(item *huma.PathItem, method string) *huma.Operation {
	switch method {
	case http.MethodGet:
		return item.Get
	case http.MethodHead:
		return item.Head
	case http.MethodPost:
		return item.Post
	case http.MethodPut:
		return item.Put
	case http.MethodPatch:
		return item.Patch
	case http.MethodDelete:
		return item.Delete
	case http.MethodOptions:
		return item.Options
	case http.MethodTrace:
		return item.Trace
	}
	return nil
}

// docsOf is the page of doc: its tags in the document's order, each with
// its operations by path and method; an operation with an undeclared tag,
// or none, is listed under "other", so that every operation is shown.
func docsOf(doc *huma.OpenAPI) docsPage {
	p := docsPage{Title: doc.Info.Title, Version: doc.Info.Version, Description: doc.Info.Description, Document: Prefix + "/openapi.json"}
	index := map[string]int{}
	for _, t := range doc.Tags {
		index[t.Name] = len(p.Tags)
		p.Tags = append(p.Tags, docsTag{Name: t.Name, Description: t.Description})
	}
	for _, route := range slices.Sorted(maps.Keys(doc.Paths)) {
		for _, m := range methods {
			op := operationOf(doc.Paths[route], m)
			if op == nil {
				continue
			}
			d, placed := docOp(doc, m, route, op), false
			for _, t := range op.Tags {
				if i, ok := index[t]; ok && t != "other" {
					p.Tags[i].Ops, placed = append(p.Tags[i].Ops, d), true
				}
			}
			if !placed {
				i, ok := index["other"]
				if !ok {
					i = len(p.Tags)
					index["other"] = i
					p.Tags = append(p.Tags, docsTag{Name: "other", Description: "Operations without a tag the document declares."})
				}
				p.Tags[i].Ops = append(p.Tags[i].Ops, d)
			}
		}
	}
	return p
}

func docOp(doc *huma.OpenAPI, method, route string, op *huma.Operation) docsOp {
	d := docsOp{ID: op.OperationID, Method: method, Path: serverPrefix(doc) + route, Summary: op.Summary,
		Description: op.Description, Deprecated: op.Deprecated}
	if action, ok := op.Metadata[actionKey].(auth.Action); ok {
		var roles []string
		for _, r := range auth.Roles {
			if r.Allows(action) {
				roles = append(roles, string(r))
			}
		}
		d.Roles = strings.Join(roles, ", ")
	}
	d.NoToken = op.Security != nil && len(op.Security) == 0
	reg := doc.Components.Schemas
	for _, p := range op.Parameters {
		if p.Ref != "" && doc.Components.Parameters[path.Base(p.Ref)] != nil {
			p = doc.Components.Parameters[path.Base(p.Ref)]
		}
		d.Params = append(d.Params, docsField{Name: p.Name, In: p.In, Type: typeOf(reg, p.Schema), Description: p.Description, Required: p.Required})
	}
	if b := op.RequestBody; b != nil {
		if b.Ref != "" && doc.Components.RequestBodies[path.Base(b.Ref)] != nil {
			b = doc.Components.RequestBodies[path.Base(b.Ref)]
		}
		mt, content := firstContent(b.Content)
		d.Body = &docsBody{MediaType: mt, Description: b.Description, Required: b.Required}
		if content != nil {
			d.Body.docsSchema = schemaOf(reg, content.Schema)
		}
	}
	statuses := slices.SortedFunc(maps.Keys(op.Responses), func(a, b string) int { return cmp.Compare(statusOrder(a), statusOrder(b)) })
	for _, status := range statuses {
		r := op.Responses[status]
		if r.Ref != "" && doc.Components.Responses[path.Base(r.Ref)] != nil {
			r = doc.Components.Responses[path.Base(r.Ref)]
		}
		mt, content := firstContent(r.Content)
		out := docsResponse{Status: status, Description: r.Description, MediaType: mt}
		if content != nil {
			if success := strings.HasPrefix(status, "2"); success {
				out.docsSchema = schemaOf(reg, content.Schema)
			} else {
				out.Type = typeOf(reg, content.Schema) // the problem document, the same for every error
			}
		}
		d.Responses = append(d.Responses, out)
	}
	return d
}

// serverPrefix is the path of the document's first server (/api/v1), so
// that the page shows paths as a client sends them.
func serverPrefix(doc *huma.OpenAPI) string {
	if len(doc.Servers) > 0 && strings.HasPrefix(doc.Servers[0].URL, "/") {
		return strings.TrimSuffix(doc.Servers[0].URL, "/")
	}
	return ""
}

// statusOrder sorts statuses numerically, with "default" (or any other
// word) last.
func statusOrder(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return 1000
}

// firstContent is a body's media type and its schema: JSON when offered,
// else the first by name.
func firstContent(content map[string]*huma.MediaType) (string, *huma.MediaType) {
	if len(content) == 0 {
		return "", nil
	}
	if c, ok := content["application/json"]; ok {
		return "application/json", c
	}
	names := slices.Sorted(maps.Keys(content))
	return names[0], content[names[0]]
}

// resolve follows a schema's $ref into the registry.
func resolve(reg huma.Registry, s *huma.Schema) *huma.Schema {
	for i := 0; s != nil && s.Ref != "" && i < 8; i++ {
		s = reg.SchemaFromRef(s.Ref)
	}
	return s
}

// schemaOf is a body's type and the properties of the object it is, or of
// the objects it is an array of.
func schemaOf(reg huma.Registry, s *huma.Schema) docsSchema {
	out := docsSchema{Type: typeOf(reg, s)}
	obj := resolve(reg, s)
	if obj != nil && obj.Type == "array" {
		obj, out.Each = resolve(reg, obj.Items), true
	}
	if obj == nil || len(obj.Properties) == 0 {
		out.Each = false
		return out
	}
	for _, n := range slices.Sorted(maps.Keys(obj.Properties)) {
		p := obj.Properties[n]
		out.Fields = append(out.Fields, docsField{Name: n, Type: typeOf(reg, p), Required: slices.Contains(obj.Required, n),
			Description: cmp.Or(p.Description, resolve(reg, p).Description)})
	}
	return out
}

// typeOf says what a value of schema s is, in a few words: its type and
// format, or the name of the object it refers to, and its bounds.
func typeOf(reg huma.Registry, s *huma.Schema) string {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		r := resolve(reg, s)
		if r == nil || r.Type == "object" || r.Type == "" {
			return path.Base(s.Ref)
		}
		return typeOf(reg, r)
	}
	var t string
	switch {
	case s.Type == "array":
		t = "array of " + cmp.Or(typeOf(reg, s.Items), "anything")
	case len(s.OneOf) > 0 || len(s.AnyOf) > 0:
		var alts []string
		for _, a := range append(append([]*huma.Schema(nil), s.OneOf...), s.AnyOf...) {
			alts = append(alts, typeOf(reg, a))
		}
		t = strings.Join(alts, " or ")
	default:
		t = cmp.Or(s.Type, "any")
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	if s.Nullable {
		t += " or null"
	}
	return strings.Join(append([]string{t}, limitsOf(s)...), ", ")
}

// limitsOf are the bounds a value must keep, in words.
func limitsOf(s *huma.Schema) []string {
	var out []string
	if len(s.Enum) > 0 {
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = fmt.Sprint(v)
		}
		out = append(out, "one of "+strings.Join(vals, ", "))
	}
	num := func(f *float64) string { return strconv.FormatFloat(*f, 'f', -1, 64) }
	switch {
	case s.Minimum != nil && s.Maximum != nil:
		out = append(out, "from "+num(s.Minimum)+" to "+num(s.Maximum))
	case s.Minimum != nil:
		out = append(out, "at least "+num(s.Minimum))
	case s.Maximum != nil:
		out = append(out, "at most "+num(s.Maximum))
	}
	if s.ExclusiveMinimum != nil {
		out = append(out, "more than "+num(s.ExclusiveMinimum))
	}
	if s.ExclusiveMaximum != nil {
		out = append(out, "less than "+num(s.ExclusiveMaximum))
	}
	out = append(out, countLimits(s.MinLength, s.MaxLength, "characters")...)
	out = append(out, countLimits(s.MinItems, s.MaxItems, "items")...)
	if s.Pattern != "" {
		out = append(out, "matching "+cmp.Or(s.PatternDescription, s.Pattern))
	}
	if s.Default != nil {
		out = append(out, fmt.Sprintf("default %v", s.Default))
	}
	return out
}

func countLimits(lo, hi *int, unit string) []string {
	switch {
	case lo != nil && hi != nil:
		return []string{fmt.Sprintf("%d to %d %s", *lo, *hi, unit)}
	case lo != nil && *lo > 0:
		return []string{fmt.Sprintf("at least %d %s", *lo, unit)}
	case hi != nil:
		return []string{fmt.Sprintf("at most %d %s", *hi, unit)}
	}
	return nil
}
