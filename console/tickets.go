package console

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"supportline/auth"
	"supportline/errcode"
	"supportline/ivr"
	"supportline/notify"
	"supportline/oncall"
	"supportline/tickets"
)

// The confirmations after a ticket action. The ticket page words them
// with the ticket's own stored facts (its number, its responder), never
// with anything from the link.
var (
	doneAcked        = notice("ticket-acked", "Ticket acknowledged.")
	doneAckKept      = notice("ticket-ack-kept", "The ticket already had its first response; nothing changed.")
	doneNoted        = notice("ticket-noted", "Note added.")
	doneResolved     = notice("ticket-resolved", "Ticket resolved.")
	doneResolvedWas  = notice("ticket-resolved-already", "The ticket was already resolved; nothing changed.")
	doneReopened     = notice("ticket-reopened", "Ticket reopened; its promise is unchanged.")
	doneReopenedWas  = notice("ticket-open-already", "The ticket is open already; nothing changed.")
	noRecordingWords = "This voicemail is stored at Twilio; the console can play it once " + notify.EnvAccountSid +
		" and " + notify.EnvAuthToken + " (or " + notify.EnvAPIKey + " and " + notify.EnvAPISecret + ") are set where supportline serve runs."
)

func (s *Server) registerTickets(g *echo.Group) {
	g.GET("/tickets/:number", s.signedIn(auth.Read, s.ticketPage))
	g.GET("/tickets/:number/voicemail", s.signedIn(auth.Read, s.voicemail))
	g.POST("/tickets/:number/ack", s.signedIn(auth.TicketWork, s.ackTicket))
	g.POST("/tickets/:number/notes", s.signedIn(auth.TicketWork, s.noteTicket))
	g.POST("/tickets/:number/resolve", s.signedIn(auth.TicketWork, s.resolveTicket))
	g.POST("/tickets/:number/reopen", s.signedIn(auth.TicketWork, s.reopenTicket))
}

// ticketData is the ticket page's.
type ticketData struct {
	Now         time.Time
	T           tickets.Ticket
	AccountName string
	// Left is tickets.TimeLeft's words; State "overdue", "warned" or "".
	Left, State string
	// Zone is the IANA zone of the ticket's calendar: its times are shown
	// there.
	Zone string
	Call *ivr.CallSummary
	// Notes are the ticket's note events, oldest first.
	Notes []tickets.Event
	// ActsAs is the engineer a signed-in engineer acknowledges as; empty
	// for an admin, who picks one of Engineers.
	ActsAs    string
	Engineers []oncall.Engineer
	// Playable is whether the console has Twilio credentials to stream the
	// voicemail; NoPlayer says what to set otherwise.
	Playable bool
	NoPlayer string
	MaxNote  int
}

// ticketNumber is the :number of the path; a number that is not one is
// a ticket that does not exist.
func ticketNumber(c echo.Context) (int64, error) {
	n, err := strconv.ParseInt(c.Param("number"), 10, 64)
	if err != nil || n < 1 {
		return 0, errcode.Errorf(errcode.NotFound, "there is no ticket %q: a ticket number is a whole number such as 100001", c.Param("number"))
	}
	return n, nil
}

// ticketView loads what the ticket page shows, as api's showTicket does.
func (s *Server) ticketView(c echo.Context, u auth.User, number int64) (view, error) {
	t, err := s.Tickets.Get(ctx(c), number)
	if err != nil {
		return view{}, err
	}
	acc, err := s.Accounts.Account(ctx(c), t.AccountNumber)
	if err != nil {
		return view{}, err
	}
	now := s.now()
	d := ticketData{Now: now, T: t, AccountName: acc.Name, Left: tickets.TimeLeft(now, t, s.Tickets.Policy), State: state(now, t),
		ActsAs: u.Principal().Engineer, Playable: s.Recordings != nil, NoPlayer: noRecordingWords, MaxNote: tickets.MaxNoteLen}
	if cal := s.Tickets.Policy.Calendar(t.Clock); cal != nil && cal.Location() != nil {
		d.Zone = cal.Location().String()
	}
	for _, e := range t.Events {
		if e.Kind == tickets.EventNote {
			d.Notes = append(d.Notes, e)
		}
	}
	if t.CallSid != nil {
		call, err := s.Calls.ForTicket(ctx(c), t.ID)
		switch {
		case err == nil:
			d.Call = &call
		case !errcode.Is(err, errcode.NotFound):
			return view{}, err
		}
	}
	if u.Principal().Allows(auth.TicketWork) && u.Principal().Engineer == "" && t.RespondedAt == nil && t.Status != tickets.StatusResolved {
		if d.Engineers, err = s.OnCall.Engineers(ctx(c)); err != nil {
			return view{}, err
		}
	}
	return view{Title: fmt.Sprintf("Ticket %d", t.Number), Nav: "dashboard", Data: d}, nil
}

// ticketNotice words the confirmation of done with the ticket's facts.
func ticketNotice(done string, d ticketData) string {
	t := d.T
	switch done {
	case doneAcked:
		return fmt.Sprintf("Ticket %d acknowledged by %s.", t.Number, t.Responder)
	case doneAckKept:
		if t.RespondedAt != nil {
			return fmt.Sprintf("Ticket %d was already acknowledged by %s at %s; nothing changed.", t.Number, t.Responder, when(*t.RespondedAt, d.Zone))
		}
	case doneNoted:
		return fmt.Sprintf("Note added to ticket %d.", t.Number)
	case doneResolved:
		return fmt.Sprintf("Ticket %d resolved.", t.Number)
	case doneResolvedWas:
		return fmt.Sprintf("Ticket %d was already resolved; nothing changed.", t.Number)
	case doneReopened:
		return fmt.Sprintf("Ticket %d reopened; its promise is unchanged.", t.Number)
	case doneReopenedWas:
		return fmt.Sprintf("Ticket %d is open already; nothing changed.", t.Number)
	}
	return ""
}

