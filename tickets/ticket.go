// Package tickets owns support tickets and the promise each one carries: when
// a ticket opens, its plan and priority give a response target on a
// calendar, and the ticket stores the instant the first response is due and
// the instant the breach watcher warns, in UTC, with the target and calendar
// name that produced them. A later edit of the policy file therefore never
// moves an existing promise.
//
// The breach watcher ([Watcher]) lives here rather than in package sla: it
// reads and writes ticket rows, and sla stays pure arithmetic.
//
// [Service] is the one way in, whatever the face: its exported methods open
// their own transaction, take the actor when they change something and
// write the audit event in that transaction; its methods ending in Tx
// ([Service.OpenTx], [Service.AcceptedTx], ...) run inside the caller's
// transaction, because the phone line changes a ticket and its call
// together.
package tickets

import (
	"fmt"
	"strings"
	"time"

	"supportline/config"
	"supportline/errcode"
	"supportline/sla"
)

// Status is where a ticket stands.
type Status string

// Ticket statuses.
const (
	StatusOpen     Status = "open"
	StatusResolved Status = "resolved"
)

// EventKind names something that happened to a ticket.
type EventKind string

// Event kinds. Warning and Breach happen at most once per ticket; the
// database enforces it.
const (
	EventOpened    EventKind = "opened"
	EventWarning   EventKind = "warning" // warn_at passed without a response
	EventBreach    EventKind = "breach"  // response_due passed without a response
	EventResponded EventKind = "responded"
	EventResolved  EventKind = "resolved" // by whom, in the detail
	EventReopened  EventKind = "reopened" // a resolved ticket is open again
	EventNote      EventKind = "note"     // "by ACTOR: TEXT"
	// Events of the phone line.
	EventRouted    EventKind = "routed"    // where the call was sent, in words
	EventWhisper   EventKind = "whisper"   // an engineer offered the call: accepted, declined, no answer
	EventVoicemail EventKind = "voicemail" // a message was recorded on the ticket
	EventEscalated EventKind = "escalated" // the customer escalated the ticket
)

// Ticket is a support ticket and its SLA promise. Times are UTC.
type Ticket struct {
	ID            int64  `db:"id" json:"-"`
	Number        int64  `db:"number" json:"number"`
	AccountID     int64  `db:"account_id" json:"-"`
	AccountNumber string `db:"account_number" json:"account"`
	ContactID     *int64 `db:"contact_id" json:"-"`
	Plan          string `db:"plan" json:"plan"`
	Priority      int    `db:"priority" json:"priority"`
	// OpenedAt is when the SLA clock started.
	OpenedAt time.Time `db:"opened_at" json:"opened_at"`
	// Target is the response target as written in the policy when the ticket
	// opened ("1h", "2bd", "next-business-day").
	Target string `db:"target" json:"target"`
	// Clock names the calendar the target was counted on.
	Clock string `db:"clock" json:"clock"`
	// ResponseDue is when the first response is due.
	ResponseDue time.Time `db:"response_due" json:"response_due"`
	// WarnAt is when the share sla.warn_at of the target's business time has
	// passed; the breach watcher warns then.
	WarnAt      time.Time  `db:"warn_at" json:"warn_at"`
	RespondedAt *time.Time `db:"responded_at" json:"responded_at,omitempty"`
	Responder   string     `db:"responder" json:"responder,omitempty"`
	Status      Status     `db:"status" json:"status"`
	ResolvedAt  *time.Time `db:"resolved_at" json:"resolved_at,omitempty"`
	// Phone line: the call that opened the ticket, its voicemail, and
	// whether the customer escalated it.
	CallSid           *string    `db:"call_sid" json:"call_sid,omitempty"`
	RecordingURL      string     `db:"recording_url" json:"recording_url,omitempty"`
	RecordingSid      string     `db:"recording_sid" json:"recording_sid,omitempty"`
	RecordingDuration *int       `db:"recording_duration" json:"recording_duration,omitempty"`
	EscalatedAt       *time.Time `db:"escalated_at" json:"escalated_at,omitempty"`
	// Events is the ticket's history, oldest first; filled by [Service.Get].
	Events []Event `db:"-" json:"events,omitempty"`
}

