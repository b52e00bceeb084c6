package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// The CORS answers for the origins allowed to call the API from a
// browser. Tokens travel in the Authorization header, never in cookies, so
// credentials are not allowed.
const (
	corsAllowMethods  = "GET, POST, PUT, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, " + IdempotencyHeader
	corsExposeHeaders = "Retry-After, WWW-Authenticate, " + ReplayedHeader
	corsMaxAge        = "600"
)

// ParseCORSOrigins reads a comma-separated list of origins such as
// "https://admin.example.com, http://localhost:3000": each a scheme
// (http or https) and host with an optional port, and nothing else (no
// path, query, user or trailing slash), as browsers send in Origin.
// Spaces around the commas are ignored; an empty list is nil (no CORS).
func ParseCORSOrigins(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			if strings.TrimSpace(list) == "" {
				continue
			}
			return nil, fmt.Errorf("an empty origin in %q", list)
		}
		if err := checkOrigin(o); err != nil {
			return nil, err
		}
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out, nil
}

func checkOrigin(o string) error {
	u, err := url.Parse(o)
	bad := fmt.Errorf("%q is not an origin such as https://admin.example.com (scheme://host[:port], no path)", o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(o, "?#") || u.Opaque != "" {
		return bad
	}
	if u.Hostname() == "" || strings.ToLower(o) != o {
		// Browsers send the origin in lower case; a capital letter here
		// would never match.
		return fmt.Errorf("%q is not an origin such as https://admin.example.com (lower case, scheme://host[:port])", o)
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad
		}
	}
	return nil
}

// mountCORS answers browsers for the origins in CORSOrigins, under the
// API's prefix only: Access-Control-Allow-Origin for a listed origin
// (exact match), preflight OPTIONS requests, and Vary: Origin so that no
// cache gives one origin's answer to another. With no origins it adds
// nothing: no CORS header is ever sent.
func (s *Server) mountCORS(e *echo.Echo) {
	if len(s.CORSOrigins) == 0 {
		return
	}
	allowed := make(map[string]bool, len(s.CORSOrigins))
	for _, o := range s.CORSOrigins {
		allowed[o] = true
	}
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if !strings.HasPrefix(r.URL.Path, Prefix+"/") {
				return next(c)
			}
			h := c.Response().Header()
			h.Add("Vary", "Origin")
			origin := r.Header.Get("Origin")
			if !allowed[origin] {
				return next(c)
			}
			h.Set("Access-Control-Allow-Origin", origin)
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				h.Set("Access-Control-Allow-Methods", corsAllowMethods)
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
				return c.NoContent(http.StatusNoContent)
			}
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			return next(c)
		}
	})
}
