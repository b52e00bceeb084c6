package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"supportline/auth"
	"supportline/errcode"
	"supportline/ivr"
	"supportline/tickets"
)

// The inputs and outputs of the ticket operations.
type (
	ticketPath struct {
		Number int64 `path:"number" minimum:"1" doc:"The ticket number." example:"100001"`
	}
	ticketFilter struct {
		Open       bool      `query:"open" doc:"Only tickets that are not resolved."`
		Account    string    `query:"account" doc:"Only this account's tickets (its number); an unknown account is 404." example:"100100"`
		Priority   int       `query:"priority" minimum:"1" maximum:"8" doc:"Only tickets of this priority level (1 to 8)."`
		Breached   bool      `query:"breached" doc:"Only tickets whose response came, or is still to come, after it was due."`
		DueBefore  time.Time `query:"due_before" doc:"Only tickets whose response is due before this RFC 3339 instant."`
		OpenedFrom time.Time `query:"opened_from" doc:"Only tickets opened at or after this RFC 3339 instant."`
		OpenedTo   time.Time `query:"opened_to" doc:"Only tickets opened before this RFC 3339 instant."`
		Sort       string    `query:"sort" enum:"opened,due" default:"opened" doc:"opened: newest first; due: soonest response due first."`
		Limit      int       `query:"limit" minimum:"1" maximum:"1000" default:"50" doc:"At most this many tickets on the page."`
		Cursor     string    `query:"cursor" maxLength:"256" doc:"The next_cursor of the previous page; give the same filters and sort with it."`
	}

	// listedTicket is a ticket of a list, with its account's name and
	// where it stands against its promise, in the CLI's words.
	listedTicket struct {
		tickets.Listed
		TimeLeft string `json:"time_left" doc:"Business time left before the response is due (\"1h12m left\", \"overdue by 25m\"), or how long it took." example:"1h12m left"`
	}
	ticketPage struct {
		Body struct {
			Tickets []listedTicket `json:"tickets"`
			Next    string         `json:"next_cursor,omitempty" doc:"The cursor of the next page; absent on the last page."`
		}
	}

	// ticketPromise is the SLA promise a ticket carries, as `ticket show`
	// prints it.
	ticketPromise struct {
		Target string    `json:"target" doc:"The response target as the policy wrote it when the ticket opened." example:"1h"`
		Clock  string    `json:"clock" doc:"The calendar the target is counted on." example:"business"`
		Due    time.Time `json:"due" doc:"When the first response is due."`
		WarnAt time.Time `json:"warn_at" doc:"When the breach watcher warns without a response."`
	}
	// openingCall is the call that opened a ticket; null when none did
	// (huma marks a schema, not a reference to one, nullable).
	openingCall struct {
		_ struct{} `nullable:"true"`
		ivr.CallSummary
	}
	// voicemail is the message the caller left, when there is one.
	voicemail struct {
		_        struct{} `nullable:"true"`
		URL      string   `json:"url" doc:"Twilio's recording URL."`
		Sid      string   `json:"sid,omitempty" doc:"Twilio's recording SID (RE...)."`
		Duration *int     `json:"duration,omitempty" doc:"Seconds."`
	}
	shownTicket struct {
		Body struct {
			tickets.Ticket
			AccountName string          `json:"account_name"`
			TimeLeft    string          `json:"time_left" example:"1h12m left"`
			Promise     ticketPromise   `json:"promise"`
			Call        *openingCall    `json:"call" doc:"The call that opened the ticket; null when none did."`
			Voicemail   *voicemail      `json:"voicemail" doc:"The voicemail left on the ticket; null when none was."`
			Events      []tickets.Event `json:"events" doc:"The ticket's history, oldest first."`
		}
	}

	ticketAck struct {
		Number int64 `path:"number" minimum:"1" doc:"The ticket number." example:"100001"`
		Body   *struct {
			Engineer string `json:"engineer,omitempty" doc:"The handle of the engineer who responded: required with an admin token; with an engineer token, its own engineer (the default)." example:"alice"`
		}
	}
	ticketNote struct {
		Number int64 `path:"number" minimum:"1" doc:"The ticket number." example:"100001"`
		Body   struct {
			Text string `json:"text" doc:"One line of at most 2000 characters." example:"Called back, the customer will restart the router."`
		}
	}
	// changedTicket answers every ticket action: the ticket as it is now
	// and whether this request changed it (false when it was so already).
	changedTicket struct {
		Body struct {
			tickets.Ticket
			TimeLeft string `json:"time_left" example:"responded in 14m"`
			Changed  bool   `json:"changed" doc:"Whether this request changed the ticket; false when it was so already."`
		}
	}
)

