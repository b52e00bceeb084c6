package ivr

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/client"
)

// Signatures checks X-Twilio-Signature on every request it wraps. The URL
// signed is the configured public base URL plus the request's path and query
// (never the Host header or X-Forwarded-*, which a client controls), and the
// parameters are the POST form only (PostForm, not Form, which would mix in
// the query string). During a token rotation a second token is accepted.
type Signatures struct {
	PublicURL string   // e.g. https://support.example.com (no trailing slash)
	Tokens    []string // primary first; empty tokens are ignored
	Log       *slog.Logger
}

// Middleware answers 403 to any request whose signature does not verify,
// before any handler runs, so such a request changes nothing.
func (s Signatures) Middleware() echo.MiddlewareFunc {
	validators := make([]client.RequestValidator, 0, len(s.Tokens))
	for _, t := range s.Tokens {
		if t != "" {
			validators = append(validators, client.NewRequestValidator(t))
		}
	}
	base := strings.TrimRight(s.PublicURL, "/")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			sig := r.Header.Get("X-Twilio-Signature")
			url := base + r.URL.RequestURI()
			ok := false
			if sig != "" {
				if err := r.ParseForm(); err == nil {
					params := make(map[string]string, len(r.PostForm))
					for k, v := range r.PostForm {
						if len(v) > 0 {
							params[k] = v[0]
						}
					}
					for i := range validators {
						if validators[i].Validate(url, params, sig) {
							ok = true
							break
						}
					}
				}
			}
			if !ok {
				s.Log.Warn("twilio signature rejected",
					"request_id", c.Response().Header().Get(echo.HeaderXRequestID),
					"path", r.URL.Path, "signature_present", sig != "")
				return c.JSON(http.StatusForbidden, map[string]string{"error": "invalid Twilio signature"})
			}
			return next(c)
		}
	}
}
