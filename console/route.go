package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"supportline/auth"
	"supportline/errcode"
	"supportline/routing"
)

// "Where would a call go?": the route explanation for a plan, a priority
// and an instant, in the words of `supportline route explain` (the
// domain's Route.Explain), from Routing.Explain as the CLI and the API
// ask it.

func (s *Server) registerRoute(g *echo.Group) {
	g.GET("/route", s.signedIn(auth.Read, s.routePage))
}

// routeLayout is the datetime-local input's value: wall-clock time in UTC.
const routeLayout = dateTimeLocal

type routeOption struct{ Value, Label string }

type routeData struct {
	Plans, Priorities []routeOption
	// At is the instant asked about, as the form shows it (UTC).
	At string
	// Asked is whether a question was asked; Route its answer and
	// Explanation the CLI's words for it, one fact a line.
	Asked       bool
	Route       routing.Route
	Explanation string
}

func (s *Server) routePage(c echo.Context, _ auth.User) error {
	now := s.now()
	q := c.QueryParams()
	d := routeData{At: now.UTC().Format(routeLayout)}
	for _, p := range s.Policy.PlanNames() {
		d.Plans = append(d.Plans, routeOption{p, p})
	}
	word := s.Policy.PriorityWord()
	for _, pr := range s.Policy.Priorities {
		label := word + " " + strconv.Itoa(pr.Level)
		if pr.Name != "" {
			label += " (" + pr.Name + ")"
		}
		d.Priorities = append(d.Priorities, routeOption{strconv.Itoa(pr.Level), label})
	}
	v := view{Title: "Where would a call go?", Nav: "route", Form: q, Data: d}
	if !q.Has("plan") && !q.Has("priority") && !q.Has("at") {
		return s.render(c, http.StatusOK, "route", v)
	}
	plan, priority, at := strings.TrimSpace(q.Get("plan")), strings.TrimSpace(q.Get("priority")), strings.TrimSpace(q.Get("at"))
	if plan == "" {
		return s.formError(c, "route", v, "plan", errcode.Errorf(errcode.Invalid, "plan is required (plans: %s)", strings.Join(s.Policy.PlanNames(), ", ")))
	}
	if priority == "" {
		return s.formError(c, "route", v, "priority", errcode.New(errcode.Invalid, "priority is required (a priority level such as 1)"))
	}
	level, err := strconv.Atoi(priority)
	if err != nil {
		return s.formError(c, "route", v, "priority", errcode.Errorf(errcode.Invalid, "priority %q is not a priority level such as 1", priority))
	}
	t := now
	if at != "" {
		if t, err = routeInstant(at); err != nil {
			return s.formError(c, "route", v, "at", err)
		}
		d.At = t.Format(routeLayout)
	}
	r, err := s.Routing.Explain(ctx(c), plan, level, t)
	if err != nil {
		return s.formError(c, "route", v, formField(err, "plan", "priority", "at"), err)
	}
	d.Asked, d.Route, d.Explanation = true, r, r.Explain()
	v.Data = d
	return s.render(c, http.StatusOK, "route", v)
}

// routeInstant reads the form's instant (formInstant), as the CLI's --at
// takes an RFC 3339 one.
func routeInstant(v string) (time.Time, error) {
	if t, ok := formInstant(v); ok {
		return t, nil
	}
	return time.Time{}, errcode.Errorf(errcode.Invalid, "at %q is not a date and time such as 2026-11-21T09:00 (UTC) or an RFC 3339 time such as 2026-11-21T03:00:00-07:00", v)
}
