package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"supportline/audit"
	"supportline/auth"
	"supportline/ivr"
	"supportline/notify"
)

// The inputs and outputs of the read-only records: calls, the SMS outbox
// and the audit log.
type (
	callFilter struct {
		Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"50" doc:"At most this many calls on the page."`
		Cursor string `query:"cursor" maxLength:"256" doc:"The next_cursor of the previous page."`
	}
	callPage struct{ Body ivr.CallPage }
	callPath struct {
		Sid string `path:"sid" pattern:"^CA[0-9a-fA-F]{32}$" doc:"Twilio's CallSid: CA and 32 hex digits." example:"CA0123456789abcdef0123456789abcdef"`
	}
	callBody struct{ Body ivr.CallSummary }

	outboxFilter struct {
		Failed bool `query:"failed" doc:"Only deliveries that failed for good."`
		Limit  int  `query:"limit" minimum:"1" maximum:"1000" default:"50" doc:"At most this many deliveries, newest first."`
	}
	outboxList struct {
		Body struct {
			Deliveries []notify.Delivery `json:"deliveries"`
		}
	}

	auditFilter struct {
		Subject   string    `query:"subject" maxLength:"200" doc:"Only events with exactly this subject." example:"ticket:100001"`
		Actor     string    `query:"actor" maxLength:"200" doc:"Only events by exactly this actor." example:"token:crm"`
		SupportID string    `query:"support_id" maxLength:"8" doc:"Only events about the contact with this support ID." example:"12345678"`
		Since     time.Time `query:"since" doc:"Only events at or after this RFC 3339 instant."`
		Until     time.Time `query:"until" doc:"Only events before this RFC 3339 instant."`
		Limit     int       `query:"limit" minimum:"1" maximum:"10000" default:"1000" doc:"At most this many events on the page."`
		Cursor    string    `query:"cursor" maxLength:"256" doc:"The next_cursor of the previous page; give the same filters with it."`
	}
	// auditEvent is audit.Event under its own name in the document
	// (tickets.Event is "Event").
	auditEvent struct{ audit.Event }
	auditList  struct {
		Body struct {
			Events []auditEvent `json:"events"`
			Next   string       `json:"next_cursor,omitempty" doc:"The cursor of the next, older page; absent on the last page."`
		}
	}
)

func (s *Server) registerRecords() {
	register(s, huma.Operation{OperationID: "list-calls", Method: http.MethodGet, Path: "/calls",
		Summary: "List phone calls", Description: "Newest first, a page at a time: when more follow, next_cursor is the cursor of the next page (keyset).",
		Tags: []string{"calls"}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *callFilter) (*callPage, error) {
			page, err := s.Calls.List(ctx, ivr.CallFilter{Limit: in.Limit, Cursor: in.Cursor})
			if err != nil {
				return nil, err
			}
			return &callPage{Body: page}, nil
		})
	register(s, huma.Operation{OperationID: "get-call", Method: http.MethodGet, Path: "/calls/{sid}",
		Summary: "Get a phone call", Description: "Who called, when, and how the call ended.",
		Tags: []string{"calls"}, Errors: []int{http.StatusNotFound}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *callPath) (*callBody, error) {
			c, err := s.Calls.Get(ctx, in.Sid)
			if err != nil {
				return nil, err
			}
			return &callBody{Body: c}, nil
		})
	register(s, huma.Operation{OperationID: "list-outbox", Method: http.MethodGet, Path: "/outbox",
		Summary: "List outgoing SMS", Description: "Deliveries of the SMS outbox, newest first, and how each went.",
		Tags: []string{"outbox"}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *outboxFilter) (*outboxList, error) {
			list, err := s.Notify.List(ctx, notify.Filter{FailedOnly: in.Failed, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			out := &outboxList{}
			out.Body.Deliveries = nonNil(list)
			return out, nil
		})
	register(s, huma.Operation{OperationID: "list-audit-events", Method: http.MethodGet, Path: "/audit",
		Summary: "Read the audit log", Description: "The events matching every filter given, newest first, a page at a time: " +
			"when older ones follow, next_cursor is the cursor of the next page (keyset, so the events of one transaction, " +
			"which share an instant, are neither skipped nor repeated). Changes made through the API have the actor token:NAME.",
		Tags: []string{"audit"}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *auditFilter) (*auditList, error) {
			page, err := s.Audit.ListPage(ctx, audit.Filter{Subject: in.Subject, Actor: in.Actor, SupportID: in.SupportID,
				Since: in.Since, Until: in.Until, Limit: in.Limit, Cursor: in.Cursor})
			if err != nil {
				return nil, err
			}
			out := &auditList{}
			out.Body.Events = make([]auditEvent, len(page.Events))
			for i, e := range page.Events {
				out.Body.Events[i] = auditEvent{e}
			}
			out.Body.Next = page.Next
			return out, nil
		})
}
