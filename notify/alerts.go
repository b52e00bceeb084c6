package notify

import (
	"context"
	"fmt"
	"time"

	"supportline/config"
	"supportline/oncall"
	"supportline/routing"
	"supportline/store"
	"supportline/tickets"
)

// SLAAlerts is the breach watcher's OnEvent: it texts, in the transaction
// that records the event, the engineer on call for the ticket's route when a
// ticket reaches its warning point, and every engineer on call in the route's
// last step when it breaches. A ticket whose plan has no route (email-only
// plans) is texted to nobody; the event row and the log line remain.
func SLAAlerts(policy *config.Policy) func(ctx context.Context, tx *store.Tx, ev tickets.Event, t tickets.Ticket) error {
	return func(ctx context.Context, tx *store.Tx, ev tickets.Event, t tickets.Ticket) error {
		if ev.Kind != tickets.EventWarning && ev.Kind != tickets.EventBreach {
			return nil
		}
		roster, err := oncall.Snapshot(ctx, tx, tx.Now, tx.Now)
		if err != nil {
			return err
		}
		in := routing.NewInput(policy, t.Plan, t.Priority, tx.Now, roster)
		var to []string
		var body string
		word := policy.PriorityWord()
		if ev.Kind == tickets.EventWarning {
			for _, st := range routing.OnCallFor(in) {
				to = append(to, st.Number)
			}
			body = fmt.Sprintf("SLA warning: ticket %d (account %s, %s %d) needs a first response by %s.",
				t.Number, t.AccountNumber, word, t.Priority, t.ResponseDue.UTC().Format(time.RFC3339))
		} else {
			for _, e := range routing.EscalateTo(in) {
				to = append(to, e.Phone)
			}
			body = fmt.Sprintf("SLA BREACH: ticket %d (account %s, %s %d) had no response by %s.",
				t.Number, t.AccountNumber, word, t.Priority, t.ResponseDue.UTC().Format(time.RFC3339))
		}
		for _, number := range to {
			if _, err := Enqueue(ctx, tx, Message{EventKey: fmt.Sprintf("ticket:%d:%s", t.Number, ev.Kind), To: number, Body: body}); err != nil {
				return err
			}
		}
		return nil
	}
}
