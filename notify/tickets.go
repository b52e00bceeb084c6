package notify

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"supportline/config"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/routing"
	"supportline/store"
	"supportline/tickets"
)

// TicketAlert is a ticket event engineers are texted about, with what the
// text says of the ticket. Whoever records the event fills it from what it
// read anyway (the phone line from its call, the breach watcher from the
// ticket: see [AlertOf]).
type TicketAlert struct {
	// Kind is what happened: tickets.EventVoicemail, EventEscalated,
	// EventWarning or EventBreach.
	Kind tickets.EventKind
	// Number is the ticket's number (100123).
	Number int64
	// Plan and Priority decide who is texted (the plan priority's route).
	Plan     string
	Priority int
	// AccountNumber, AccountName and Contact name the customer; the texts
	// of the phone line use the names, the SLA texts the account number.
	AccountNumber string
	AccountName   string
	Contact       string
	// OpenedAt is when the ticket opened, ResponseDue when its first
	// response is due.
	OpenedAt    time.Time
	ResponseDue time.Time
	// RecordingURL is the voicemail's address (EventVoicemail).
	RecordingURL string
}

// AlertOf is the alert of event kind about ticket t.
func AlertOf(kind tickets.EventKind, t tickets.Ticket) TicketAlert {
	return TicketAlert{Kind: kind, Number: t.Number, Plan: t.Plan, Priority: t.Priority,
		AccountNumber: t.AccountNumber, OpenedAt: t.OpenedAt, ResponseDue: t.ResponseDue,
		RecordingURL: t.RecordingURL}
}

// ticketText is, per kind of alert, who is texted and what the text says.
type ticketText struct {
	// escalate: the route's last step (routing.EscalateTo) rather than
	// the first engineer on call (routing.OnCallFor).
	escalate bool
	// text has placeholders in braces, filled by [TicketAlert.body].
	text string
}

// ticketTexts are every SMS about a ticket, in one place. A change to all
// of them (a reply instruction, a signature) goes in ticketFooter.
var ticketTexts = map[tickets.EventKind]ticketText{
	tickets.EventVoicemail: {false, "Voicemail on ticket {ticket}: {priority_word} {priority}, {account_name} ({contact}). Listen: {recording}"},
	tickets.EventEscalated: {true, "ESCALATED ticket {ticket} by {account_name} ({contact}), {priority_word} {priority}, opened {opened}."},
	tickets.EventWarning:   {false, "SLA warning: ticket {ticket} (account {account_number}, {priority_word} {priority}) needs a first response by {due}."},
	tickets.EventBreach:    {true, "SLA BREACH: ticket {ticket} (account {account_number}, {priority_word} {priority}) had no response by {due}."},
}

// ticketFooter ends every SMS about a ticket (placeholders as in
// ticketTexts): the reply the SMS face (ivr's POST /twilio/sms) expects.
// [TicketAlert.body] keeps it whole however long the text before it is.
const ticketFooter = " Reply ACK {ticket}"

// body is the SMS of alert a: text, cut if need be so that the footer fits
// within MaxBodyLen, then the footer (Enqueue would otherwise cut the
// footer, the one part the engineer must read).
func (a TicketAlert) body(policy *config.Policy, text string) string {
	r := a.replacer(policy)
	main, footer := r.Replace(text), r.Replace(ticketFooter)
	return Cut(main, MaxBodyLen-unitsOf(footer)) + footer
}

// replacer fills the placeholders of ticketTexts and ticketFooter.
func (a TicketAlert) replacer(policy *config.Policy) *strings.Replacer {
	return strings.NewReplacer(
		"{ticket}", strconv.FormatInt(a.Number, 10),
		"{priority_word}", policy.PriorityWord(),
		"{priority}", strconv.Itoa(a.Priority),
		"{account_name}", a.AccountName,
		"{account_number}", a.AccountNumber,
		"{contact}", a.Contact,
		"{opened}", a.OpenedAt.UTC().Format(time.RFC3339),
		"{due}", a.ResponseDue.UTC().Format(time.RFC3339),
		"{recording}", a.RecordingURL,
	)
}

// unitsOf is the length of s in UTF-16 code units, as Twilio counts.
func unitsOf(s string) int {
	n := 0
	for _, r := range s {
		n += runeUnits(r)
	}
	return n
}

