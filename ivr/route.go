package ivr

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"

	"supportline/errcode"
	"supportline/notify"
	"supportline/oncall"
	"supportline/routing"
	"supportline/store"
	"supportline/tickets"
)

// openTicket opens the call's ticket (once: the seq guard and the unique
// call_sid both see to it), decides the route in the same transaction, and
// tells the caller the ticket number before ringing or recording.
func (s *Server) openTicket(c echo.Context, p params, call Call) error {
	ctx := c.Request().Context()
	from := call.Seq
	var t tickets.Ticket
	var rt routing.Route
	ok := false
	err := s.tx(ctx, "ticket", func(tx *store.Tx) (err error) {
		// Where the call goes first, so that the ticket's events (opened,
		// routed) are written in one statement.
		rt, err = s.Route(ctx, tx, call.RosterVersion, call.Plan, deref(call.Priority), tx.Now)
		if err != nil {
			return err
		}
		sid := call.CallSid
		t, err = s.Tickets.OpenTx(ctx, tx, tickets.OpenInput{AccountID: deref(call.AccountID),
			ContactID: call.ContactID, Plan: call.Plan, Priority: deref(call.Priority), CallSid: &sid,
			Then: []tickets.Note{{Kind: tickets.EventRouted, Detail: rt.Message}}})
		if errcode.Is(err, errcode.Conflict) {
			// A copy of this webhook running beside this one opened the
			// call's ticket first (PostgreSQL: this insert waited on the
			// unique call_sid until that copy committed).
			return errLost
		}
		if err != nil {
			return err
		}
		call.TicketID, call.Misses = &t.ID, 0
		if err := s.receipt(ctx, tx, &call, t); err != nil {
			return err
		}
		if rt.Kind == routing.Live {
			steps := make([]DialStep, len(rt.Steps))
			for i, st := range rt.Steps {
				steps[i] = DialStep{Handle: st.Handle, Name: st.Name, Number: st.Number,
					RingSecs: int(st.Ring / time.Second), PolicyStep: st.PolicyStep, Schedule: st.Schedule}
			}
			call.setDialSteps(steps)
			call.Step, call.DialStep = StepDialing, 0
		} else {
			call.Step = StepVoicemail
		}
		ok, err = saveCall(ctx, tx, &call, from)
		if err == nil && !ok {
			return errLost // roll back the ticket: another copy of this webhook won
		}
		return err
	})
	if errors.Is(err, errLost) {
		return s.rerender(c, p)
	}
	if err != nil {
		return s.trouble(c, p, err)
	}
	s.Log.Info("ticket opened", "call_sid", p.CallSid, "ticket", t.Number, "priority", t.Priority,
		"route", rt.Kind, "due", t.ResponseDue)
	var sp speech
	sp.say(s.words("ticket_number", "ticket", spell(strconv.FormatInt(t.Number, 10))))
	if rt.Kind == routing.Live {
		sp.say(s.words("connecting"))
		s.dial(&sp, &call)
		return send(c, sp)
	}
	key := "voicemail_nobody"
	if len(rt.Steps) == 0 && rt.LiveCalendar != "" {
		if cal := s.Policy.Calendar(rt.LiveCalendar); cal != nil && !cal.IsOpen(rt.At) {
			key = "voicemail_closed"
		}
	}
	s.record(&sp, &call, key)
	return send(c, sp)
}

// receipt queues, in the transaction that opens ticket t, the caller's
// SMS receipt when the plan sets receipt_sms (notify decides, and writes
// the text). A ticket opens only after the PIN was verified (the priority
// menu comes after it), and the receipt goes to the verified contact's
// phone on file, read afresh here, never to the call's caller ID. A
// contact gone since the PIN, or without a usable phone, gets no receipt;
// the ticket opens all the same.
func (s *Server) receipt(ctx context.Context, tx *store.Tx, call *Call, t tickets.Ticket) error {
	if plan, ok := s.Policy.Plan(call.Plan); !ok || !plan.ReceiptSMS {
		return nil
	}
	if call.ContactID == nil || call.SupportID == "" {
		return nil
	}
	contact, err := s.Accounts.ContactBySupportIDTx(ctx, tx, call.SupportID)
	if errcode.Is(err, errcode.NotFound) || (err == nil && contact.ID != *call.ContactID) {
		s.Log.Warn("no receipt: the caller's contact is gone", "call_sid", call.CallSid, "ticket", t.Number)
		return nil
	}
	if err != nil {
		return err
	}
	queued, err := notify.TextReceiptTx(ctx, tx, s.Policy, notify.Receipt{Number: t.Number, Plan: t.Plan,
		Priority: t.Priority, ResponseDue: t.ResponseDue, To: contact.Phone})
	if errcode.Is(err, errcode.Invalid) {
		s.Log.Warn("no receipt: the contact has no usable phone on file", "call_sid", call.CallSid, "ticket", t.Number)
		return nil
	}
	if err == nil && queued {
		s.Log.Info("receipt queued", "call_sid", call.CallSid, "ticket", t.Number)
	}
	return err
}

// roster is who is on call around at, as of roster version (the call's
// load read it; 0 reads it afresh).
func (s *Server) roster(ctx context.Context, tx *store.Tx, version int64, at time.Time) (oncall.Roster, error) {
	return s.rosters.Snapshot(ctx, tx, version, at, at.Add(time.Second))
}

