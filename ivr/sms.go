package ivr

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"

	"supportline/auth"
	"supportline/contactinfo"
	"supportline/errcode"
	"supportline/notify"
	"supportline/oncall"
	"supportline/store"
)

// The Messaging webhook, POST /twilio/sms: an engineer answers a text
// about a ticket from their phone. It is a face like the CLI: it parses
// the message (sms_command.go), calls one domain method (tickets.Service's
// Acknowledge, Resolve and Note, oncall.Service's OnCall) as actor
// sms:HANDLE, and answers in TwiML <Message>. Its only SQL is the replay
// guard's own table (sms_inbound).
//
// A sender whose number is no engineer's gets an empty <Response/>:
// nothing is changed, nothing recorded, nothing texted back (see
// docs/decisions.md). A command that changes a ticket is claimed by its
// MessageSid first, so a webhook Twilio sends again changes nothing twice
// and is answered with the first reply.

// messageSidRE is a message SID: SM for an SMS, MM for an MMS (a picture
// with the text), as Twilio sends them.
var messageSidRE = regexp.MustCompile(`^(SM|MM)[0-9a-f]{32}$`)

// maxSMSBytes bounds Body: Twilio joins at most 1600 characters, each at
// most 4 bytes of UTF-8.
const maxSMSBytes = 4 * notify.MaxBodyLen

// smsKeep is how long a command's MessageSid is remembered: far longer
// than Twilio keeps retrying a webhook.
const smsKeep = 24 * time.Hour

// smsClaimFor is how long a command claimed by a request that never
// finished (its replica died, its database failed) is left alone before a
// retry of the same message may run it: well past a webhook's budget, so
// a request still running is never doubled.
const smsClaimFor = time.Minute

// smsParams is what the Messaging webhook reads of Twilio's request.
type smsParams struct {
	MessageSid string
	// From is the sender as Twilio gives it: an E.164 number, or a short
	// code or an alphanumeric sender ID, which is no engineer's.
	From string
	Body string
}

// readSMS checks the webhook's POST form (the one the signature covers).
// What Twilio never sends is a 400 naming the field, never the value.
func readSMS(c echo.Context) (smsParams, error) {
	if err := c.Request().ParseForm(); err != nil { // done already by the signature check
		return smsParams{}, echo.NewHTTPError(http.StatusBadRequest, "the request must be a form")
	}
	f := c.Request().PostForm
	p := smsParams{MessageSid: f.Get("MessageSid"), From: f.Get("From"), Body: f.Get("Body")}
	if !messageSidRE.MatchString(p.MessageSid) {
		return p, badParam("MessageSid", "SM or MM followed by 32 hex digits")
	}
	if a := f.Get("AccountSid"); a != "" && !accountSidRE.MatchString(a) {
		return p, badParam("AccountSid", twilioParams["AccountSid"].must)
	}
	if !plainText(p.From, maxTokenLen) {
		return p, badParam("From", "a phone number or sender ID")
	}
	if !plainText(f.Get("To"), maxTokenLen) {
		return p, badParam("To", "a phone number")
	}
	if len(p.Body) > maxSMSBytes || !utf8.ValidString(p.Body) {
		return p, badParam("Body", "UTF-8 text of at most 1600 characters")
	}
	return p, nil
}

// sms is the Messaging webhook.
func (s *Server) sms(c echo.Context) error {
	p, err := readSMS(c)
	if err != nil {
		return err
	}
	reply := s.answerSMS(c.Request().Context(), p)
	var verbs []twiml.Element
	if reply != "" {
		verbs = append(verbs, &twiml.MessagingMessage{Body: cutSMS(reply)})
	}
	doc, err := twiml.Messages(verbs)
	if err != nil {
		return fmt.Errorf("render TwiML: %w", err)
	}
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", []byte(doc))
}

// answerSMS is the reply to p, "" for none. A failure is logged, never
// shown: before the sender is known to be an engineer it gets no reply
// (a stranger must not learn that the line is in trouble); after, it gets
// smsTrouble.
func (s *Server) answerSMS(ctx context.Context, p smsParams) string {
	log := s.Log.With("message_sid", p.MessageSid)
	e, zone, err := s.smsSender(ctx, p.From)
	switch {
	case errcode.Is(err, errcode.NotFound):
		log.Info("sms from a number that is no engineer's: not answered")
		return ""
	case errcode.Is(err, errcode.Conflict):
		log.Warn("sms from a phone number several engineers share: not run", "why", err)
		return smsShared
	case err != nil:
		log.Error("sms: cannot tell whether the sender is an engineer; not answered", "err", err)
		return ""
	}
	log = log.With("engineer", e.Handle)
	cmd := parseSMS(p.Body)
	var reply string
	switch {
	case cmd.problem != "":
		reply = cmd.problem
	case cmd.changes():
		reply, err = s.smsChange(ctx, log, p.MessageSid, e, zone, cmd)
	case cmd.verb == cmdWho:
		reply, err = s.smsWho(ctx)
	default:
		reply = smsHelp
	}
	if err != nil {
		log.Error("sms command failed", "command", cmd.verb, "ticket", cmd.number, "err", err)
		return smsTrouble
	}
	log.Info("sms command answered", "command", cmd.verb, "ticket", cmd.number, "malformed", cmd.problem != "")
	return reply
}

