package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"supportline/api"
	"supportline/auth"
	"supportline/config"
	"supportline/domain"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/web"
)

// harness is the admin listener with the API mounted, on a fresh database,
// and a client that validates every answer against the served document.
type harness struct {
	t      testing.TB
	db     *store.DB
	srv    *api.Server
	http   *httptest.Server
	router routers.Router
	// limit is the clock of the bad-token limit.
	limit *storetest.Clock
	logs  *storetest.LogBuffer
	// Tokens of each role, and their names.
	admin, viewer, engineer string
}

func policy(t testing.TB) *config.Policy {
	t.Helper()
	p, err := config.Load("../examples/four-tier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newHarness(t testing.TB, db *store.DB) *harness {
	t.Helper()
	ctx := context.Background()
	pol := policy(t)
	logs := &storetest.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := domain.New(db, pol, log, nil, "")
	h := &harness{t: t, db: db, logs: logs, limit: storetest.NewClock(time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC))}
	h.srv = &api.Server{Services: *svc, Log: log, Clock: h.limit.Now}
	w := web.New(db, log)
	h.srv.Mount(w.Admin)
	h.http = httptest.NewServer(w.Admin)
	t.Cleanup(h.http.Close)

	if _, err := svc.OnCall.AddEngineer(ctx, "setup", oncall.NewEngineer{Handle: "alice", Name: "Alice", Phone: "+17205550111"}); err != nil {
		t.Fatal(err)
	}
	h.admin = h.token("crm", auth.Admin, "")
	h.viewer = h.token("dash", auth.Viewer, "")
	h.engineer = h.token("alice.phone", auth.Engineer, "alice")

	// The document the server serves, fetched without a token.
	res, err := http.Get(h.http.URL + api.Prefix + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET openapi.json: %d %s", res.StatusCode, raw)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("load the served document: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("the served document is not valid OpenAPI: %v", err)
	}
	// The server URL is relative (/api/v1); the router needs the test's.
	doc.Servers = openapi3.Servers{{URL: h.http.URL + api.Prefix}}
	if h.router, err = gorillamux.NewRouter(doc); err != nil {
		t.Fatal(err)
	}
	return h
}

// in is the harness reporting to t, a subtest of the one that built it:
// a failure inside h.do then names the subtest, and a fatal one stops only
// the subtest (FailNow must run on the goroutine of the test it fails).
func (h *harness) in(t testing.TB) *harness {
	c := *h
	c.t = t
	return &c
}

// token creates a token and returns its text.
func (h *harness) token(name string, role auth.Role, engineer string) string {
	h.t.Helper()
	_, text, err := h.srv.Tokens.Create(context.Background(), "setup", auth.NewToken{Name: name, Role: role, Engineer: engineer})
	if err != nil {
		h.t.Fatal(err)
	}
	return text
}

// response is one answer the client received, already validated.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on an error.
func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem decodes a problem document.
func (r response) Problem(t testing.TB) problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("error answered as %q, want application/problem+json: %s", ct, r.Body)
	}
	var p problem
	r.JSON(t, &p)
	if p.Status != r.Status || p.Title != http.StatusText(r.Status) {
		t.Errorf("problem %+v in a %d answer", p, r.Status)
	}
	return p
}

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Message  string `json:"message"`
		Location string `json:"location"`
	} `json:"errors"`
}

// do sends a request with token (none when empty) and body (JSON-encoded
// unless it is a string, sent as it is) and validates the answer against
// the document: its status must be declared and its body must match.
func (h *harness) do(method, path, token string, body any) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.http.URL+api.Prefix+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", token)
		if !strings.Contains(token, " ") {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	out := response{Status: res.StatusCode, Header: res.Header, Body: raw}
	h.validate(req, out)
	return out
}

// validate fails the test when the answer is outside the document.
func (h *harness) validate(req *http.Request, res response) {
	h.t.Helper()
	route, params, err := h.router.FindRoute(req)
	if err != nil {
		h.t.Errorf("%s %s: no operation in the document: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.Status,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(res.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		h.t.Errorf("%s %s answered %d outside the document: %v\n%s", req.Method, req.URL.Path, res.Status, err, res.Body)
	}
}

// want fails the test unless r has status.
func (r response) want(t testing.TB, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// rows is everything stored but the tokens' last use (which a refused
// request may record): what a refused request must leave as it was.
func (h *harness) rows() map[string]string {
	h.t.Helper()
	d := storetest.Dump(h.t, h.db)
	delete(d, "api_tokens")
	return d
}

// unchanged fails the test when rows differ from before.
func (h *harness) unchanged(before map[string]string, what string) {
	h.t.Helper()
	after := h.rows()
	for table, rows := range after {
		if before[table] != rows {
			h.t.Errorf("%s changed table %s:\nbefore: %s\nafter:  %s", what, table, before[table], rows)
		}
	}
}
