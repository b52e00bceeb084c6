package notify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

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
// ticketTexts); empty for now.
const ticketFooter = ""

// body is the SMS of alert a.
func (a TicketAlert) body(policy *config.Policy, text string) string {
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
	).Replace(text + ticketFooter)
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