// smsSender is the engineer whose phone is from: errcode.NotFound for a
// number that is no engineer's (a short code, a sender ID, a stranger),
// errcode.Conflict for one that several engineers share; zone is where
// the engineer keeps time (oncall.Service.EngineerByPhone).
func (s *Server) smsSender(ctx context.Context, from string) (oncall.Engineer, *time.Location, error) {
	if contactinfo.ValidPhone(from) != nil {
		return oncall.Engineer{}, nil, errcode.New(errcode.NotFound, "the sender is not a phone number")
	}
	if err := s.ready("sms_sender"); err != nil {
		return oncall.Engineer{}, nil, err
	}
	return s.Tickets.Engineers.EngineerByPhone(ctx, from)
}

// smsPrincipal is who an engineer's texts act as: an engineer, by the one
// rule every face asks (auth.Role.Allows), audited as sms:HANDLE.
func smsPrincipal(handle string) auth.Principal {
	return auth.Principal{Kind: "sms", Name: handle, Role: auth.Engineer, Engineer: handle}
}

// smsChange runs a command that changes a ticket, once per MessageSid: a
// replay gets the first reply (or none while the first is still running)
// and changes nothing. A refused command (no such ticket) keeps no claim,
// so it leaves nothing behind, and a replay of it is refused alike.
func (s *Server) smsChange(ctx context.Context, log *slog.Logger, sid string, e oncall.Engineer, zone *time.Location, cmd smsCommand) (string, error) {
	who := smsPrincipal(e.Handle)
	if !who.Allows(auth.TicketWork) {
		return "Engineers may not " + auth.Describe(auth.TicketWork) + " by SMS. Nothing changed.", nil
	}
	prior, claimed, err := s.claimSMS(ctx, sid, e.Handle)
	if err != nil {
		return "", err
	}
	if !claimed {
		return prior, nil
	}
	reply, done, err := s.runSMS(ctx, who, e, zone, cmd)
	if err != nil || !done {
		// A fresh context: the claim must go even when the budget is spent.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if rerr := s.releaseSMS(rctx, sid); rerr != nil {
			log.Error("sms: cannot release the claim of a command that changed nothing; a retry waits for it to expire", "err", rerr)
		}
		return reply, err
	}
	if err := s.finishSMS(ctx, sid, cutSMS(reply)); err != nil {
		// The change is made; only a retry of this message would make it
		// again (a note twice), once the claim expires.
		log.Error("sms: the command's reply was not recorded", "err", err)
	}
	return reply, nil
}

// claimSMS claims message sid for handle's command. claimed is false for a
// message seen before: prior is then its reply, or "" while the first
// request still runs. A claim left pending longer than smsClaimFor (its
// request died) is taken over. Remembered messages older than smsKeep go.
func (s *Server) claimSMS(ctx context.Context, sid, handle string) (prior string, claimed bool, err error) {
	err = s.tx(ctx, "sms_claim", func(tx *store.Tx) error {
		prior, claimed = "", false
		if _, err := tx.Exec(ctx, `DELETE FROM sms_inbound WHERE received_at < ?`, tx.Now.Add(-smsKeep)); err != nil {
			return fmt.Errorf("forget old SMS commands: %w", err)
		}
		res, err := tx.Exec(ctx, `INSERT INTO sms_inbound (message_sid, engineer, state, received_at)
			VALUES (?, ?, 'pending', ?) ON CONFLICT (message_sid) DO NOTHING`, sid, handle, tx.Now)
		if err != nil {
			return fmt.Errorf("claim SMS %s: %w", sid, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("claim SMS %s: %w", sid, err)
		} else if n == 1 {
			claimed = true
			return nil
		}
		var row struct {
			State      string    `db:"state"`
			Reply      *string   `db:"reply"`
			ReceivedAt time.Time `db:"received_at"`
		}
		if err := tx.Get(ctx, &row, `SELECT state, reply, received_at FROM sms_inbound WHERE message_sid = ?`+tx.ForUpdate(), sid); err != nil {
			return fmt.Errorf("read SMS %s: %w", sid, err)
		}
		switch {
		case row.State == "done" && row.Reply != nil:
			prior = *row.Reply
			return nil
		case row.ReceivedAt.After(tx.Now.Add(-smsClaimFor)):
			return nil // still running elsewhere
		}
		if _, err := tx.Exec(ctx, `UPDATE sms_inbound SET received_at = ?, engineer = ? WHERE message_sid = ? AND state = 'pending'`,
			tx.Now, handle, sid); err != nil {
			return fmt.Errorf("take over SMS %s: %w", sid, err)
		}
		claimed = true
		return nil
	})
	return prior, claimed, err
}

// releaseSMS drops the claim of a command that changed nothing.
func (s *Server) releaseSMS(ctx context.Context, sid string) error {
	return s.DB.Statements(ctx, func(q *store.Q) error {
		_, err := q.Exec(ctx, `DELETE FROM sms_inbound WHERE message_sid = ? AND state = 'pending'`, sid)
		return err
	})
}

// finishSMS records the reply of a command that ran (durably: a lost
// record would let a retry run the command again).
func (s *Server) finishSMS(ctx context.Context, sid, reply string) error {
	if err := s.ready("sms_finish"); err != nil {
		return err
	}
	return s.DB.Statements(ctx, func(q *store.Q) error {
		_, err := q.Exec(ctx, `UPDATE sms_inbound SET state = 'done', reply = ?, answered_at = ? WHERE message_sid = ?`,
			reply, q.Now, sid)
		return err
	})
}
