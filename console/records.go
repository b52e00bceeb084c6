package console

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"supportline/audit"
	"supportline/auth"
	"supportline/errcode"
	"supportline/notify"
)

// auditPage and outboxPage are how many rows those pages list, the
// newest first (the audit log a page at a time, by its cursor).
const (
	auditPage  = 100
	outboxPage = 100
)

func (s *Server) registerRecords(g *echo.Group) {
	g.GET("/audit", s.signedIn(auth.Read, s.auditLog))
	g.GET("/outbox", s.signedIn(auth.Read, s.outbox))
}

type auditData struct {
	// Events are a page of the log, newest first.
	Events []audit.Event
	// Older is the link to the next, older page with the same filters;
	// empty on the last page. Newest is the link back to the first page,
	// on a later one.
	Older, Newest string
	Filtered      bool
	// Paged is whether this is a later page (the request had a cursor).
	Paged bool
}

// parseAuditTime reads the since and until fields (formInstant); empty
// is no bound.
func parseAuditTime(field, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, ok := formInstant(v); ok {
		return t, nil
	}
	return time.Time{}, errcode.Errorf(errcode.Invalid, "%s %q is not a time such as 2026-11-18T15:00 (UTC) or 2026-11-18T10:00:00-05:00", field, v)
}

func (s *Server) auditLog(c echo.Context, _ auth.User) error {
	q := c.QueryParams()
	v := view{Title: "Audit log", Nav: "audit", Form: url.Values{}, Data: auditData{}}
	for _, k := range []string{"subject", "actor", "support_id", "since", "until"} {
		if x := strings.TrimSpace(q.Get(k)); x != "" {
			v.Form.Set(k, x)
		}
	}
	f := audit.Filter{Subject: v.Form.Get("subject"), Actor: v.Form.Get("actor"), SupportID: v.Form.Get("support_id"),
		Limit: auditPage, Cursor: strings.TrimSpace(q.Get("cursor"))}
	var err error
	if f.Since, err = parseAuditTime("since", v.Form.Get("since")); err != nil {
		return s.formError(c, "audit", v, "since", err)
	}
	if f.Until, err = parseAuditTime("until", v.Form.Get("until")); err != nil {
		return s.formError(c, "audit", v, "until", err)
	}
	page, err := s.Audit.ListPage(ctx(c), f)
	if err != nil {
		field := "until" // since not before until
		if f.Cursor != "" && (f.Since.IsZero() || f.Until.IsZero() || f.Since.Before(f.Until)) {
			field = "" // the cursor, which no field of the form holds: above the form
		}
		return s.formError(c, "audit", v, field, err)
	}
	d := auditData{Events: page.Events, Filtered: len(v.Form) > 0, Paged: f.Cursor != ""}
	if page.Next != "" {
		older := maps.Clone(v.Form)
		older.Set("cursor", page.Next)
		d.Older = "/audit?" + older.Encode()
	}
	if d.Paged {
		d.Newest = "/audit"
		if d.Filtered {
			d.Newest += "?" + v.Form.Encode()
		}
	}
	v.Data = d
	return s.render(c, http.StatusOK, "audit", v)
}

type outboxData struct {
	Failed     bool
	Deliveries []notify.Delivery
	Limit      int
}

func (s *Server) outbox(c echo.Context, _ auth.User) error {
	failed := c.QueryParam("failed") != "" && c.QueryParam("failed") != "0"
	list, err := s.Notify.List(ctx(c), notify.Filter{FailedOnly: failed, Limit: outboxPage})
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "outbox", view{Title: "Outbox", Nav: "outbox",
		Data: outboxData{Failed: failed, Deliveries: list, Limit: outboxPage}})
}
