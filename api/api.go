// Package api is the admin HTTP API: JSON over the domain services under
// /api/v1 on the admin listener, with bearer tokens (package auth),
// errors as RFC 9457 problem documents mapped from errcode in one place,
// and an OpenAPI 3.1 document generated from the operations themselves
// (huma v2), so that the document cannot drift from the code. No rule
// lives here: a handler parses, asks the token's role, calls one domain
// method with the token's actor, and answers.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humaecho"
	"github.com/labstack/echo/v4"

	"supportline/auth"
	"supportline/domain"
	"supportline/errcode"
)

// Prefix is where the API is mounted on the admin listener.
const Prefix = "/api/v1"

// MaxBody is the largest request body accepted, as web's body limit.
const MaxBody = 64 << 10

// Server is the API over the domain services. Build it as a literal with
// the services (domain.New) set (Clock and Log may be nil), then Mount it
// once.
type Server struct {
	// Services are the domain services the operations call, and the
	// policy file in force (route and SLA questions read it).
	domain.Services
	Log *slog.Logger
	// Clock is what the per-address limit of bad tokens counts by; nil is
	// time.Now. Tests freeze it.
	Clock func() time.Time
	// Version is the API document's info.version.
	Version string
	// CORSOrigins are the browser origins allowed to call the API
	// (SUPPORTLINE_ADMIN_CORS_ORIGINS, checked by ParseCORSOrigins); none
	// means no CORS header is ever sent.
	CORSOrigins []string

	api     huma.API
	limiter *limiter
}

// Mount registers every operation, the OpenAPI document
// (/api/v1/openapi.json) and its page (/api/docs) on e, the admin
// listener's Echo, and makes the listener answer errors under /api/ as
// problem documents.
func (s *Server) Mount(e *echo.Echo) huma.API {
	clock := s.Clock
	if clock == nil {
		clock = time.Now
	}
	s.limiter = newLimiter(clock, badTokenLimit, badTokenWindow)
	version := s.Version
	if version == "" {
		version = "1"
	}
	g := e.Group(Prefix)
	s.api = humaecho.NewWithGroup(e, g, config(version))
	s.api.UseMiddleware(withOperation, s.authenticate, s.refuseUndeclaredBody, s.idempotent)
	s.registerAccounts()
	s.registerContacts()
	s.registerPins()
	s.registerTickets()
	s.registerOnCall()
	s.registerCoverage()
	s.dropUnsent()
	s.declareIdempotency()
	s.mountDocs(e) // /api/docs, from the finished document
	s.mountCORS(e)
	s.wrapEchoErrors(e)
	return s.api
}

// dropUnsent removes from the document the 422 answer huma declares for
// every operation with input: newError answers every input error with 400,
// so no operation sends 422 (declareIdempotency adds it back where a reused
// Idempotency-Key causes it).
func (s *Server) dropUnsent() {
	for _, item := range s.api.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Options, item.Head, item.Patch, item.Trace} {
			if op != nil {
				delete(op.Responses, "422")
			}
		}
	}
}

// log is Log, or a logger that discards when Log is nil: the Server is not
// changed after it is built.
func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// OpenAPI is the API's document, once mounted.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

// securityScheme is the name of the bearer scheme in the document.
const securityScheme = "bearer"

// config is huma's configuration without what needs the network or adds
// noise: no docs page (it loads scripts from a CDN), no $schema links in
// responses, no schema endpoints.
func config(version string) huma.Config {
	cfg := huma.DefaultConfig("Supportline admin API", version)
	cfg.CreateHooks = nil // the $schema link transformer
	cfg.DocsPath = ""
	cfg.SchemasPath = ""
	cfg.OpenAPIPath = "/openapi"
	cfg.OpenAPI.Info.Description = "Accounts, contacts, PINs, engineers, schedules, overrides, routing and SLA questions, " +
		"tickets, calls, the outbox and the audit log of Supportline. " +
		"Every operation needs `Authorization: Bearer slt_...`, a token made with `supportline token create` on the server."
	// Linters want a license (Redocly's info-license, and an SPDX
	// identifier or a URL: info-license-strict). The repository has no
	// LICENSE file, so the document says what that means (LicenseRef- is
	// SPDX's form for a license not on its list); change both together
	// when a license is chosen.
	cfg.OpenAPI.Info.License = &huma.License{Name: "Proprietary", Identifier: "LicenseRef-Proprietary"}
	cfg.OpenAPI.Tags = apiTags
	cfg.OpenAPI.Servers = []*huma.Server{{URL: Prefix}}
	cfg.OpenAPI.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		securityScheme: {Type: "http", Scheme: "bearer", Description: "A token made with `supportline token create` (slt_...)."},
	}
	cfg.OpenAPI.Security = []map[string][]string{{securityScheme: {}}}
	return cfg
}

