// Package console is the web console on the admin listener: server-rendered
// pages (html/template, embedded), plain HTML forms that post and redirect,
// one stylesheet and a little script of our own. It is a face like the CLI
// and the API: a handler reads the form, asks the signed-in user's role
// (auth.Principal.Allows, the API's check), calls one domain method with
// the user's actor ("user:EMAIL"), and renders the answer or the error
// next to its field. Sessions are auth.Users'; cross-origin writes are
// refused by net/http's CrossOriginProtection; every page sends a
// Content-Security-Policy that allows only our own script and style.
package console

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"supportline/auth"
	"supportline/domain"
	"supportline/errcode"
	"supportline/notify"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Server is the console over the domain services. Build it as a literal
// with the services (domain.New) set, then Mount it once.
type Server struct {
	// Services are the domain services the pages call, and the policy
	// file in force.
	domain.Services
	// Recordings fetches voicemail audio from Twilio; nil without Twilio
	// credentials (the demo).
	Recordings *notify.Recordings
	Log        *slog.Logger
	// PublicURL is the console's address as browsers reach it
	// (SUPPORTLINE_ADMIN_URL): an https one makes the cookies Secure.
	PublicURL string

	pages map[string]*template.Template
	cop   *http.CrossOriginProtection
}

// The cookies the console sets.
const (
	sessionCookie = "supportline_session"
	onceCookie    = "supportline_once"
)

// csp allows only our own script, style, images and media, and no
// framing: an injected tag can load nothing from elsewhere.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Mount registers the console's pages at the root of e, the admin
// listener's Echo (the API keeps /api/v1), with its static files under
// /static/.
func (s *Server) Mount(e *echo.Echo) error {
	if err := s.parse(); err != nil {
		return err
	}
	s.cop = http.NewCrossOriginProtection()
	g := e.Group("", s.secure)
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return err
	}
	g.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServerFS(static))))
	s.registerSignIn(g)
	s.registerDashboard(g)
	s.registerTickets(g)
	s.registerAccounts(g)
	s.registerOnCall(g)
	s.registerRecords(g)
	s.registerFeeds(g)
	s.registerCoverage(g)
	s.wrapErrors(e)
	return nil
}

// wrapErrors makes Echo's own errors (an unknown page, a method a page
// does not take, a body over the limit) pages like the console's, for
// every path but the API's and the listener's own endpoints, which keep
// theirs.
func (s *Server) wrapErrors(e *echo.Echo) {
	prev := e.HTTPErrorHandler
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		p := c.Request().URL.Path
		var he *echo.HTTPError
		if c.Response().Committed || strings.HasPrefix(p, "/api/") || p == "/metrics" || p == "/healthz" || p == "/readyz" || !errors.As(err, &he) {
			prev(err, c)
			return
		}
		s.secure(func(c echo.Context) error {
			msg := http.StatusText(he.Code)
			if he.Code == http.StatusNotFound {
				msg = "There is no such page here."
			}
			return s.problem(c, he.Code, msg)
		})(c)
	}
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// secure is every console response's middleware: the security headers,
// and the refusal of cross-origin writes before any handler runs.
func (s *Server) secure(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		if err := s.cop.Check(c.Request()); err != nil {
			s.log().Warn("console: cross-origin request refused", "path", c.Request().URL.Path,
				"origin", c.Request().Header.Get("Origin"), "sec_fetch_site", c.Request().Header.Get("Sec-Fetch-Site"))
			return s.problem(c, http.StatusForbidden, "Refused: this form was sent from another site. Nothing was changed.")
		}
		return next(c)
	}
}

// handler is a page handler: it gets the signed-in user.
type handler func(c echo.Context, u auth.User) error

