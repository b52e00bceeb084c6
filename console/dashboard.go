package console

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"supportline/auth"
	"supportline/ivr"
	"supportline/notify"
	"supportline/oncall"
	"supportline/tickets"
)

// dashboardTickets is how many open tickets the dashboard lists; it says
// how many more there are.
const dashboardTickets = 50

func (s *Server) registerDashboard(g *echo.Group) {
	g.GET("/", s.signedIn(auth.Read, s.dashboard))
}

// dueTicket is a ticket row with its time left and its marks.
type dueTicket struct {
	tickets.Listed
	Left string
	// State is "overdue", "warned" or "" (on time), in words beside the
	// colour.
	State string
}

type dashboardData struct {
	Now       time.Time
	Tickets   []dueTicket
	More      int
	Calls     []ivr.LiveCall
	MoreCalls int
	OnCall    []oncall.Coverage
	Failed    []notify.Delivery
}

func (s *Server) dashboard(c echo.Context, _ auth.User) error {
	now := s.now()
	page, err := s.Tickets.List(ctx(c), tickets.Filter{Open: true, Sort: tickets.SortDue, Limit: dashboardTickets})
	if err != nil {
		return s.fail(c, err)
	}
	d := dashboardData{Now: now}
	for _, t := range page.Tickets {
		d.Tickets = append(d.Tickets, dueTicket{Listed: t, Left: tickets.TimeLeft(now, t.Ticket, s.Tickets.Policy), State: state(now, t.Ticket)})
	}
	if page.Next != "" {
		total, err := s.Tickets.OpenCount(ctx(c))
		if err != nil {
			return s.fail(c, err)
		}
		d.More = max(total-len(d.Tickets), 0)
	}
	calls, total, err := s.Calls.InProgress(ctx(c), 50)
	if err != nil {
		return s.fail(c, err)
	}
	d.Calls, d.MoreCalls = calls, total-len(calls)
	if d.OnCall, err = s.OnCall.OnCall(ctx(c), now); err != nil {
		return s.fail(c, err)
	}
	failed, err := s.Notify.List(ctx(c), notify.Filter{FailedOnly: true, Limit: 10})
	if err != nil {
		return s.fail(c, err)
	}
	d.Failed = failed
	return s.render(c, http.StatusOK, "dashboard", view{Title: "Dashboard", Nav: "dashboard", Data: d})
}

// state marks a ticket that waits for its first response: "overdue" once
// due, "warned" once its warning time passed.
func state(now time.Time, t tickets.Ticket) string {
	switch {
	case t.RespondedAt != nil || t.Status == tickets.StatusResolved:
		return ""
	case !now.Before(t.ResponseDue):
		return "overdue"
	case !now.Before(t.WarnAt):
		return "warned"
	}
	return ""
}

// now is the database's clock, which the domains stamp and list by.
func (s *Server) now() time.Time {
	if s.Tickets.DB.Now != nil {
		return s.Tickets.DB.Now().UTC()
	}
	return time.Now().UTC()
}
