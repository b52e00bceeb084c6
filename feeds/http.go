package feeds

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"supportline/errcode"
)

// Handler serves the feeds on the public (Twilio) listener, at
// /ical/TOKEN.ics: GET and HEAD only (405 otherwise), text/calendar, and
// 404 for a token that is malformed, unknown or revoked, alike. It never
// lists anything. It is a face of its own, kept here because it is one
// route over one method ([Service.Calendar]).
type Handler struct {
	Feeds *Service
}

// Mount registers the feed route on e, the public listener's Echo (whose
// twilioOnly filter lets /ical/ through).
func (h Handler) Mount(e *echo.Echo) {
	e.Any("/ical/:file", h.serve, hideToken)
}

// hideToken replaces the token in the request's path before anything is
// logged of it: the listener's request log (and its error log) write the
// path, and the token is the feed's only secret. Routing has already
// taken the token into the route's parameter.
func hideToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		u := *r.URL
		u.Path, u.RawPath = "/ical/-.ics", ""
		clone := r.WithContext(r.Context())
		clone.URL = &u
		clone.RequestURI = u.RequestURI()
		c.SetRequest(clone)
		return next(c)
	}
}

func (h Handler) serve(c echo.Context) error {
	resp := c.Response().Header()
	// Whoever has the URL sees names and shifts: no caching by proxies,
	// no referrer, no indexing.
	resp.Set("Cache-Control", "private, max-age=300")
	resp.Set("Referrer-Policy", "no-referrer")
	resp.Set("X-Robots-Tag", "noindex, nofollow")
	resp.Set("X-Content-Type-Options", "nosniff")
	method := c.Request().Method
	if method != http.MethodGet && method != http.MethodHead {
		resp.Set("Allow", "GET, HEAD")
		return echo.NewHTTPError(http.StatusMethodNotAllowed)
	}
	token, ok := strings.CutSuffix(c.Param("file"), ".ics")
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	f, doc, err := h.Feeds.Calendar(c.Request().Context(), token)
	if errcode.Is(err, errcode.NotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err // logged by the listener, a bare 500 to the client
	}
	resp.Set(echo.HeaderContentType, "text/calendar; charset=utf-8")
	resp.Set(echo.HeaderContentLength, strconv.Itoa(len(doc)))
	resp.Set("Content-Disposition", `inline; filename="`+f.Name+`.ics"`)
	if method == http.MethodHead {
		c.Response().WriteHeader(http.StatusOK)
		return nil
	}
	return c.Blob(http.StatusOK, "text/calendar; charset=utf-8", doc)
}