// signedIn runs h for a signed-in user whose role allows action; without
// a session it sends the browser to sign in (and back afterwards), and a
// role that may not is a 403 page in words.
func (s *Server) signedIn(action auth.Action, h handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, err := s.session(c)
		if errors.Is(err, auth.ErrNoSession) {
			if c.Request().Method != http.MethodGet {
				return s.problem(c, http.StatusUnauthorized, "Your session ended. Sign in again; nothing was changed.")
			}
			return c.Redirect(http.StatusSeeOther, "/signin?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		if err != nil {
			return s.fail(c, err)
		}
		if !u.Principal().Allows(action) {
			return s.problem(c, http.StatusForbidden, fmt.Sprintf("You are signed in as %s with role %s, which may not %s. Nothing was changed.",
				u.Email, u.Role, auth.Describe(action)))
		}
		c.Set("user", u)
		return h(c, u)
	}
}

// session is the user of the request's session cookie.
func (s *Server) session(c echo.Context) (auth.User, error) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil {
		return auth.User{}, auth.ErrNoSession
	}
	return s.Users.Resume(c.Request().Context(), ck.Value)
}

// secureCookies is whether cookies need https: when the console's public
// address is https.
func (s *Server) secureCookies() bool { return strings.HasPrefix(s.PublicURL, "https://") }

// setSessionCookie sets the session's cookie for the browser's session:
// without an expiry of its own, since the server ends sessions (idle 8 h,
// at most 7 days) by its clock, and a browser's clock may be wrong.
func (s *Server) setSessionCookie(c echo.Context, text string) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: text, Path: "/", HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearCookie(c echo.Context, name, path string) {
	c.SetCookie(&http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

// remoteHost is the client's address without its port (never a header a
// client can set: X-Forwarded-For is not trusted).
func remoteHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// view is what every page template gets.
type view struct {
	Title string
	// Nav is the section the page belongs to, for the navigation's
	// current mark.
	Nav string
	// User is the signed-in user; nil on the sign-in pages.
	User *auth.User
	// Notice is a line of confirmation after a change ("Ticket 100001
	// acknowledged."); Error a line of refusal not tied to one field.
	Notice, Error string
	// Fields are errors next to form fields, by field name; Form the
	// values posted, to fill the form again.
	Fields map[string]string
	Form   url.Values
	// Data is the page's own.
	Data any
}

// May reports whether the signed-in user may do action: templates show a
// button only to who may press it (the handler checks again).
func (v view) May(action string) bool {
	return v.User != nil && v.User.Principal().Allows(auth.Action(action))
}

// Value is a posted field's value, to fill a form again after an error.
func (v view) Value(field string) string { return v.Form.Get(field) }

// render writes page name with status.
func (s *Server) render(c echo.Context, status int, name string, v view) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("console: no page %q", name)
	}
	if u, ok := c.Get("user").(auth.User); ok && v.User == nil {
		v.User = &u
	}
	if v.Notice == "" {
		v.Notice = notices[c.QueryParam("done")]
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		return fmt.Errorf("console: render %s: %w", name, err)
	}
	return c.HTML(status, b.String())
}

// notices are the confirmations a redirect after a change names with
// ?done=KEY: fixed texts, so that a link cannot make the page say anything.
var notices = map[string]string{}

// notice registers the confirmation text of a done key; pages call it
// from their register functions.
func notice(key, text string) string {
	notices[key] = text
	return key
}

// redirect answers a successful post: see the page at path, with the
// notice of done.
func redirect(c echo.Context, path, done string) error {
	if done != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "done=" + url.QueryEscape(done)
	}
	return c.Redirect(http.StatusSeeOther, path)
}

// problem renders the error page with status and a message in words.
func (s *Server) problem(c echo.Context, status int, msg string) error {
	return s.render(c, status, "error", view{Title: http.StatusText(status), Error: msg})
}

