package ivr

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"

	"supportline/errcode"
	"supportline/notify"
	"supportline/routing"
	"supportline/store"
	"supportline/tickets"
)

// whisper is played to an engineer who answers, before the legs are
// bridged: who is calling, what priority, which ticket; 1 accepts. Silence
// or any other key hangs up that leg and the Dial action moves on.
func (s *Server) whisper(c echo.Context) error {
	if _, err := readParams(c); err != nil {
		return err
	}
	parent := c.QueryParam("c")
	n := c.QueryParam("n")
	ctx := c.Request().Context()
	var call Call
	err := s.lax(ctx, "whisper", func(tx *store.Tx) (err error) {
		if call, err = loadCall(ctx, tx, parent); err == nil && call.TicketID == nil {
			err = errNoCall
		}
		return err
	})
	var sp speech
	if err != nil || call.Step != StepDialing || strconv.Itoa(call.DialStep) != n {
		// Nothing to offer (an unknown call, or a leg that is no longer
		// current): end this leg quietly rather than bridge a stranger.
		if err != nil {
			s.Log.Warn("whisper without a call to offer", "call_sid", parent, "err", err)
		}
		sp.hangup()
		return send(c, sp)
	}
	level := deref(call.Priority)
	pr, _ := s.Policy.Priority(level)
	text := s.words("whisper", "priority_word", s.Policy.PriorityWord(), "level", strconv.Itoa(level),
		"name", pr.Name, "account", call.AccountName, "contact", call.ContactName,
		"ticket", spell(strconv.FormatInt(call.TicketNumber, 10)))
	sp.add(&twiml.VoiceGather{
		Input:     "dtmf",
		NumDigits: "1",
		Timeout:   "8",
		Action:    s.url("/whisper/answer", url.Values{"c": {parent}, "n": {n}}),
		InnerElements: []twiml.Element{
			&twiml.VoiceSay{Message: text},
			&twiml.VoicePause{Length: "1"},
			&twiml.VoiceSay{Message: text},
		},
	})
	sp.say(s.words("whisper_declined"))
	sp.hangup()
	return send(c, sp)
}

// whisperAnswer records the engineer's answer. Pressing 1 is the first
// response on the ticket (the SLA clock stops) and bridges the legs; Twilio
// reports an answered leg as completed whatever the whisper did, so this is
// the only place acceptance is known.
func (s *Server) whisperAnswer(c echo.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	parent := c.QueryParam("c")
	n := c.QueryParam("n")
	ctx := c.Request().Context()
	var call Call
	load := func(tx *store.Tx) (err error) {
		call, err = loadCall(ctx, tx, parent)
		return err
	}
	// Only the leg of the call's current step, with a ticket, is offered.
	current := func() bool {
		return call.Step == StepDialing && strconv.Itoa(call.DialStep) == n && call.TicketID != nil
	}
	err = s.lax(ctx, "accept", load)
	switch {
	case err != nil || !current() || call.Outcome == OutcomeConnected:
		// Nothing to record; a repeat of the accepting request (one
		// engineer per step) is answered the same way below, with no
		// second effect, rather than hang up the engineer the caller is
		// waiting for.
	case p.Digits == "1":
		handle := call.dialSteps()[call.DialStep].Handle
		err = s.tx(ctx, "accept", func(tx *store.Tx) error {
			from := call.Seq
			call.Outcome = OutcomeConnected
			ok, err := saveCall(ctx, tx, &call, from)
			if err == nil && !ok {
				return errLost
			}
			if err != nil {
				return err
			}
			return tickets.Accepted(ctx, tx, *call.TicketID, handle)
		})
		if err == errLost { // a copy of this request moved the call first
			err = s.lax(ctx, "accept", load)
		}
	default:
		// Once per engineer and step: a replayed answer adds nothing.
		detail := declined(call.dialSteps()[call.DialStep].Handle, call.DialStep)
		err = s.lax(ctx, "decline", func(tx *store.Tx) error {
			return tickets.AddEventOnce(ctx, tx, *call.TicketID, tickets.EventWhisper, detail)
		})
	}
	var sp speech
	if err != nil {
		s.Log.Error("whisper answer failed", "call_sid", parent, "err", err)
		sp.say(s.words("apology"))
		sp.hangup()
		return send(c, sp)
	}
	if !current() || call.Outcome != OutcomeConnected || p.Digits != "1" {
		sp.say(s.words("whisper_declined"))
		sp.hangup()
		return send(c, sp)
	}
	s.Log.Info("engineer accepted", "call_sid", parent, "leg", p.CallSid)
	sp.say(s.words("whisper_accepted"))
	return send(c, sp)
}