// apiTags are the document's tags, in the order docs show them; every
// operation's tag is one of them (openapi_test checks).
var apiTags = []*huma.Tag{
	{Name: "accounts", Description: "Customer accounts and their plans."},
	{Name: "contacts", Description: "The named contacts of an account, who call the support line."},
	{Name: "pins", Description: "The phone PINs of contacts: status, rotate (shown once), revoke, unlock."},
	{Name: "engineers", Description: "The engineers who take calls."},
	{Name: "schedules", Description: "On-call rotations, their shifts, and who is on call."},
	{Name: "overrides", Description: "Temporary changes of who covers a schedule."},
	{Name: "routing", Description: "Why a call would go where it goes (route explain)."},
	{Name: "sla", Description: "Response deadlines of the policy: when a ticket is due, and why."},
	{Name: "tickets", Description: "Tickets opened by calls and voicemails: list, acknowledge, note, resolve, reopen."},
	{Name: "calls", Description: "Phone calls the line has taken: who called, when, and how each ended."},
	{Name: "outbox", Description: "Outgoing SMS and how each delivery went."},
	{Name: "audit", Description: "The audit log of every change."},
}

func init() {
	// huma builds its error documents through this variable; ours keeps
	// its RFC 9457 shape (type, title, status, detail, errors) and adds
	// our rules: every input error is 400 (schema or domain, one status
	// for one code, errcode.Invalid), an over-long body read through
	// web's limit is 413, and a 500 never carries internal text.
	huma.NewError = newError
}

func newError(status int, msg string, errs ...error) huma.StatusError {
	for _, err := range errs {
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
			status, errs = http.StatusRequestEntityTooLarge, nil
			break
		}
	}
	switch {
	case status == http.StatusUnprocessableEntity:
		status = http.StatusBadRequest
	case status == http.StatusRequestEntityTooLarge:
		msg, errs = tooLarge, nil
	case status >= 500 && status != http.StatusServiceUnavailable:
		msg, errs = internalMessage, nil
	}
	m := &huma.ErrorModel{Type: "about:blank", Status: status, Title: http.StatusText(status), Detail: msg}
	for _, err := range errs {
		if err != nil {
			m.Add(err)
		}
	}
	return m
}

// The details of the errors whose text is ours, not the domain's.
const (
	internalMessage = "internal error"
	tooLarge        = "the request body is larger than 64 KiB"
)

// problem turns a domain error into the answer: the status of its code
// (errcode.HTTPStatus is the one table) and its message; an internal
// failure is logged with the request's path and answered with no text.
// Invalid input about one field (errcode.FieldOf) also gets one entry in
// errors locating it as huma's own validation does ("body.phone",
// "query.at"), so a client can put the message next to its input.
func (s *Server) problem(ctx context.Context, op string, err error) error {
	code := errcode.CodeOf(err)
	if code == errcode.Internal {
		s.log().ErrorContext(ctx, "api request failed", "operation", op, "err", err)
		return newError(http.StatusInternalServerError, internalMessage)
	}
	msg := errcode.Message(err)
	if code == errcode.Invalid {
		operation, _ := ctx.Value(operationKey{}).(*huma.Operation)
		if loc := s.location(operation, errcode.FieldOf(err)); loc != "" {
			return newError(errcode.HTTPStatus(code), msg, &huma.ErrorDetail{Message: msg, Location: loc})
		}
	}
	return newError(errcode.HTTPStatus(code), msg)
}