// fail renders a domain error: its code's status and its words, or, for
// an internal failure, a line that tells nothing (the error goes to the
// log).
func (s *Server) fail(c echo.Context, err error) error {
	code := errcode.CodeOf(err)
	if code == errcode.Internal {
		s.log().ErrorContext(c.Request().Context(), "console request failed", "path", c.Request().URL.Path, "err", err)
		return s.problem(c, http.StatusInternalServerError, "Something went wrong on our side; nothing was changed. Try again, and tell your administrator if it goes on.")
	}
	return s.problem(c, errcode.HTTPStatus(code), upperFirst(errcode.Message(err)))
}

// formError re-renders a form page with err next to field (or above the
// form when field is empty), status from its code; an internal error is
// fail's.
func (s *Server) formError(c echo.Context, name string, v view, field string, err error) error {
	code := errcode.CodeOf(err)
	if code == errcode.Internal {
		return s.fail(c, err)
	}
	if v.Fields == nil {
		v.Fields = map[string]string{}
	}
	if field == "" {
		v.Error = upperFirst(errcode.Message(err))
	} else {
		v.Fields[field] = upperFirst(errcode.Message(err))
	}
	if v.Form == nil {
		if form, perr := c.FormParams(); perr == nil {
			v.Form = form
		}
	}
	return s.render(c, errcode.HTTPStatus(code), name, v)
}

// formField is the field of a form that err is about: errcode.FieldOf(err)
// when it is one of fields (the form's fields, by the names the domain
// gives them); "" otherwise, so that the page shows the error above the
// form rather than next to a field it does not have.
func formField(err error, fields ...string) string {
	if f := errcode.FieldOf(err); f != "" && slices.Contains(fields, f) {
		return f
	}
	return ""
}

// dateTimeLocal is the value of an <input type="datetime-local">.
const dateTimeLocal = "2006-01-02T15:04"

// formInstantLayouts are what formInstant takes, in its order.
var formInstantLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", dateTimeLocal, time.DateOnly}

// formInstant reads an instant a form field holds: an RFC 3339 time, or a
// browser's datetime-local value (with or without seconds) or a bare date
// (its midnight), both read as UTC: the console's forms that take one
// (the audit log's bounds, "where would a call go?") say they are in UTC.
func formInstant(v string) (time.Time, bool) {
	for _, layout := range formInstantLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ctx is the request's context.
func ctx(c echo.Context) context.Context { return c.Request().Context() }

// setOnce keeps value for the next page at path, and only that one: in a
// cookie for path that lives two minutes, sealed (AES-GCM) with a key
// derived from the session's own secret, which only this browser holds
// (the server keeps its hash). It is how a new PIN reaches the page after
// the post's redirect without being stored, logged or put in a URL, on
// whichever replica serves the page; takeOnce clears it, so a reload does
// not show it again.
func (s *Server) setOnce(c echo.Context, path, value string) error {
	aead, err := s.onceCipher(c, path)
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("console: nonce: %w", err)
	}
	sealed := aead.Seal(nonce, nonce, []byte(value), []byte(path))
	c.SetCookie(&http.Cookie{Name: onceCookie, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: path, MaxAge: 120,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteStrictMode})
	return nil
}

// takeOnce returns what setOnce kept for path, and clears it; "" when
// there is nothing (or nothing this session sealed).
func (s *Server) takeOnce(c echo.Context, path string) string {
	ck, err := c.Cookie(onceCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	c.SetCookie(&http.Cookie{Name: onceCookie, Value: "", Path: path, MaxAge: -1, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteStrictMode})
	sealed, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return ""
	}
	aead, err := s.onceCipher(c, path)
	if err != nil || len(sealed) < aead.NonceSize() {
		return ""
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(path))
	if err != nil {
		return ""
	}
	return string(plain)
}

// onceCipher is the AEAD of setOnce for the request's session and path.
func (s *Server) onceCipher(c echo.Context, path string) (cipher.AEAD, error) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil {
		return nil, auth.ErrNoSession
	}
	mac := hmac.New(sha256.New, []byte(ck.Value))
	mac.Write([]byte("supportline console once\x00" + path))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
