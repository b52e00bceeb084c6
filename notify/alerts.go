package notify

import (
	"context"

	"supportline/config"
	"supportline/oncall"
	"supportline/store"
	"supportline/tickets"
)

// SLAAlerts is the breach watcher's OnEvent: it texts, in the transaction
// that records the event, the engineer on call for the ticket's route when a
// ticket reaches its warning point, and every engineer on call in the route's
// last step when it breaches (TextTicketTx decides who and says what). A
// ticket whose plan has no route (email-only plans) is texted to nobody; the
// event row and the log line remain.
func SLAAlerts(policy *config.Policy) func(ctx context.Context, tx *store.Tx, ev tickets.Event, t tickets.Ticket) error {
	return func(ctx context.Context, tx *store.Tx, ev tickets.Event, t tickets.Ticket) error {
		if ev.Kind != tickets.EventWarning && ev.Kind != tickets.EventBreach {
			return nil
		}
		roster, err := oncall.Snapshot(ctx, tx, tx.Now, tx.Now)
		if err != nil {
			return err
		}
		_, err = TextTicketTx(ctx, tx, policy, roster, AlertOf(ev.Kind, t))
		return err
	}
}