// recording is the Record action (and, with empty=1, where the call goes
// when Twilio recorded nothing). A message is attached to the ticket and
// the engineer on call for the ticket's route gets an SMS.
func (s *Server) recording(c echo.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	// The caller is on the line: a malformed detail is dropped (logged) and
	// the message kept; an unknown duration is stored as 0.
	recURL := s.optional(c, "RecordingUrl")
	recSid := s.optional(c, "RecordingSid")
	dur, durKnown := s.seconds(c, "RecordingDuration")
	empty := c.QueryParam("empty") == "1" || recURL == "" || (durKnown && dur <= 0)
	var sp speech
	err = s.tx(ctx, "recording", func(tx *store.Tx) error {
		sp = nil
		call, err := loadCall(ctx, tx, p.CallSid)
		if err != nil {
			return err
		}
		if call.TicketID == nil || (call.Step != StepVoicemail && call.Step != StepDone) {
			s.render(&sp, &call)
			return nil
		}
		due := spokenDue(call.TicketTarget, deref(call.TicketDue), s.Policy.Calendar(call.TicketClock))
		ticketWords := spell(strconv.FormatInt(call.TicketNumber, 10))
		if empty {
			if call.Step == StepVoicemail {
				from := call.Seq
				call.Step, call.Outcome = StepDone, OutcomeNoMessage
				if _, err := saveCall(ctx, tx, &call, from); err != nil {
					return err
				}
			}
			sp.say(s.words("no_message", "ticket", ticketWords, "due", due))
			sp.hangup()
			return nil
		}
		first, err := tickets.AttachRecording(ctx, tx, *call.TicketID, recURL, recSid, dur)
		if err != nil {
			return err
		}
		if first {
			if err := s.textOnCall(ctx, tx, &call, recURL); err != nil {
				return err
			}
		}
		if call.Step == StepVoicemail {
			from := call.Seq
			call.Step, call.Outcome = StepDone, OutcomeVoicemail
			if _, err := saveCall(ctx, tx, &call, from); err != nil {
				return err
			}
		}
		sp.say(s.words("voicemail_thanks", "ticket", ticketWords, "due", due))
		sp.hangup()
		return nil
	})
	if err != nil {
		return s.trouble(c, p, err)
	}
	return send(c, sp)
}

// textOnCall queues the voicemail SMS to the engineer on call for the
// ticket's route, in the transaction that attaches the recording.
func (s *Server) textOnCall(ctx context.Context, tx *store.Tx, call *Call, recURL string) error {
	roster, err := s.roster(ctx, tx, call.RosterVersion, tx.Now)
	if err != nil {
		return err
	}
	priority := deref(call.Priority)
	in := routing.NewInput(s.Policy, call.Plan, priority, tx.Now, roster)
	body := fmt.Sprintf("Voicemail on ticket %d: %s %d, %s (%s). Listen: %s", call.TicketNumber,
		s.Policy.PriorityWord(), priority, call.AccountName, call.ContactName, recURL)
	to := routing.OnCallFor(in)
	if len(to) == 0 {
		s.Log.Warn("voicemail: nobody on call takes SMS; nobody was texted", "call_sid", call.CallSid, "ticket", call.TicketNumber)
	}
	for _, st := range to {
		if _, err := notify.Enqueue(ctx, tx, notify.Message{
			EventKey: fmt.Sprintf("ticket:%d:voicemail", call.TicketNumber), To: st.Number, Body: body}); err != nil {
			return err
		}
	}
	return nil
}