// registerTickets registers the ticket operations and, after them, the
// records a ticket points at (calls, outbox, audit: registerRecords), so
// that Mount names them in one line.
func (s *Server) registerTickets() {
	defer s.registerRecords()
	register(s, huma.Operation{OperationID: "list-tickets", Method: http.MethodGet, Path: "/tickets",
		Summary: "List tickets", Description: "Newest first (sort=opened) or soonest due first (sort=due), a page at a time: " +
			"when more follow, next_cursor is the cursor of the next page (keyset, so a deep page costs what the first does). " +
			"Every filter given must hold.",
		Tags: []string{"tickets"}, Errors: []int{http.StatusNotFound}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *ticketFilter) (*ticketPage, error) {
			page, err := s.Tickets.List(ctx, tickets.Filter{Open: in.Open, AccountNumber: in.Account, Priority: in.Priority,
				Breached: in.Breached, DueBefore: in.DueBefore, OpenedFrom: in.OpenedFrom, OpenedTo: in.OpenedTo,
				Sort: tickets.Sort(in.Sort), Limit: in.Limit, Cursor: in.Cursor})
			if err != nil {
				return nil, err
			}
			now := s.now()
			out := &ticketPage{}
			out.Body.Tickets = make([]listedTicket, len(page.Tickets))
			for i, t := range page.Tickets {
				out.Body.Tickets[i] = listedTicket{t, tickets.TimeLeft(now, t.Ticket, s.Tickets.Policy)}
			}
			out.Body.Next = page.Next
			return out, nil
		})
	register(s, huma.Operation{OperationID: "get-ticket", Method: http.MethodGet, Path: "/tickets/{number}",
		Summary: "Get a ticket", Description: "With its promise, the call that opened it, its voicemail and its history.",
		Tags: []string{"tickets"}, Errors: []int{http.StatusNotFound}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *ticketPath) (*shownTicket, error) {
			return s.showTicket(ctx, in.Number)
		})
	register(s, huma.Operation{OperationID: "ack-ticket", Method: http.MethodPost, Path: "/tickets/{number}/ack",
		Summary: "Acknowledge a ticket", Description: "Records the first response, given by an engineer by other means than the phone line. " +
			"An engineer token acknowledges as its own engineer (another engineer is 403); an admin token names the engineer. " +
			"A ticket that has its first response keeps it (changed: false); one resolved without a response cannot get one (409).",
		Tags: []string{"tickets"}, Errors: []int{http.StatusNotFound, http.StatusConflict}},
		auth.TicketWork, func(ctx context.Context, p auth.Principal, in *ticketAck) (*changedTicket, error) {
			handle := ""
			if in.Body != nil {
				handle = in.Body.Engineer
			}
			handle, err := p.ActsAs(handle)
			if err != nil {
				return nil, err
			}
			t, changed, err := s.Tickets.Acknowledge(ctx, p.Actor(), in.Number, handle)
			return s.changedTicket(t, changed, err)
		})
	register(s, huma.Operation{OperationID: "note-ticket", Method: http.MethodPost, Path: "/tickets/{number}/notes", DefaultStatus: http.StatusCreated,
		Summary: "Add a note to a ticket", Description: "A `note` event \"by token:NAME: TEXT\" in the ticket's history; resolved tickets take notes too. " +
			"Answers the ticket with its history.",
		Tags: []string{"tickets"}, Errors: []int{http.StatusNotFound}},
		auth.TicketWork, func(ctx context.Context, p auth.Principal, in *ticketNote) (*changedTicket, error) {
			if _, err := s.Tickets.Note(ctx, p.Actor(), in.Number, in.Body.Text); err != nil {
				return nil, err
			}
			t, err := s.Tickets.Get(ctx, in.Number)
			return s.changedTicket(t, true, err)
		})
	register(s, huma.Operation{OperationID: "resolve-ticket", Method: http.MethodPost, Path: "/tickets/{number}/resolve",
		Summary: "Resolve a ticket", Description: "A resolved ticket never warns or breaches, even without a response; resolving one again changes nothing.",
		Tags: []string{"tickets"}, Errors: []int{http.StatusNotFound}},
		auth.TicketWork, func(ctx context.Context, p auth.Principal, in *ticketPath) (*changedTicket, error) {
			t, changed, err := s.Tickets.Resolve(ctx, p.Actor(), in.Number)
			return s.changedTicket(t, changed, err)
		})
	register(s, huma.Operation{OperationID: "reopen-ticket", Method: http.MethodPost, Path: "/tickets/{number}/reopen",
		Summary: "Reopen a resolved ticket", Description: "It keeps the promise it was opened with; reopening an open ticket changes nothing.",
		Tags: []string{"tickets"}, Errors: []int{http.StatusNotFound}},
		auth.TicketWork, func(ctx context.Context, p auth.Principal, in *ticketPath) (*changedTicket, error) {
			t, changed, err := s.Tickets.Reopen(ctx, p.Actor(), in.Number)
			return s.changedTicket(t, changed, err)
		})
}

// now is the database's clock, the one the domains stamp and list by: the
// instant time left is counted at, and an instant a query leaves out.
func (s *Server) now() time.Time {
	if s.Tickets.DB.Now != nil {
		return s.Tickets.DB.Now()
	}
	return time.Now()
}

func (s *Server) changedTicket(t tickets.Ticket, changed bool, err error) (*changedTicket, error) {
	if err != nil {
		return nil, err
	}
	out := &changedTicket{}
	out.Body.Ticket, out.Body.Changed = t, changed
	out.Body.TimeLeft = tickets.TimeLeft(s.now(), t, s.Tickets.Policy)
	return out, nil
}

func (s *Server) showTicket(ctx context.Context, number int64) (*shownTicket, error) {
	t, err := s.Tickets.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	acc, err := s.Accounts.Account(ctx, t.AccountNumber)
	if err != nil {
		return nil, err
	}
	out := &shownTicket{}
	b := &out.Body
	b.Ticket, b.AccountName = t, acc.Name
	b.TimeLeft = tickets.TimeLeft(s.now(), t, s.Tickets.Policy)
	b.Promise = ticketPromise{Target: t.Target, Clock: t.Clock, Due: t.ResponseDue, WarnAt: t.WarnAt}
	b.Events = nonNil(t.Events)
	if t.RecordingURL != "" {
		b.Voicemail = &voicemail{URL: t.RecordingURL, Sid: t.RecordingSid, Duration: t.RecordingDuration}
	}
	if t.CallSid != nil {
		c, err := s.Calls.ForTicket(ctx, t.ID)
		switch {
		case err == nil:
			b.Call = &openingCall{CallSummary: c}
		case !errcode.Is(err, errcode.NotFound):
			return nil, err
		}
	}
	return out, nil
}