// runeUnits is r's length in UTF-16 code units; invalid UTF-8 is sent as
// U+FFFD, one unit.
func runeUnits(r rune) int {
	if u := utf16.RuneLen(r); u > 0 {
		return u
	}
	return 1
}

// Cut cuts s to at most max UTF-16 code units (as Twilio counts an SMS),
// ending a cut text with an ellipsis: the one cut of every text we send,
// queued (the footer of a ticket's SMS kept whole) or answered in TwiML
// (the SMS face's replies, cut to MaxBodyLen).
func Cut(s string, max int) string {
	if unitsOf(s) <= max {
		return s
	}
	n := 0
	for i, r := range s {
		u := runeUnits(r)
		if n+u > max-1 { // room for the ellipsis (one unit)
			return strings.TrimRightFunc(s[:i], unicode.IsSpace) + "…"
		}
		n += u
	}
	return s
}

// TextTicketTx queues, in tx (the transaction that records the event, so
// both commit or neither), the SMS about alert to the engineers who should
// hear of it, from roster (who is on call now, tx.Now) and the policy's
// routes: a voicemail and an SLA warning go to the first engineer on call
// along the ticket's route who takes SMS; an escalation and a breach to the
// route's last step (routing.EscalateTo). It returns how many engineers it
// texted: 0 when nobody on call takes SMS, or the plan has no route. A
// repeat of the same event texts nobody twice (Enqueue's event key).
func TextTicketTx(ctx context.Context, tx *store.Tx, policy *config.Policy, roster oncall.Roster, alert TicketAlert) (int, error) {
	tt, ok := ticketTexts[alert.Kind]
	if !ok {
		return 0, errcode.Errorf(errcode.Invalid, "no SMS about a ticket event %q", alert.Kind)
	}
	in := routing.NewInput(policy, alert.Plan, alert.Priority, tx.Now, roster)
	var to []string
	if tt.escalate {
		for _, e := range routing.EscalateTo(in) {
			to = append(to, e.Phone)
		}
	} else {
		for _, st := range routing.OnCallFor(in) {
			to = append(to, st.Number)
		}
	}
	body := alert.body(policy, tt.text)
	key := fmt.Sprintf("ticket:%d:%s", alert.Number, alert.Kind)
	for _, number := range to {
		if _, err := Enqueue(ctx, tx, Message{EventKey: key, To: number, Body: body}); err != nil {
			return 0, err
		}
	}
	return len(to), nil
}

// lastTicketQuery and lastTicketPatterns are LastTicketTx's statement and
// the event-key patterns after its recipient, one per kind of ticketTexts (in name order):
// built once, not on every bare ACK.
var lastTicketQuery, lastTicketPatterns = func() (string, []any) {
	kinds := make([]string, 0, len(ticketTexts))
	for k := range ticketTexts {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	like := make([]string, len(kinds))
	patterns := make([]any, len(kinds))
	for i, k := range kinds {
		like[i] = "event_key LIKE ?"
		patterns[i] = "ticket:%:" + k
	}
	return `SELECT event_key FROM outbox
		WHERE recipient = ? AND status = 'sent' AND (` + strings.Join(like, " OR ") + `)
		ORDER BY sent_at DESC, id DESC LIMIT 1`, patterns
}()

// LastTicketTx returns the number of the ticket that the latest SMS about a
// ticket (one of ticketTexts, which end with ticketFooter) sent to phone
// was about, read through q: what a bare "ACK" or "RESOLVE" from that phone
// means. Only sent messages count (a pending one has not reached the
// phone), the latest by when it was sent. None is errcode.NotFound.
//
// A function on the querier, like TextTicketTx: the outbox is the shared
// log every domain writes, and the SMS face reads it inside its own work.
func LastTicketTx(ctx context.Context, q store.Querier, phone string) (int64, error) {
	var keys []string
	err := q.Select(ctx, &keys, lastTicketQuery, append([]any{phone}, lastTicketPatterns...)...)
	if err != nil {
		return 0, fmt.Errorf("read the last ticket SMS to a number: %w", err)
	}
	if len(keys) == 0 {
		return 0, errcode.New(errcode.NotFound, "no SMS about a ticket was sent to this number")
	}
	parts := strings.Split(keys[0], ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("outbox event key %q names no ticket number", keys[0])
	}
	n, perr := strconv.ParseInt(parts[1], 10, 64)
	if perr != nil || n <= 0 {
		return 0, fmt.Errorf("outbox event key %q names no ticket number", keys[0])
	}
	return n, nil
}
