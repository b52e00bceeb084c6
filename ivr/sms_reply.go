package ivr

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"supportline/auth"
	"supportline/errcode"
	"supportline/notify"
	"supportline/oncall"
	"supportline/store"
	"supportline/tickets"
)

// Every word the SMS face texts back, and the domain calls behind them.

// smsHelp is the reply to HELP and to anything that is not a command.
const smsHelp = "Supportline commands: ACK 100123 records your first response to ticket 100123; " +
	"RESOLVE 100123 resolves it; NOTE 100123 text adds a note; ACK or RESOLVE alone is for the last ticket texted to you; " +
	"WHO says who is on call now; HELP shows this."

// smsShared answers a number that several engineers share.
const smsShared = "This phone number belongs to more than one engineer, so a command from it cannot say who is answering. " +
	"Nothing changed; give each engineer their own number (supportline engineer)."

// smsTrouble answers a command the database failed.
const smsTrouble = "Sorry, Supportline could not do that just now (a problem on our side). Try again in a minute."

// smsTime is how replies give an instant: a ticket's in the zone the
// engineer keeps time in (their first schedule's), a shift's in its
// schedule's zone.
const smsTime = "Mon 2 Jan 15:04 MST"

// runSMS runs an ACK, RESOLVE or NOTE as who (engineer e, who keeps time
// in zone). done is false
// when it was refused in words (no such ticket, nothing texted yet), which
// changed nothing; err is a failure (the database).
func (s *Server) runSMS(ctx context.Context, who auth.Principal, e oncall.Engineer, zone *time.Location, cmd smsCommand) (reply string, done bool, err error) {
	number, subject := cmd.number, ""
	if number == 0 {
		if number, err = s.lastTicketTo(ctx, e.Phone); errcode.Is(err, errcode.NotFound) {
			return "No ticket has been texted to you yet, so " + cmd.verb + " alone means nothing. Send " + cmd.verb +
				" and the ticket number, e.g. " + cmd.verb + " 100123. Nothing changed.", false, nil
		} else if err != nil {
			return "", false, err
		}
		subject = "Ticket " + strconv.FormatInt(number, 10) + " (the last one texted to you)"
	} else {
		subject = "Ticket " + strconv.FormatInt(number, 10)
	}
	if err := s.ready("sms_" + strings.ToLower(cmd.verb)); err != nil {
		return "", false, err
	}
	actor := who.Actor()
	switch cmd.verb {
	case cmdAck:
		handle, err := who.ActsAs(e.Handle)
		if err != nil {
			return "", false, err
		}
		t, changed, err := s.Tickets.Acknowledge(ctx, actor, number, handle)
		if err != nil {
			return s.refused(number, err)
		}
		at := t.RespondedAt.In(zone).Format(smsTime)
		if !changed {
			by := t.Responder
			if by == e.Handle {
				by = "you (" + by + ")"
			}
			return subject + " was already acknowledged, by " + by + " at " + at + ". Nothing changed.", true, nil
		}
		late := ""
		if t.RespondedAt.After(t.ResponseDue) {
			late = ", after its due time " + t.ResponseDue.In(zone).Format(smsTime)
		}
		return subject + " acknowledged: first response by you (" + e.Handle + ") at " + at + late +
			". Its SLA clock has stopped.", true, nil
	case cmdResolve:
		t, changed, err := s.Tickets.Resolve(ctx, actor, number)
		if err != nil {
			return s.refused(number, err)
		}
		at := t.ResolvedAt.In(zone).Format(smsTime)
		if !changed {
			return subject + " was already resolved, at " + at + ". Nothing changed.", true, nil
		}
		return subject + " resolved at " + at + ".", true, nil
	case cmdNote:
		if _, err := s.Tickets.Note(ctx, actor, number, cmd.text); err != nil {
			return s.refused(number, err)
		}
		return "Note added to " + strings.ToLower(subject[:1]) + subject[1:] + ".", true, nil
	}
	return "", false, fmt.Errorf("sms: %s is not a command that changes a ticket", cmd.verb)
}

// refused words what the tickets domain refused: the engineer sees why,
// in words of ours (its messages speak of the CLI's flags). A failure
// that is no refusal is returned as it is.
func (s *Server) refused(number int64, err error) (string, bool, error) {
	n := strconv.FormatInt(number, 10)
	switch errcode.CodeOf(err) {
	case errcode.NotFound:
		return "There is no ticket " + n + ". Nothing changed.", false, nil
	case errcode.Conflict:
		return "Ticket " + n + " was resolved without a response, so it cannot be acknowledged now. Nothing changed.", false, nil
	case errcode.Invalid:
		return "Ticket " + n + " was not changed: the note must be one line of at most " +
			strconv.Itoa(tickets.MaxNoteLen) + " characters.", false, nil
	case errcode.Forbidden:
		return "You may not change ticket " + n + " by SMS. Nothing changed.", false, nil
	}
	return "", false, err
}

// lastTicketTo is the ticket the last SMS about a ticket to phone was about.
func (s *Server) lastTicketTo(ctx context.Context, phone string) (n int64, err error) {
	err = s.lax(ctx, "sms_last_ticket", func(q *store.Q) error {
		n, err = notify.LastTicketTx(ctx, q, phone)
		return err
	})
	return n, err
}

// smsWho is who is on call now in each schedule.
func (s *Server) smsWho(ctx context.Context) (string, error) {
	if err := s.ready("sms_who"); err != nil {
		return "", err
	}
	cov, err := s.Tickets.Engineers.OnCall(ctx, s.DB.Now())
	if err != nil {
		return "", err
	}
	if len(cov) == 0 {
		return "No schedules are set up, so nobody is on call.", nil
	}
	parts := make([]string, len(cov))
	for i, c := range cov {
		switch {
		case c.Engineer == "":
			parts[i] = c.Schedule + ": nobody (" + strings.TrimRightFunc(c.Nobody, func(r rune) bool { return r == '.' || unicode.IsSpace(r) }) + ")"
		case c.Until.IsZero():
			parts[i] = c.Schedule + ": " + c.Engineer + " (" + c.Name + ")"
		default:
			parts[i] = c.Schedule + ": " + c.Engineer + " (" + c.Name + ") until " + c.Until.Format(smsTime)
		}
	}
	return "On call now: " + strings.Join(parts, "; ") + ".", nil
}

// cutSMS keeps a reply within what Twilio sends as one message
// (notify.MaxBodyLen UTF-16 code units), ending a cut reply with an
// ellipsis.
func cutSMS(s string) string { return notify.Cut(s, notify.MaxBodyLen) }
