package ivr

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"

	"supportline/store"
)

// maxMisses is how many times a prompt is repeated after silence or an
// invalid entry before a polite goodbye (the prompt plays three times).
const maxMisses = 2

// maxPINAttempts is how many PINs one call may try.
const maxPINAttempts = 3

// incoming answers a new call: a caller number that matches exactly one
// contact goes straight to the PIN (caller ID is a hint, never proof, so
// nothing about the contact is said before the PIN); anyone else is asked
// for their support ID. A retried first webhook finds the row and
// re-prompts.
func (s *Server) incoming(c echo.Context, p params) error {
	ctx := c.Request().Context()
	var call Call
	created := false
	err := s.lax(ctx, "incoming", func(q *store.Q) error {
		call = Call{CallSid: p.CallSid, From: p.From, To: p.To, Step: StepSupportID}
		if !p.Caller.Withheld() { // a placeholder is no one's number
			matches, err := s.Accounts.ContactsByPhoneTx(ctx, q, p.Caller.Number)
			if err != nil {
				return err
			}
			if len(matches) == 1 {
				m := matches[0]
				call.Step, call.ViaCallerID, call.SupportID = StepPIN, true, m.SupportID
				call.ContactID, call.AccountID = &m.ID, &m.AccountID
			}
		}
		var err error
		created, err = insertCall(ctx, q, call)
		if err != nil || created {
			return err // a new call is at seq 0 of its first step
		}
		call, err = loadCall(ctx, q, p.CallSid) // a retried first webhook
		return err
	})
	if err != nil {
		return s.trouble(c, p, err)
	}
	s.Log.Info("call started", "call_sid", p.CallSid, "step", call.Step, "via_caller_id", call.ViaCallerID)
	var sp speech
	// Greeted once: by the request that created the call's row (also when
	// that is a retry after "one moment please": the first try could not
	// get that far), not by a copy of it.
	if created {
		sp.say(s.words("greeting", "line", s.Policy.Line.Name))
	}
	s.render(&sp, &call)
	carryPatience(c, sp)
	return send(c, sp)
}

// carryPatience passes the outage's start and tries (t and r, see trouble)
// from a request that re-prompted after a failure on to the next request
// of the prompt it renders: when the database reads but cannot write (a
// held lock, a failover in progress) the re-prompt succeeds, and without
// them the caller's patience would start over at every key they press.
func carryPatience(c echo.Context, sp speech) {
	t, r := c.QueryParam("t"), c.QueryParam("r")
	if t == "" {
		return
	}
	extra := "&" + url.Values{"t": {t}, "r": {r}}.Encode()
	for _, el := range sp {
		switch v := el.(type) {
		case *twiml.VoiceGather:
			v.Action += extra
		case *twiml.VoiceRedirect:
			v.Url += extra
		}
	}
}

// step is the action of every menu Gather. A request for a step or
// sequence the call is not at re-prompts the current step.
func (s *Server) step(c echo.Context, p params, call Call) error {
	if !atStep(c, &call) {
		var sp speech
		s.render(&sp, &call)
		return send(c, sp)
	}
	switch call.Step {
	case StepSupportID:
		return s.supportID(c, p, call)
	case StepPIN:
		return s.pin(c, p, call)
	case StepPriority:
		return s.priority(c, p, call)
	case StepConfirm:
		return s.confirm(c, p, call)
	case StepEscalate:
		return s.escalate(c, p, call)
	}
	var sp speech
	s.render(&sp, &call)
	return send(c, sp)
}

// atStep reports whether the request's s and q match the call's state.
func atStep(c echo.Context, call *Call) bool {
	q, err := strconv.Atoi(c.QueryParam("q"))
	return err == nil && c.QueryParam("s") == string(call.Step) && q == call.Seq
}

// prompt re-prompts the current step: after a Gather heard nothing
// (why=silence, counted: the third silence ends the call politely) or after
// a transient failure (r = tries so far).
func (s *Server) prompt(c echo.Context, p params, call Call) error {
	if c.QueryParam("why") != "silence" || !atStep(c, &call) {
		var sp speech
		s.render(&sp, &call)
		carryPatience(c, sp)
		return send(c, sp)
	}
	from := call.Seq
	call.Misses++
	if call.Misses > maxMisses {
		call.Step, call.Outcome = StepDone, OutcomeNoInput
		return s.move(c, p, call, from, s.words("no_input_goodbye"))
	}
	return s.move(c, p, call, from, s.words("no_input"))
}

