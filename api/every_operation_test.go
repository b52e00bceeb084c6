package api_test

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"supportline/api"
	"supportline/auth"
	"supportline/store"
	"supportline/store/storetest"
)

// TestAPIEveryOperation walks every operation of the served document, on
// both engines, and sends each the requests the issue says every endpoint
// must refuse: no token and an expired, a revoked and a malformed one (401
// with WWW-Authenticate); the token of every role that may not (403); with
// an admin token, malformed JSON, an unknown field, each body property of
// the wrong JSON type and out of its bounds, each typed or bounded path,
// query and header parameter wrong (400); and path ids that name nothing
// (404), for every role that may ask.
// Every value sent comes from the operation's schema and its action from
// its metadata, so a new operation is swept without being listed here.
// Nothing stored may change: the rows are compared after each operation.
func TestAPIEveryOperation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		bad := refusedTokens(t, h)
		doc := h.srv.OpenAPI()
		ops := operationsOf(doc)
		if len(ops) < 10 {
			t.Fatalf("the document has %d operations: the sweep would prove little", len(ops))
		}
		before := h.rows()
		prev := before
		for _, op := range ops {
			t.Run(op.OperationID, func(t *testing.T) {
				s := &sweep{t: t, h: h.in(t), doc: doc, op: op, bad: bad}
				s.run()
				s.h.unchanged(prev, op.String()+" (refused requests)")
			})
			prev = h.rows()
			h.limit.Advance(time.Minute) // three bad tokens an operation: stay under the limit
		}
		h.unchanged(before, "the sweep")
	})
}