// operationKey is the context key of the operation a request is for.
type operationKey struct{}

// withOperation makes the request's operation known to problem, which
// looks among its parameters and its body for the field of an error.
func withOperation(ctx huma.Context, next func(huma.Context)) {
	next(huma.WithValue(ctx, operationKey{}, ctx.Operation()))
}

// location is where field is in a request for op: "path.number" or
// "query.at" when it is one of op's parameters, "body.phone" when it is a
// property of op's JSON body; "" when op takes no such field (the domain
// names it otherwise than this operation does), since a location that
// points at nothing would mislead more than none.
func (s *Server) location(op *huma.Operation, field string) string {
	if op == nil || field == "" {
		return ""
	}
	for _, p := range op.Parameters {
		if p.Name == field {
			return p.In + "." + field
		}
	}
	if op.RequestBody == nil {
		return ""
	}
	mt := op.RequestBody.Content["application/json"]
	if mt == nil || mt.Schema == nil {
		return ""
	}
	body := mt.Schema
	if body.Ref != "" {
		body = s.api.OpenAPI().Components.Schemas.SchemaFromRef(body.Ref)
	}
	if body == nil || body.Properties[field] == nil {
		return ""
	}
	return "body." + field
}

// wrapEchoErrors makes Echo's own errors under /api/ (an unknown path or
// method, the listener's body limit on a declared Content-Length) problem
// documents like the API's; other paths keep the listener's answers.
func (s *Server) wrapEchoErrors(e *echo.Echo) {
	prev := e.HTTPErrorHandler
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if c.Response().Committed || !strings.HasPrefix(c.Request().URL.Path, "/api/") {
			prev(err, c)
			return
		}
		status := http.StatusInternalServerError
		msg := internalMessage
		var he *echo.HTTPError
		switch {
		case errors.As(err, &he):
			status, msg = he.Code, http.StatusText(he.Code)
			if status == http.StatusRequestEntityTooLarge {
				msg = tooLarge
			}
		default:
			s.log().Error("api request failed", "path", c.Request().URL.Path, "err", err)
		}
		writeProblem(c.Response(), c.Request(), status, msg)
	}
}

// writeProblem writes a problem document outside huma (Echo's errors).
func writeProblem(w http.ResponseWriter, r *http.Request, status int, msg string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_ = huma.DefaultJSONFormat.Marshal(w, newError(status, msg))
}

// refuseUndeclaredBody answers 400 to a body sent to an operation that
// takes none (huma would ignore it): a client that sends {"pin": ...} to
// rotate must not believe it chose the PIN.
func (s *Server) refuseUndeclaredBody(ctx huma.Context, next func(huma.Context)) {
	if ctx.Operation().RequestBody == nil {
		if n := ctx.Header("Content-Length"); (n != "" && n != "0") || ctx.Header("Transfer-Encoding") != "" {
			_ = huma.WriteErr(s.api, ctx, http.StatusBadRequest, "this operation takes no request body")
			return
		}
	}
	next(ctx)
}

// errorStatuses are the problem answers every operation may give.
var errorStatuses = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
	http.StatusRequestEntityTooLarge, http.StatusTooManyRequests, http.StatusInternalServerError}

// register adds an operation that needs action of the caller's token; h
// gets the token's principal and returns domain errors, which problem
// answers.
func register[I, O any](s *Server, op huma.Operation, action auth.Action, h func(ctx context.Context, p auth.Principal, in *I) (*O, error)) {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[actionKey] = action
	op.MaxBodyBytes = MaxBody + 1 // huma refuses a body that reaches the limit; 64 KiB itself is allowed
	op.Errors = append(append([]int(nil), errorStatuses...), op.Errors...)
	huma.Register(s.api, op, func(ctx context.Context, in *I) (*O, error) {
		p, ok := ctx.Value(principalKey{}).(auth.Principal)
		if !ok { // authenticate did not run: refuse rather than act as nobody
			return nil, newError(http.StatusUnauthorized, "a bearer token is required")
		}
		out, err := h(ctx, p, in)
		if err != nil {
			return nil, s.problem(ctx, op.OperationID, err)
		}
		return out, nil
	})
}