// gather builds a Gather for the call's current step: its action carries
// the step and sequence, and a Redirect after it catches silence.
func (s *Server) gather(sp *speech, call *Call, numDigits int, timeout int, texts ...string) {
	g := &twiml.VoiceGather{
		Input:   "dtmf",
		Action:  s.stepURL("/step", call),
		Timeout: strconv.Itoa(timeout),
	}
	if numDigits > 0 {
		g.NumDigits = strconv.Itoa(numDigits)
	} else {
		g.FinishOnKey = "#"
	}
	for _, t := range texts {
		g.InnerElements = append(g.InnerElements, &twiml.VoiceSay{Message: t})
	}
	sp.add(g)
	sp.redirect(s.url("/prompt", url.Values{"s": {string(call.Step)}, "q": {strconv.Itoa(call.Seq)}, "why": {"silence"}}))
}

// render appends what the caller hears at the call's current step.
func (s *Server) render(sp *speech, call *Call) {
	switch call.Step {
	case StepSupportID:
		s.gather(sp, call, 0, 10, s.words("ask_support_id"))
	case StepPIN:
		s.gather(sp, call, 0, 10, s.words("ask_pin"))
	case StepPriority:
		s.gather(sp, call, 1, 8, s.priorityMenu(call)...)
	case StepConfirm:
		pr, _ := s.Policy.Priority(deref(call.Priority))
		s.gather(sp, call, 1, 8,
			s.words("confirm_priority", "priority_word", s.Policy.PriorityWord(), "level", strconv.Itoa(pr.Level),
				"name", pr.Name, "description", pr.Description),
			s.words("repeat_hint"))
	case StepEscalate:
		s.gather(sp, call, 0, 10, s.words("escalate_ask"))
	case StepDialing:
		s.dial(sp, call)
	case StepVoicemail:
		s.record(sp, call, "voicemail_nobody")
	default:
		sp.say(s.words("goodbye"))
		sp.hangup()
	}
}

func (s *Server) priorityMenu(call *Call) []string {
	texts := []string{s.words("priority_intro", "priority_word", s.Policy.PriorityWord())}
	plan, _ := s.Policy.Plan(call.Plan)
	for _, level := range plan.Levels() {
		pr, ok := s.Policy.Priority(level)
		if !ok {
			continue
		}
		texts = append(texts, s.words("priority_option", "priority_word", s.Policy.PriorityWord(),
			"level", strconv.Itoa(level), "name", pr.Name, "description", pr.Description))
	}
	return append(texts, s.words("escalate_option"), s.words("repeat_hint"))
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// move saves the call's new state in its own transaction and answers with
// the new step's prompt, preceded by texts. A lost race re-prompts.
func (s *Server) move(c echo.Context, p params, call Call, from int, texts ...string) error {
	ctx := c.Request().Context()
	ok := false
	err := s.lax(ctx, "move", func(q *store.Q) (err error) {
		ok, err = saveCall(ctx, q, &call, from)
		if err == nil && !ok {
			call, err = loadCall(ctx, q, p.CallSid)
		}
		return err
	})
	if err != nil {
		return s.trouble(c, p, err)
	}
	var sp speech
	if ok {
		for _, t := range texts {
			sp.say(t)
		}
		if call.Step == StepDone && len(texts) > 0 {
			sp.hangup() // the texts said goodbye
			return send(c, sp)
		}
	}
	s.render(&sp, &call)
	return send(c, sp)
}

// miss counts a silence or an invalid entry at the current step; the third
// ends the call.
func (s *Server) miss(c echo.Context, p params, call Call, text string) error {
	from := call.Seq
	call.Misses++
	if call.Misses > maxMisses {
		call.Step, call.Outcome = StepDone, OutcomeNoInput
		return s.move(c, p, call, from, text, s.words("no_input_goodbye"))
	}
	return s.move(c, p, call, from, text)
}

func (s *Server) supportID(c echo.Context, p params, call Call) error {
	switch {
	case strings.Contains(p.Digits, "*"):
		return s.repeat(c, &call)
	case len(p.Digits) != 8 || strings.Trim(p.Digits, "0123456789") != "":
		return s.miss(c, p, call, "Support IDs have eight digits.")
	}
	// The entry may be the caller's PIN keyed at the wrong prompt: it is
	// kept only if it is a contact's support ID, else as its keyed hash.
	if err := s.ready("claim"); err != nil {
		return s.trouble(c, p, err)
	}
	claim, err := s.Pins.Claim(c.Request().Context(), p.Digits)
	if err != nil {
		return s.trouble(c, p, err)
	}
	from := call.Seq
	call.SupportID, call.EntryKey, call.Step, call.Misses = claim.SupportID, claim.Key, StepPIN, 0
	return s.move(c, p, call, from)
}

var errLost = errors.New("another request moved the call first")