func (s *Server) ticketPage(c echo.Context, u auth.User) error {
	n, err := ticketNumber(c)
	if err != nil {
		return s.fail(c, err)
	}
	v, err := s.ticketView(c, u, n)
	if err != nil {
		return s.fail(c, err)
	}
	v.Notice = ticketNotice(c.QueryParam("done"), v.Data.(ticketData))
	return s.render(c, http.StatusOK, "ticket", v)
}

// ticketFormError re-renders the ticket page with err next to the field
// it is about (above the forms when none, as a conflict); a ticket that
// cannot be shown (it does not exist) is its own error page.
func (s *Server) ticketFormError(c echo.Context, u auth.User, number int64, err error) error {
	if errcode.CodeOf(err) == errcode.Internal {
		return s.fail(c, err)
	}
	v, verr := s.ticketView(c, u, number)
	if verr != nil {
		return s.fail(c, verr)
	}
	return s.formError(c, "ticket", v, formField(err, "engineer", "text"), err)
}

func ticketPath(n int64) string { return "/tickets/" + strconv.FormatInt(n, 10) }

func (s *Server) ackTicket(c echo.Context, u auth.User) error {
	n, err := ticketNumber(c)
	if err != nil {
		return s.fail(c, err)
	}
	p := u.Principal()
	handle, err := p.ActsAs(strings.TrimSpace(c.FormValue("engineer")))
	if err != nil {
		return s.fail(c, err)
	}
	_, changed, err := s.Tickets.Acknowledge(ctx(c), p.Actor(), n, handle)
	switch {
	case err != nil:
		return s.ticketFormError(c, u, n, err)
	case !changed:
		return redirect(c, ticketPath(n), doneAckKept)
	}
	return redirect(c, ticketPath(n), doneAcked)
}

func (s *Server) noteTicket(c echo.Context, u auth.User) error {
	n, err := ticketNumber(c)
	if err != nil {
		return s.fail(c, err)
	}
	if _, err := s.Tickets.Note(ctx(c), u.Principal().Actor(), n, c.FormValue("text")); err != nil {
		return s.ticketFormError(c, u, n, err)
	}
	return redirect(c, ticketPath(n), doneNoted)
}

func (s *Server) resolveTicket(c echo.Context, u auth.User) error {
	n, err := ticketNumber(c)
	if err != nil {
		return s.fail(c, err)
	}
	_, changed, err := s.Tickets.Resolve(ctx(c), u.Principal().Actor(), n)
	switch {
	case err != nil:
		return s.fail(c, err)
	case !changed:
		return redirect(c, ticketPath(n), doneResolvedWas)
	}
	return redirect(c, ticketPath(n), doneResolved)
}

func (s *Server) reopenTicket(c echo.Context, u auth.User) error {
	n, err := ticketNumber(c)
	if err != nil {
		return s.fail(c, err)
	}
	_, changed, err := s.Tickets.Reopen(ctx(c), u.Principal().Actor(), n)
	switch {
	case err != nil:
		return s.fail(c, err)
	case !changed:
		return redirect(c, ticketPath(n), doneReopenedWas)
	}
	return redirect(c, ticketPath(n), doneReopened)
}

// voicemail streams the ticket's recording from Twilio through us: the
// browser sees neither our credentials nor Twilio's address. A Range is
// passed on, so that the player can seek.
func (s *Server) voicemail(c echo.Context, _ auth.User) error {
	n, err := ticketNumber(c)
	if err != nil {
		return s.fail(c, err)
	}
	t, err := s.Tickets.Get(ctx(c), n)
	if err != nil {
		return s.fail(c, err)
	}
	if t.RecordingURL == "" {
		return s.problem(c, http.StatusNotFound, fmt.Sprintf("Ticket %d has no voicemail.", n))
	}
	if s.Recordings == nil {
		return s.problem(c, http.StatusServiceUnavailable, noRecordingWords)
	}
	rec, err := s.Recordings.Fetch(ctx(c), t.RecordingURL, c.Request().Header.Get("Range"))
	if err != nil {
		if errcode.CodeOf(err) != errcode.Internal {
			s.log().WarnContext(ctx(c), "console: voicemail not fetched", "ticket", n, "reason", errcode.Message(err))
		}
		return s.fail(c, err)
	}
	defer rec.Body.Close()
	h := c.Response().Header()
	// Only audio is served as what Twilio says it is: anything else
	// is bytes to download, never a page of ours.
	ct := rec.ContentType
	if !strings.HasPrefix(ct, "audio/") {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	if rec.ContentLength >= 0 {
		h.Set("Content-Length", strconv.FormatInt(rec.ContentLength, 10))
	}
	if rec.ContentRange != "" {
		h.Set("Content-Range", rec.ContentRange)
	}
	if rec.AcceptRanges != "" {
		h.Set("Accept-Ranges", rec.AcceptRanges)
	}
	disposition := "inline"
	if c.QueryParam("download") != "" {
		disposition = "attachment"
	}
	h.Set("Content-Disposition", fmt.Sprintf(`%s; filename="ticket-%d-voicemail.mp3"`, disposition, n))
	c.Response().WriteHeader(rec.Status)
	if _, err := io.Copy(c.Response(), rec.Body); err != nil {
		// The browser went away or Twilio stopped mid-way: the answer
		// has started, there is nothing left to tell anyone.
		s.log().DebugContext(ctx(c), "console: voicemail stream ended early", "ticket", n, "err", err)
	}
	return nil
}