// recordingStatus is Twilio's recording status callback: it brings the
// recording's SID; attaching is idempotent with the Record action.
//
// Twilio's recording status callback carries no From or To, only the
// CallSid, so only that is checked. It may arrive before the Record action
// (or instead of it, when the action failed): whichever attaches the
// recording first queues the SMS.
func (s *Server) recordingStatus(c echo.Context) error {
	sid, err := readCallbackSid(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	recStatus, err := param(c, "RecordingStatus")
	if err != nil {
		return err
	}
	if recStatus != "completed" {
		return send(c, nil) // other events (in-progress, absent) bring no file
	}
	recURL, err := param(c, "RecordingUrl")
	if err != nil {
		return err // without its address there is nothing to attach
	}
	recSid := s.optional(c, "RecordingSid")
	dur, durKnown := s.seconds(c, "RecordingDuration")
	if recURL == "" || (durKnown && dur <= 0) {
		return send(c, nil)
	}
	err = s.tx(ctx, "recording-status", func(tx *store.Tx) error {
		call, err := loadCall(ctx, tx, sid)
		if err != nil || call.TicketID == nil {
			return err
		}
		first, err := tickets.AttachRecording(ctx, tx, *call.TicketID, recURL, recSid, dur)
		if err != nil || !first {
			return err
		}
		return s.textOnCall(ctx, tx, &call, recURL)
	})
	if errors.Is(err, errNoCall) {
		s.Log.Warn("recording status for a call the database does not know", "call_sid", sid)
		return send(c, nil)
	}
	if err != nil {
		s.Log.Error("recording status", "call_sid", sid, "err", err)
		return echo.NewHTTPError(500, "could not record the recording")
	}
	return send(c, nil)
}

// status is the call status callback: the final status and duration. A
// caller who hangs up before the ticket step leaves a call row and no ticket.
func (s *Server) status(c echo.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	st, err := param(c, "CallStatus")
	if err != nil {
		return err
	}
	switch st {
	case "completed", "busy", "failed", "no-answer", "canceled":
	default:
		return send(c, nil) // progress events change nothing
	}
	var dur *int
	if d, ok := s.seconds(c, "CallDuration"); ok { // a malformed one is dropped: the status still counts
		dur = &d
	}
	ctx := c.Request().Context()
	record := func(ctx context.Context) error {
		return s.lax(ctx, "status", func(tx *store.Tx) error { return endCall(ctx, tx, p.CallSid, st, dur) })
	}
	if err := record(ctx); err != nil {
		// Twilio never sends a status callback twice, so it is tried again
		// here, in the background, while the database comes back.
		if !s.retries.start(s.Log, p.CallSid, record) {
			s.Log.Error("status callback not recorded", "call_sid", p.CallSid, "status", st, "err", err)
			return echo.NewHTTPError(500, "could not record the status")
		}
		s.Log.Warn("status callback not recorded yet; trying again in the background", "call_sid", p.CallSid, "err", err)
		return send(c, nil)
	}
	s.Log.Info("call ended", "call_sid", p.CallSid, "status", st)
	return send(c, nil)
}

// escalate marks a ticket of the caller's account as escalated (once) and
// texts the engineers of the route's last step.
func (s *Server) escalate(c echo.Context, p params, call Call) error {
	d := p.Digits
	if strings.Contains(d, "*") {
		return s.repeat(c, &call)
	}
	number, err := strconv.ParseInt(d, 10, 64)
	if err != nil || d == "" {
		return s.miss(c, p, call, s.words("escalate_not_found"))
	}
	ctx := c.Request().Context()
	from := call.Seq
	var text string
	found := true
	err = s.tx(ctx, "escalate", func(tx *store.Tx) error {
		t, err := tickets.ForAccount(ctx, tx, number, deref(call.AccountID))
		if errcode.Is(err, errcode.NotFound) {
			found = false
			return nil
		}
		if err != nil {
			return err
		}
		first, err := tickets.Escalate(ctx, tx, t.ID, "caller "+call.SupportID)
		if err != nil {
			return err
		}
		words := spell(strconv.FormatInt(t.Number, 10))
		text = s.words("escalate_already", "ticket", words)
		if first {
			text = s.words("escalate_done", "ticket", words)
			roster, err := s.roster(ctx, tx, call.RosterVersion, tx.Now)
			if err != nil {
				return err
			}
			in := routing.NewInput(s.Policy, t.Plan, t.Priority, tx.Now, roster)
			body := fmt.Sprintf("ESCALATED ticket %d by %s (%s), %s %d, opened %s.", t.Number, call.AccountName,
				call.ContactName, s.Policy.PriorityWord(), t.Priority, t.OpenedAt.UTC().Format(time.RFC3339))
			to := routing.EscalateTo(in)
			if len(to) == 0 {
				s.Log.Warn("escalation: nobody on call takes SMS; nobody was texted", "call_sid", call.CallSid, "ticket", t.Number)
			}
			for _, e := range to {
				if _, err := notify.Enqueue(ctx, tx, notify.Message{
					EventKey: fmt.Sprintf("ticket:%d:escalated", t.Number), To: e.Phone, Body: body}); err != nil {
					return err
				}
			}
		}
		call.Step, call.Outcome = StepDone, OutcomeEscalated
		ok, err := saveCall(ctx, tx, &call, from)
		if err == nil && !ok {
			return errLost
		}
		return err
	})
	if err == errLost {
		return s.rerender(c, p)
	}
	if err != nil {
		return s.trouble(c, p, err)
	}
	if !found {
		call.Step = StepPriority
		return s.miss(c, p, call, s.words("escalate_not_found"))
	}
	var sp speech
	sp.say(text)
	sp.hangup()
	return send(c, sp)
}