// Event is one entry of a ticket's history.
type Event struct {
	ID       int64     `db:"id" json:"-"`
	TicketID int64     `db:"ticket_id" json:"-"`
	Kind     EventKind `db:"kind" json:"kind"`
	At       time.Time `db:"at" json:"at"`
	Detail   string    `db:"detail" json:"detail,omitempty"`
}

// Promise is what a plan promises for one priority: a response target
// counted on a calendar.
type Promise struct {
	Plan     string
	Priority int
	Target   sla.Target
	Calendar *sla.Calendar
}

// PromiseOf looks up the promise of plan x priority in the policy. An
// unknown plan, or a plan without an SLA for that priority, is
// errcode.Invalid with a message naming what exists.
func PromiseOf(policy *config.Policy, plan string, priority int) (Promise, error) {
	pl, ok := policy.Plan(plan)
	if !ok {
		return Promise{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "unknown plan %q (plans: %s)", plan, strings.Join(policy.PlanNames(), ", ")), "plan")
	}
	pp, ok := pl.Priorities[priority]
	if !ok {
		levels := pl.Levels()
		if len(levels) == 0 {
			return Promise{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "plan %s has no SLA for any priority", plan), "priority")
		}
		names := make([]string, len(levels))
		for i, l := range levels {
			names[i] = fmt.Sprint(l)
		}
		return Promise{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "plan %s has no SLA for priority %d (it has priorities %s)", plan, priority, strings.Join(names, ", ")), "priority")
	}
	cal := policy.Calendar(pp.Clock)
	if cal == nil {
		// config validates clock names, so this is a bug, not bad input.
		return Promise{}, fmt.Errorf("plan %s priority %d: calendar %q is not in the policy", plan, priority, pp.Clock)
	}
	return Promise{Plan: plan, Priority: priority, Target: pp.Target, Calendar: cal}, nil
}

// Due returns when a response is due for a ticket opened at opened, in the
// calendar's zone.
func (p Promise) Due(opened time.Time) time.Time { return sla.Due(opened, p.Target, p.Calendar) }

// Counted returns the business intervals [Promise.Due] counts.
func (p Promise) Counted(opened time.Time) []sla.Interval {
	return sla.Counted(opened, p.Target, p.Calendar)
}

// WarnAt returns when the share warnAt (policy sla.warn_at) of the business
// time between opened and due has passed, rounded up to the microsecond that
// the database stores, so a warning is never early.
func (p Promise) WarnAt(opened, due time.Time, warnAt float64) time.Time {
	return ceilMicro(sla.Fraction(opened, due, warnAt, p.Calendar))
}

func ceilMicro(t time.Time) time.Time {
	if r := t.Truncate(time.Microsecond); !r.Equal(t) {
		return r.Add(time.Microsecond)
	}
	return t
}

// Remaining returns the business time on cal left before t's response is
// due; negative once it is late ("1h over"). The clock stops at the first
// response, or at resolution when there was none, so a closed ticket shows
// the margin it was met or missed by. cal must be the ticket's clock
// calendar (policy.Calendar(t.Clock)); when the policy no longer has it, pass
// sla.Always() for absolute time.
func Remaining(now time.Time, t Ticket, cal *sla.Calendar) time.Duration {
	switch {
	case t.RespondedAt != nil:
		now = *t.RespondedAt
	case t.ResolvedAt != nil:
		now = *t.ResolvedAt
	}
	return sla.Remaining(now, t.ResponseDue, cal)
}

// validPriority reports whether level can be a priority at all (the caller
// presses it on a phone keypad; 9 is reserved).
func validPriority(level int) bool { return level >= 1 && level <= 8 }