// Route says where a call of plan and priority goes at `at`, from the
// roster as of version (serve --demo asks it too, to name the engineer on
// call, with version 0).
func (s *Server) Route(ctx context.Context, tx *store.Tx, version int64, plan string, priority int, at time.Time) (routing.Route, error) {
	roster, err := s.roster(ctx, tx, version, at)
	if err != nil {
		return routing.Route{}, err
	}
	return routing.Decide(routing.NewInput(s.Policy, plan, priority, at, roster))
}

// dial appends the Dial of the call's current step: one Number whose url is
// the whisper, ringing for the step's timeout, caller ID the support line.
func (s *Server) dial(sp *speech, call *Call) {
	st, ok := s.dialStep(call, call.DialStep)
	if !ok {
		s.record(sp, call, "voicemail_nobody")
		return
	}
	n := strconv.Itoa(call.DialStep)
	sp.add(&twiml.VoiceDial{
		Action:         s.url("/dial", url.Values{"q": {strconv.Itoa(call.Seq)}, "n": {n}}),
		Timeout:        strconv.Itoa(st.RingSecs),
		AnswerOnBridge: "true",
		CallerId:       s.Policy.Line.Number,
		InnerElements: []twiml.Element{&twiml.VoiceNumber{
			PhoneNumber: st.Number,
			Url:         s.url("/whisper", url.Values{"c": {call.CallSid}, "n": {n}}),
		}},
	})
}

// record appends the voicemail Record, then what to say when Twilio skips
// the action because nothing was recorded.
func (s *Server) record(sp *speech, call *Call, intro string) {
	sp.say(s.words(intro, "priority_word", s.Policy.PriorityWord(), "hours", s.liveHours(call)))
	sp.add(&twiml.VoiceRecord{
		Action:                  s.url("/recording", url.Values{"c": {call.CallSid}}),
		MaxLength:               "300",
		FinishOnKey:             "#",
		PlayBeep:                "true",
		RecordingStatusCallback: s.url("/recording/status", url.Values{"c": {call.CallSid}}),
	})
	sp.redirect(s.url("/recording", url.Values{"c": {call.CallSid}, "empty": {"1"}}))
}

// liveHours describes the live calendar of the call's plan priority.
func (s *Server) liveHours(call *Call) string {
	plan, _ := s.Policy.Plan(call.Plan)
	pp := plan.Priorities[deref(call.Priority)]
	if cal := s.Policy.Calendar(pp.Live); cal != nil && !cal.IsAlways() {
		return "during business hours"
	}
	return "at all hours"
}

// dialAction continues after a Dial: an accepted call has ended (hang up);
// otherwise ring the next step, and after the last one, record a message.
func (s *Server) dialAction(c echo.Context, p params) error {
	ctx := c.Request().Context()
	var sp speech
	err := withCallTx(ctx, s.menuTx, "dial", p.CallSid, func(tx *store.Tx, call Call) error {
		sp = nil
		q, _ := strconv.Atoi(c.QueryParam("q"))
		n, _ := strconv.Atoi(c.QueryParam("n"))
		if call.Outcome == OutcomeConnected {
			sp.hangup()
			return nil
		}
		if call.Step != StepDialing || q != call.Seq || n != call.DialStep {
			s.render(&sp, &call) // a replay: no second effect
			return nil
		}
		// Move the call on first: of two copies of this webhook running at
		// once (PostgreSQL), the second waits here and then finds the seq
		// moved, so it adds no second event.
		from := call.Seq
		st, rung := s.dialStep(&call, n) // false: a broken list, nobody more to ring
		call.DialStep++
		if !rung || call.DialStep >= len(call.steps) {
			call.Step = StepVoicemail
		}
		ok, err := saveCall(ctx, tx, &call, from)
		if err != nil {
			return err
		}
		if !ok {
			return errLost
		}
		if call.TicketID != nil && rung {
			// Said already, and better, when the engineer pressed a key
			// to decline.
			handle := st.Handle
			detail := notAccepted(handle, n, s.optional(c, "DialCallStatus"))
			if _, err := s.Tickets.AddEventOnceTx(ctx, tx, *call.TicketID, tickets.WhisperKey(n), tickets.EventWhisper, detail); err != nil {
				return err
			}
		}
		s.render(&sp, &call)
		return nil
	})
	if errors.Is(err, errLost) {
		return s.rerender(c, p)
	}
	if err != nil {
		return s.trouble(c, p, err)
	}
	return send(c, sp)
}

// declined is the whisper event of an engineer who pressed another key than
// 1 at dial step n (0-based).
func declined(handle string, n int) string {
	return fmt.Sprintf("%s declined (step %d)", handle, n+1)
}

// notAccepted is the whisper event of an engineer whose leg at dial step n
// ended without an acceptance, in words for the ticket's history, from
// Twilio's DialCallStatus.
func notAccepted(handle string, n int, status string) string {
	what := map[string]string{
		"completed": "answered but did not accept",
		"no-answer": "did not answer",
		"busy":      "was busy",
		"failed":    "could not be reached",
		"canceled":  "was not reached (the caller hung up)",
	}[status]
	switch {
	case what == "" && status == "": // missing or dropped as malformed
		what = "did not accept"
	case what == "":
		what = fmt.Sprintf("did not accept (%s)", status)
	}
	return fmt.Sprintf("%s %s (step %d)", handle, what, n+1)
}
