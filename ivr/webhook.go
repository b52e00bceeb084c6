package ivr

import (
	"context"

	"github.com/labstack/echo/v4"

	"supportline/store"
)

// The prologue every call webhook shares, written once: the form and our
// query checked (readParams: a malformed request is a 400, which only a
// forger sees, since Twilio never sends one), the webhook's deadline taken
// (budget put it on the request's context), and, for the menu, the call
// read, with any failure answered by trouble: "one moment please" while
// the caller's patience lasts, or, for a CallSid the database does not
// know, a warning and the greeting again.

// callHandler is a webhook past the first part of its prologue: its call
// parameters are well-formed.
type callHandler func(c echo.Context, p params) error

// menuHandler is a webhook past the whole prologue: the call is read.
type menuHandler func(c echo.Context, p params, call Call) error

// withParams is the prologue of a webhook that carries the call parameters.
func withParams(h callHandler) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := readParams(c)
		if err != nil {
			return err
		}
		return h(c, p)
	}
}

// withCall is the prologue of a menu webhook: withParams, then the call
// read in a lax read named step (the tests' fault hook knows it by that
// name); a failure is answered by trouble.
func (s *Server) withCall(step string, h menuHandler) echo.HandlerFunc {
	return withParams(func(c echo.Context, p params) error {
		return s.onCall(c, p, step, h)
	})
}

// onCall reads p's call and hands it to h, or answers the failure.
func (s *Server) onCall(c echo.Context, p params, step string, h menuHandler) error {
	call, err := s.readCall(c.Request().Context(), step, p.CallSid)
	if err != nil {
		return s.trouble(c, p, err)
	}
	return h(c, p, call)
}

// readCall reads the call with CallSid sid on its own (a lax read), within
// the webhook's deadline ctx.
func (s *Server) readCall(ctx context.Context, step, sid string) (Call, error) {
	var call Call
	err := s.lax(ctx, step, func(q *store.Q) (err error) {
		call, err = loadCall(ctx, q, sid)
		return err
	})
	return call, err
}

// withCallTx reads the call with CallSid sid first thing in the
// transaction that run (Server.tx or menuTx) opens under the name step, and
// hands it to fn: for webhooks whose read of the call decides what they
// write with it, all or nothing.
func withCallTx(ctx context.Context, run func(context.Context, string, func(*store.Tx) error) error,
	step, sid string, fn func(tx *store.Tx, call Call) error) error {
	return run(ctx, step, func(tx *store.Tx) error {
		call, err := loadCall(ctx, tx, sid)
		if err != nil {
			return err
		}
		return fn(tx, call)
	})
}

// dialStep returns dial step i of the call, and false when there is none:
// past the end of the list, or a list that could not be decoded when the
// call was read. The latter is logged here, as an error: a broken row must
// cost the caller the engineer, not the call (they are asked for a message
// on their ticket instead of hearing Twilio's application error).
func (s *Server) dialStep(call *Call, i int) (DialStep, bool) {
	if call.routeErr != nil {
		s.Log.Error("the call's dial steps cannot be read; taking a message instead",
			"call_sid", call.CallSid, "err", call.routeErr)
		return DialStep{}, false
	}
	if i < 0 || i >= len(call.steps) {
		return DialStep{}, false
	}
	return call.steps[i], true
}
