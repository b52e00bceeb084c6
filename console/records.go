package console

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"supportline/audit"
	"supportline/auth"
	"supportline/errcode"
	"supportline/notify"
)

// auditPage and outboxPage are how many rows those pages list, the
// newest first.
const (
	auditPage  = 100
	outboxPage = 100
)

func (s *Server) registerRecords(g *echo.Group) {
	g.GET("/audit", s.signedIn(auth.Read, s.auditLog))
	g.GET("/outbox", s.signedIn(auth.Read, s.outbox))
}

type auditData struct {
	Events []audit.Event
	// More is whether older events match too: the page shows the newest
	// auditPage.
	More     bool
	Filtered bool
	Limit    int
}

// auditTimeLayouts are what the since and until fields take: RFC 3339,
// or a browser's datetime-local value read as UTC.
var auditTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"}

func parseAuditTime(field, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range auditTimeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errcode.Errorf(errcode.Invalid, "%s %q is not a time such as 2026-11-18T15:00 (UTC) or 2026-11-18T10:00:00-05:00", field, v)
}

func (s *Server) auditLog(c echo.Context, _ auth.User) error {
	q := c.QueryParams()
	v := view{Title: "Audit log", Nav: "audit", Form: url.Values{}, Data: auditData{Limit: auditPage}}
	for _, k := range []string{"subject", "actor", "support_id", "since", "until"} {
		if x := strings.TrimSpace(q.Get(k)); x != "" {
			v.Form.Set(k, x)
		}
	}
	f := audit.Filter{Subject: v.Form.Get("subject"), Actor: v.Form.Get("actor"), SupportID: v.Form.Get("support_id"), Limit: auditPage + 1}
	var err error
	if f.Since, err = parseAuditTime("since", v.Form.Get("since")); err != nil {
		return s.formError(c, "audit", v, "since", err)
	}
	if f.Until, err = parseAuditTime("until", v.Form.Get("until")); err != nil {
		return s.formError(c, "audit", v, "until", err)
	}
	events, err := s.Audit.List(ctx(c), f)
	if err != nil {
		return s.formError(c, "audit", v, "until", err)
	}
	d := auditData{Filtered: len(v.Form) > 0, Limit: auditPage}
	if len(events) > auditPage {
		// List gives the newest, oldest first: the surplus one is the oldest.
		events, d.More = events[1:], true
	}
	slices.Reverse(events)
	d.Events = events
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