// refusedTokens makes the tokens the server must refuse: one revoked, one
// expired (the database's clock moves past its hour; the harness's tokens
// last 90 days) and one malformed, by the name of the case.
func refusedTokens(t *testing.T, h *harness) []namedToken {
	t.Helper()
	ctx := context.Background()
	revoked := h.token("gone", auth.Admin, "")
	if err := h.srv.Tokens.Revoke(ctx, "setup", "gone"); err != nil {
		t.Fatal(err)
	}
	_, expired, err := h.srv.Tokens.Create(ctx, "setup", auth.NewToken{Name: "brief", Role: auth.Admin, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	storetest.ClockOf(h.db).Advance(time.Hour)
	return []namedToken{{"expired", expired}, {"revoked", revoked}, {"malformed", "slt_short"}}
}

type namedToken struct{ name, text string }

// operation is one operation of the document with where it is served.
type operation struct {
	method, path string
	*huma.Operation
}

func (o operation) String() string { return o.method + " " + o.path }

// operationsOf lists every operation of doc, by path and method.
func operationsOf(doc *huma.OpenAPI) []operation {
	var out []operation
	for path, item := range doc.Paths {
		for _, m := range []struct {
			method string
			op     *huma.Operation
		}{
			{http.MethodGet, item.Get}, {http.MethodPut, item.Put}, {http.MethodPost, item.Post},
			{http.MethodDelete, item.Delete}, {http.MethodOptions, item.Options}, {http.MethodHead, item.Head},
			{http.MethodPatch, item.Patch}, {http.MethodTrace, item.Trace},
		} {
			if m.op != nil {
				out = append(out, operation{m.method, path, m.op})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// sweep is the requests sent to one operation.
type sweep struct {
	t   *testing.T
	h   *harness
	doc *huma.OpenAPI
	op  operation
	bad []namedToken
	// ids are the path parameters' values that name nothing.
	ids map[string]string
	// unknownIDs is whether ids alone make the answer 404 (takesUnknownIDs).
	unknownIDs bool
}

// unknownField is the property no body schema has.
const unknownField = "supportline_unknown"

func (s *sweep) run() {
	t := s.t
	action, ok := s.op.Metadata[api.ActionKey].(auth.Action)
	if !ok || action == "" {
		t.Fatalf("%s has no %s metadata: every token would be refused", s.op, api.ActionKey)
	}
	s.ids = map[string]string{}
	for _, p := range s.params("path") {
		v, err := unknownValue(p.Schema)
		if err != nil {
			t.Fatalf("%s: path parameter %s: %v", s.op, p.Name, err)
		}
		s.ids[p.Name] = v
	}
	s.unknownIDs = s.takesUnknownIDs()

	// The token: missing, or refused for any reason, is 401 with a
	// challenge, before the body is looked at.
	for _, tok := range append([]namedToken{{"no token", ""}}, s.bad...) {
		r := s.send(tok.text, nil, nil, s.someBody())
		s.want(r, http.StatusUnauthorized, tok.name)
		if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm=`) {
			t.Errorf("%s with %s: WWW-Authenticate %q", s.op, tok.name, got)
		}
	}

	// The action is the handler's own word: hold it to the method's. A GET
	// reads (secrets or not) and nothing else does; a viewer changes
	// nothing whatever the action says.
	reads := s.op.method == http.MethodGet || s.op.method == http.MethodHead
	if reads != (action == auth.Read || action == auth.ReadSecrets) {
		t.Errorf("%s needs action %q: only a GET may be a read", s.op, action)
	}

	// The role: 403 for every role that may not; a role that may tries
	// ids that name nothing.
	for _, tok := range []struct {
		role auth.Role
		text string
	}{{auth.Admin, s.h.admin}, {auth.Viewer, s.h.viewer}, {auth.Engineer, s.h.engineer}} {
		who := "the " + string(tok.role) + " token"
		switch {
		case !tok.role.Allows(action) || (tok.role == auth.Viewer && !reads):
			r := s.send(tok.text, nil, nil, s.someBody())
			if p := s.want(r, http.StatusForbidden, who); r.Status == http.StatusForbidden && !strings.Contains(p.Detail, "may not") {
				t.Errorf("%s with %s: 403 detail %q does not say what the role may not do", s.op, who, p.Detail)
			}
		case action == auth.OverrideOwn && !tok.role.Allows(auth.AdminWork):
			// May try, on schedules its engineer is a member of: the
			// harness has no schedule, so the answer is 404 (the schedule
			// or override is unknown) or 403 (not a member), never a change.
			r := s.send(tok.text, nil, nil, s.exampleBody(nil))
			if r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
				t.Errorf("%s with %s on an unknown schedule: %d, want 403 or 404: %s", s.op, who, r.Status, r.Body)
			} else {
				r.Problem(t)
			}
		case tok.role != auth.Admin && s.unknownIDs:
			s.want(s.send(tok.text, nil, nil, s.exampleBody(nil)), http.StatusNotFound, who+" and ids that name nothing")
		}
	}
	if !auth.Admin.Allows(action) {
		return // nothing below can be reached
	}

	if s.op.RequestBody != nil {
		s.badBodies()
	}
	s.badParams()
	if s.unknownIDs {
		s.want(s.send(s.h.admin, nil, nil, s.exampleBody(nil)), http.StatusNotFound, "an admin token and ids that name nothing")
	}
}

// takesUnknownIDs reports whether the operation names something by its
// path and the schema alone makes a request of it (no body, or its example
// body): then ids that name nothing are 404, and the operation must
// declare 404. A required body with nothing to fill it with (a PATCH whose
// properties have no example: {} is refused as "nothing to change" before
// anything is looked up) is left out.
func (s *sweep) takesUnknownIDs() bool {
	if len(s.ids) == 0 {
		return false
	}
	if s.op.RequestBody != nil && s.op.RequestBody.Required {
		if b, _ := s.exampleBody(nil).(map[string]any); len(b) == 0 {
			return false
		}
	}
	if _, ok := s.op.Responses["404"]; !ok {
		s.t.Errorf("%s names something by its path but declares no 404", s.op)
		return false
	}
	return true
}

// badBodies sends, with an admin token, the bodies the operation's schema
// refuses: each is 400, and names the property at fault.
func (s *sweep) badBodies() {
	t := s.t
	schema := s.bodySchema()
	if schema == nil {
		return
	}
	if s.op.RequestBody.Required {
		s.want(s.send(s.h.admin, nil, nil, nil), http.StatusBadRequest, "no body")
	}
	s.want(s.send(s.h.admin, nil, nil, `{"name":`), http.StatusBadRequest, "malformed JSON")
	r := s.send(s.h.admin, nil, nil, map[string]any{unknownField: true})
	s.wantNamed(r, "body."+unknownField, "an unknown field")

	for _, name := range slices.Sorted(maps.Keys(schema.Properties)) {
		prop := s.resolve(schema.Properties[name])
		if v, ok := wrongType(prop); ok {
			r := s.send(s.h.admin, nil, nil, s.exampleBody(map[string]any{name: v}))
			s.wantNamed(r, "body."+name, fmt.Sprintf("property %s as %T", name, v))
		} else {
			t.Errorf("%s: property %s has type %q, which the sweep cannot send wrong", s.op, name, prop.Type)
		}
		for _, v := range outOfRange(prop) {
			r := s.send(s.h.admin, nil, nil, s.exampleBody(map[string]any{name: v}))
			s.wantNamed(r, "body."+name, fmt.Sprintf("property %s out of its bounds (%v)", name, short(v)))
		}
	}
}

// badParams sends, with an admin token, each path, query and header
// parameter of the wrong type or out of its bounds: 400, naming it.
func (s *sweep) badParams() {
	for _, in := range []string{"path", "query", "header"} {
		for _, p := range s.params(in) {
			var values []any
			if v, ok := wrongText(p.Schema); ok {
				values = append(values, v)
			}
			values = append(values, outOfRange(p.Schema)...)
			for _, v := range values {
				text := fmt.Sprint(v)
				var (
					path   map[string]string
					query  url.Values
					header map[string]string
				)
				switch in {
				case "path":
					path = map[string]string{p.Name: text}
				case "query":
					query = url.Values{p.Name: {text}}
				case "header":
					if text == "" {
						continue // an empty header is no header
					}
					header = map[string]string{p.Name: text}
				}
				body := any(nil)
				if s.op.RequestBody != nil && s.op.RequestBody.Required {
					body = s.exampleBody(nil)
				}
				r := s.sendWith(s.h.admin, path, query, body, header)
				s.wantNamed(r, in+"."+p.Name, fmt.Sprintf("%s parameter %s=%v", in, p.Name, short(v)))
			}
		}
	}
}

// send makes the request with the path ids that name nothing, except those
// of path, and query.
func (s *sweep) send(token string, path map[string]string, query url.Values, body any) response {
	s.t.Helper()
	return s.sendWith(token, path, query, body, nil)
}

// sendWith is send with request headers (harness.send, which takes no
// body as text and no Authorization but a token).
func (s *sweep) sendWith(token string, path map[string]string, query url.Values, body any, header map[string]string) response {
	s.t.Helper()
	u := s.op.path
	for name, v := range s.ids {
		if p, ok := path[name]; ok {
			v = p
		}
		u = strings.ReplaceAll(u, "{"+name+"}", url.PathEscape(v))
	}
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	if len(header) > 0 {
		return s.h.send(s.op.method, u, token, body, header)
	}
	return s.h.do(s.op.method, u, token, body)
}

// want fails unless r is a problem document of status; it returns the
// problem.
func (s *sweep) want(r response, status int, what string) problem {
	s.t.Helper()
	if r.Status != status {
		s.t.Errorf("%s with %s: %d, want %d: %s", s.op, what, r.Status, status, r.Body)
		return problem{}
	}
	return r.Problem(s.t)
}

// wantNamed fails unless r is a 400 whose errors name location (body.x,
// query.limit): the refusal is for the reason the test gave, not another.
func (s *sweep) wantNamed(r response, location, what string) {
	s.t.Helper()
	p := s.want(r, http.StatusBadRequest, what)
	if r.Status != http.StatusBadRequest {
		return
	}
	for _, e := range p.Errors {
		if e.Location == location || strings.HasPrefix(e.Location, location+".") || strings.HasPrefix(e.Location, location+"[") {
			return
		}
	}
	s.t.Errorf("%s with %s: the 400 does not name %s: %s", s.op, what, location, r.Body)
}

// params are the operation's parameters in the given place.
func (s *sweep) params(in string) []*huma.Param {
	var out []*huma.Param
	for _, p := range s.op.Parameters {
		if p.In == in {
			out = append(out, p)
		}
	}
	return out
}

// bodySchema is the schema of the JSON body, references followed.
func (s *sweep) bodySchema() *huma.Schema {
	mt := s.op.RequestBody.Content["application/json"]
	if mt == nil || mt.Schema == nil {
		s.t.Errorf("%s takes a body that is not JSON", s.op)
		return nil
	}
	schema := s.resolve(mt.Schema)
	if schema.Type != "object" {
		s.t.Errorf("%s takes a %q body: the sweep knows objects", s.op, schema.Type)
		return nil
	}
	return schema
}

func (s *sweep) resolve(schema *huma.Schema) *huma.Schema {
	if schema != nil && schema.Ref != "" {
		return s.doc.Components.Schemas.SchemaFromRef(schema.Ref)
	}
	return schema
}

// someBody is what a request refused before its body is read carries:
// an empty object to an operation that takes a body, nothing otherwise.
func (s *sweep) someBody() any {
	if s.op.RequestBody == nil {
		return nil
	}
	return map[string]any{}
}

// exampleBody is the body with every property at its documented example,
// and the required ones without an example at their type's zero value;
// then the values of set.
func (s *sweep) exampleBody(set map[string]any) any {
	if s.op.RequestBody == nil {
		return nil
	}
	schema := s.bodySchema()
	if schema == nil {
		return map[string]any{}
	}
	body := map[string]any{}
	for name, prop := range schema.Properties {
		if prop = s.resolve(prop); len(prop.Examples) > 0 {
			body[name] = prop.Examples[0]
		}
	}
	for _, name := range schema.Required {
		if prop := s.resolve(schema.Properties[name]); prop != nil && body[name] == nil {
			body[name] = map[string]any{"string": "", "integer": 0, "number": 0, "boolean": false, "array": []any{}, "object": map[string]any{}}[prop.Type]
		}
	}
	for k, v := range set {
		body[k] = v
	}
	return body
}

// unknownValue is a value of a path parameter that the schema accepts but
// that names nothing: an integer far beyond any fixture within the bounds,
// or the parameter's example reshaped (digits become 9, lowercase letters
// z or f, so a hex digit stays one; the rest, such as a CA prefix, stays)
// to match its pattern and lengths.
func unknownValue(schema *huma.Schema) (string, error) {
	switch schema.Type {
	case "integer", "number":
		v := 99999999.0
		if schema.Maximum != nil {
			v = math.Min(v, *schema.Maximum)
		}
		if schema.Minimum != nil {
			v = math.Max(v, *schema.Minimum)
		}
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case "string":
	default:
		return "", fmt.Errorf("type %q: the sweep knows integers and strings", schema.Type)
	}
	seeds := []string{"nothing"}
	for _, e := range schema.Examples {
		seeds = append([]string{fmt.Sprint(e)}, seeds...)
	}
	for _, seed := range seeds {
		for _, letter := range []rune{'z', 'f'} {
			v := strings.Map(func(r rune) rune {
				switch {
				case r >= '0' && r <= '9':
					return '9'
				case r >= 'a' && r <= 'z':
					return letter
				}
				return r
			}, seed)
			if accepts(schema, v) {
				return v, nil
			}
		}
	}
	return "", fmt.Errorf("no value from the examples %v matches pattern %q and the lengths: give it an example", schema.Examples, schema.Pattern)
}

// accepts reports whether a string schema's pattern and lengths allow v.
func accepts(schema *huma.Schema, v string) bool {
	if schema.Pattern != "" && !regexp.MustCompile(schema.Pattern).MatchString(v) {
		return false
	}
	n := len([]rune(v))
	return (schema.MinLength == nil || n >= *schema.MinLength) && (schema.MaxLength == nil || n <= *schema.MaxLength)
}

// wrongType is a value of another JSON type than the schema's: a number
// for a string, a string for a number or a boolean, an object for an array.
func wrongType(schema *huma.Schema) (any, bool) {
	switch schema.Type {
	case "string":
		return 12345, true
	case "integer", "number":
		return "twelve", true
	case "boolean":
		return "maybe", true
	case "array":
		return map[string]any{}, true
	case "object":
		return "text", true
	}
	return nil, false
}

// wrongText is a parameter's text that is not of its schema's type (in a
// URL or a header, every value is text: only a typed one can be wrong).
func wrongText(schema *huma.Schema) (string, bool) {
	switch {
	case schema.Type == "integer" || schema.Type == "number":
		return "twelve", true
	case schema.Type == "boolean":
		return "maybe", true
	case schema.Type == "string" && (schema.Format == "date-time" || schema.Format == "date"):
		return "yesterday", true
	}
	return "", false
}

// outOfRange are values of the schema's type that its bounds refuse: below
// minimum, above maximum, too short or long, outside the enum, against the
// pattern.
func outOfRange(schema *huma.Schema) []any {
	var out []any
	num := func(v float64) any {
		if schema.Type == "integer" {
			return int64(v)
		}
		return v
	}
	switch schema.Type {
	case "integer", "number":
		step := 1.0
		if schema.Type == "number" {
			step = 0.5
		}
		if schema.Minimum != nil {
			out = append(out, num(*schema.Minimum-step))
		}
		if schema.ExclusiveMinimum != nil {
			out = append(out, num(*schema.ExclusiveMinimum))
		}
		if schema.Maximum != nil {
			out = append(out, num(*schema.Maximum+step))
		}
		if schema.ExclusiveMaximum != nil {
			out = append(out, num(*schema.ExclusiveMaximum))
		}
		if len(schema.Enum) > 0 {
			v := 0.0
			for _, e := range schema.Enum {
				if f, ok := e.(float64); ok {
					v = math.Max(v, f)
				} else if i, ok := e.(int); ok {
					v = math.Max(v, float64(i))
				}
			}
			out = append(out, num(v+1))
		}
	case "string":
		if schema.MinLength != nil && *schema.MinLength > 0 {
			out = append(out, strings.Repeat("z", *schema.MinLength-1))
		}
		if schema.MaxLength != nil {
			out = append(out, strings.Repeat("z", *schema.MaxLength+1))
		}
		if len(schema.Enum) > 0 {
			out = append(out, "not-one-of-them")
		}
		if schema.Pattern != "" && !regexp.MustCompile(schema.Pattern).MatchString("!") {
			out = append(out, "!")
		}
	}
	return out
}

// short is v for a message: a long string by its length.
func short(v any) string {
	if s, ok := v.(string); ok && len(s) > 20 {
		return fmt.Sprintf("%d characters", len(s))
	}
	return fmt.Sprint(v)
}
