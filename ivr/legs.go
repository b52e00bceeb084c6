package ivr

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"

	"supportline/errcode"
	"supportline/notify"
	"supportline/store"
	"supportline/tickets"
)

// whisper is played to an engineer who answers, before the legs are
// bridged: who is calling, what priority, which ticket; 1 accepts. Silence
// or any other key hangs up that leg and the Dial action moves on.
func (s *Server) whisper(c echo.Context, _ params) error {
	parent := c.QueryParam("c")
	n := c.QueryParam("n")
	call, err := s.readCall(c.Request().Context(), "whisper", parent)
	if err == nil && call.TicketID == nil {
		err = errNoCall
	}
	var sp speech
	if _, ok := s.offered(&call, n); err == nil && !ok {
		err = errNotOffered
	}
	if err != nil {
		// Nothing to offer (an unknown call, or a leg that is no longer
		// current): end this leg quietly rather than bridge a stranger.
		if !errors.Is(err, errNotOffered) {
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

// errNotOffered: the whisper's leg is not the call's current dial step
// (a late or replayed request), or that step has no engineer.
var errNotOffered = errors.New("the leg is not the call's current dial step")

// offered returns the engineer of leg n (the query's n, 0-based) when that
// leg is the call's current dial step and the call has its ticket: only
// such a leg is offered the call.
func (s *Server) offered(call *Call, n string) (DialStep, bool) {
	if call.TicketID == nil || call.Step != StepDialing || strconv.Itoa(call.DialStep) != n {
		return DialStep{}, false
	}
	return s.dialStep(call, call.DialStep)
}

// whisperAnswer records the engineer's answer. Pressing 1 is the first
// response on the ticket (the SLA clock stops) and bridges the legs; Twilio
// reports an answered leg as completed whatever the whisper did, so this is
// the only place acceptance is known.
func (s *Server) whisperAnswer(c echo.Context, p params) error {
	parent := c.QueryParam("c")
	n := c.QueryParam("n")
	ctx := c.Request().Context()
	call, err := s.readCall(ctx, "accept", parent)
	step, current := s.offered(&call, n) // nothing is, when the read failed
	switch {
	case err != nil || !current || call.Outcome == OutcomeConnected:
		// Nothing to record; a repeat of the accepting request (one
		// engineer per step) is answered the same way below, with no
		// second effect, rather than hang up the engineer the caller is
		// waiting for.
	case p.Digits == "1":
		handle := step.Handle
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
			return s.Tickets.AcceptedTx(ctx, tx, *call.TicketID, handle)
		})
		if errors.Is(err, errLost) { // a copy of this request moved the call first
			call, err = s.readCall(ctx, "accept", parent)
			_, current = s.offered(&call, n)
		}
	default:
		// Once per engineer and step: a replayed answer adds nothing.
		detail := declined(step.Handle, call.DialStep)
		err = s.lax(ctx, "decline", func(q *store.Q) error { // one statement: no transaction needed
			_, err := s.Tickets.AddEventOnceTx(ctx, q, *call.TicketID, tickets.WhisperKey(call.DialStep), tickets.EventWhisper, detail)
			return err
		})
	}
	var sp speech
	if err != nil {
		s.Log.Error("whisper answer failed", "call_sid", parent, "err", err)
		sp.say(s.words("apology"))
		sp.hangup()
		return send(c, sp)
	}
	if !current || call.Outcome != OutcomeConnected || p.Digits != "1" {
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
func (s *Server) recording(c echo.Context, p params) error {
	ctx := c.Request().Context()
	// The caller is on the line: a malformed detail is dropped (logged) and
	// the message kept; an unknown duration is stored as 0.
	recURL := s.optional(c, "RecordingUrl")
	recSid := s.optional(c, "RecordingSid")
	dur, durKnown := s.seconds(c, "RecordingDuration")
	empty := c.QueryParam("empty") == "1" || recURL == "" || (durKnown && dur <= 0)
	var sp speech
	err := withCallTx(ctx, s.tx, "recording", p.CallSid, func(tx *store.Tx, call Call) error {
		sp = nil
		if call.TicketID == nil || (call.Step != StepVoicemail && call.Step != StepDone) {
			s.render(&sp, &call)
			return nil
		}
		outcome, words := OutcomeNoMessage, "no_message"
		if !empty {
			outcome, words = OutcomeVoicemail, "voicemail_thanks"
			first, err := s.Tickets.AttachRecordingTx(ctx, tx, *call.TicketID, recURL, recSid, dur)
			if err != nil {
				return err
			}
			if first {
				if err := s.textVoicemail(ctx, tx, &call, recURL); err != nil {
					return err
				}
			}
		}
		if call.Step == StepVoicemail {
			from := call.Seq
			call.Step, call.Outcome = StepDone, outcome
			if _, err := saveCall(ctx, tx, &call, from); err != nil {
				return err
			}
		}
		due := spokenDue(call.TicketTarget, deref(call.TicketDue), s.Policy.Calendar(call.TicketClock))
		sp.say(s.words(words, "ticket", spell(strconv.FormatInt(call.TicketNumber, 10)), "due", due))
		sp.hangup()
		return nil
	})
	if err != nil {
		return s.trouble(c, p, err)
	}
	return send(c, sp)
}

// textVoicemail queues the voicemail's SMS in the transaction that
// attaches the recording.
func (s *Server) textVoicemail(ctx context.Context, tx *store.Tx, call *Call, recURL string) error {
	return s.text(ctx, tx, call, notify.TicketAlert{Kind: tickets.EventVoicemail, Number: call.TicketNumber,
		Plan: call.Plan, Priority: deref(call.Priority), AccountName: call.AccountName, Contact: call.ContactName,
		RecordingURL: recURL})
}

// text queues, in tx, the SMS about an event of the call's ticket: notify
// decides who is texted, from who is on call now, and what it says.
func (s *Server) text(ctx context.Context, tx *store.Tx, call *Call, alert notify.TicketAlert) error {
	roster, err := s.roster(ctx, tx, call.RosterVersion, tx.Now)
	if err != nil {
		return err
	}
	n, err := notify.TextTicketTx(ctx, tx, s.Policy, roster, alert)
	if err == nil && n == 0 {
		s.Log.Warn("nobody on call takes SMS; nobody was texted", "call_sid", call.CallSid,
			"ticket", alert.Number, "event", alert.Kind)
	}
	return err
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
	err = withCallTx(ctx, s.tx, "recording-status", sid, func(tx *store.Tx, call Call) error {
		if call.TicketID == nil {
			return nil
		}
		first, err := s.Tickets.AttachRecordingTx(ctx, tx, *call.TicketID, recURL, recSid, dur)
		if err != nil || !first {
			return err
		}
		return s.textVoicemail(ctx, tx, &call, recURL)
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
func (s *Server) status(c echo.Context, p params) error {
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
		return s.lax(ctx, "status", func(q *store.Q) error { return endCall(ctx, q, p.CallSid, st, dur) })
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
		t, err := s.Tickets.ForAccountTx(ctx, tx, number, deref(call.AccountID))
		if errcode.Is(err, errcode.NotFound) {
			found = false
			return nil
		}
		if err != nil {
			return err
		}
		first, err := s.Tickets.EscalateTx(ctx, tx, t.ID, "caller "+call.SupportID)
		if err != nil {
			return err
		}
		words := spell(strconv.FormatInt(t.Number, 10))
		text = s.words("escalate_already", "ticket", words)
		if first {
			text = s.words("escalate_done", "ticket", words)
			alert := notify.AlertOf(tickets.EventEscalated, t)
			alert.AccountName, alert.Contact = call.AccountName, call.ContactName
			if err := s.text(ctx, tx, &call, alert); err != nil {
				return err
			}
		}
		call.Step, call.Outcome = StepDone, OutcomeEscalated
		ok, err := saveCall(ctx, tx, &call, from)
		if err == nil && !ok {
			return errLost
		}
		return err
	})
	if errors.Is(err, errLost) {
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
