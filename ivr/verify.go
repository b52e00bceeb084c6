package ivr

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"supportline/pins"
	"supportline/store"
)

// pin checks the keyed PIN. The attempt is claimed first (seq and the
// call's PIN count advance in one conditional update), so a replayed
// webhook can never verify twice; the slow hash then runs outside any
// transaction. The digits go to pins.Verify and nowhere else: not to the
// call row, a log line or a URL.
func (s *Server) pin(c echo.Context, p params, call Call) error {
	keyed := p.Digits
	if strings.Contains(keyed, "*") {
		return s.repeat(c, &call)
	}
	if keyed == "" {
		return s.miss(c, p, call, s.words("pin_wrong"))
	}
	if call.SupportID == "" && call.EntryKey == "" && !call.ViaCallerID {
		// A call at the PIN prompt across an upgrade whose migration forgot
		// the unmatched entry it held: ask for the support ID again.
		from := call.Seq
		call.Step, call.Misses = StepSupportID, 0
		return s.move(c, p, call, from)
	}
	ctx := c.Request().Context()
	from := call.Seq
	call.PINAttempts++
	call.Misses = 0
	claimed := false
	err := s.tx(ctx, "pin-claim", func(tx *store.Tx) (err error) {
		claimed, err = saveCall(ctx, tx, &call, from)
		return err
	})
	if err != nil {
		return s.trouble(c, p, err)
	}
	if !claimed {
		return s.rerender(c, p)
	}
	claim := pins.Claim{SupportID: call.SupportID, Key: call.EntryKey}
	contact, result, err := s.Pins.Verify(ctx, claim, keyed, p.From)
	if err != nil {
		// The attempt was claimed but not judged; give it back and ask again.
		call.PINAttempts--
		return s.pinRetry(c, p, call, err)
	}
	email := spokenEmail(s.Policy.Line.SupportEmail)
	from = call.Seq
	switch result {
	case pins.OK:
		call.ContactID, call.AccountID = &contact.ID, &contact.AccountID
		call.Plan = contact.Plan
		plan, ok := s.Policy.Plan(contact.Plan)
		if !ok || !plan.Phone {
			msg := plan.Message
			if !ok {
				msg = fmt.Sprintf("Your plan does not include phone support. Please email %s.", email)
			}
			call.Step, call.Outcome = StepDone, OutcomeRefused
			s.Log.Info("caller not entitled to phone support", "call_sid", p.CallSid, "plan", contact.Plan)
			return s.move(c, p, call, from, s.words("not_entitled", "message", msg))
		}
		call.Step = StepPriority
		return s.move(c, p, call, from)
	case pins.Locked:
		call.Step, call.Outcome = StepDone, OutcomeLocked
		return s.move(c, p, call, from, s.words("locked", "email", email))
	case pins.Expired:
		call.Step, call.Outcome = StepDone, OutcomeExpired
		return s.move(c, p, call, from, s.words("pin_expired", "email", email))
	case pins.Busy:
		call.PINAttempts--
		return s.move(c, p, call, from, s.words("one_moment"))
	default: // Wrong, Revoked: the same words as an unknown support ID
		if call.PINAttempts >= maxPINAttempts {
			call.Step, call.Outcome = StepDone, OutcomeUnverified
			return s.move(c, p, call, from, s.words("pin_wrong"), s.words("too_many_attempts", "email", email))
		}
		if !call.ViaCallerID {
			call.Step, call.SupportID, call.EntryKey = StepSupportID, "", ""
		}
		return s.move(c, p, call, from, s.words("pin_wrong"))
	}
}

// pinRetry handles an infrastructure failure during verification: the
// attempt is returned, and the caller hears "one moment" and the PIN prompt
// again (through the usual bounded retry).
func (s *Server) pinRetry(c echo.Context, p params, call Call, cause error) error {
	// The webhook's budget may be spent (the database hung); giving the
	// attempt back is worth a moment more, not a second.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), releaseGrace)
	defer cancel()
	from := call.Seq
	_ = s.lax(ctx, "pin-release", func(q *store.Q) error {
		_, err := saveCall(ctx, q, &call, from)
		return err
	})
	// The retry re-prompts whatever step the call is at, so the request's
	// (now stale) step and sequence in the URL are fine.
	return s.trouble(c, p, cause)
}

// releaseGrace bounds giving a claimed PIN attempt back after its webhook's
// budget ended.
const releaseGrace = 300 * time.Millisecond

// repeat answers with the prompt of the call's current step (star).
func (s *Server) repeat(c echo.Context, call *Call) error {
	var sp speech
	s.render(&sp, call)
	return send(c, sp)
}

// rerender answers with the call's current step, as it is in the database
// (after another request moved the call first).
func (s *Server) rerender(c echo.Context, p params) error {
	return s.onCall(c, p, "load", func(c echo.Context, _ params, call Call) error {
		return s.repeat(c, &call)
	})
}

// priority handles the priority menu: a level of the plan, 9 to escalate,
// star to repeat. The top level must be confirmed.
func (s *Server) priority(c echo.Context, p params, call Call) error {
	from := call.Seq
	switch d := p.Digits; {
	case d == "*":
		return s.repeat(c, &call)
	case d == "9":
		call.Step, call.Misses = StepEscalate, 0
		return s.move(c, p, call, from)
	case len(d) == 1:
		level := int(d[0] - '0')
		plan, _ := s.Policy.Plan(call.Plan)
		if _, ok := plan.Priorities[level]; ok {
			call.Priority, call.Misses = &level, 0
			if level == 1 {
				call.Step = StepConfirm
				return s.move(c, p, call, from)
			}
			return s.openTicket(c, p, call)
		}
	}
	return s.miss(c, p, call, s.words("invalid_key"))
}

func (s *Server) confirm(c echo.Context, p params, call Call) error {
	from := call.Seq
	switch p.Digits {
	case "*":
		return s.repeat(c, &call)
	case "1":
		return s.openTicket(c, p, call)
	case "2":
		call.Step, call.Priority, call.Misses = StepPriority, nil, 0
		return s.move(c, p, call, from)
	}
	return s.miss(c, p, call, s.words("invalid_key"))
}
