package main

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"supportline/notify"
	"supportline/store"
)

// outboxInterval is how often serve's outbox worker looks for due SMS.
const outboxInterval = 2 * time.Second

func (a *app) outboxCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "outbox", Short: "Show outgoing SMS and how their delivery went"}
	var f notify.Filter
	list := &cobra.Command{
		Use:   "list [--failed] [--limit N]",
		Short: "List SMS deliveries, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			ds, err := (&notify.Service{DB: db}).List(cmd.Context(), f)
			if err != nil {
				return err
			}
			return a.emit(nonNil(ds), func() {
				rows := make([][]string, len(ds))
				for i, d := range ds {
					rows[i] = []string{strconv.FormatInt(d.ID, 10), ts(d.CreatedAt), d.EventKey, d.To, string(d.Status),
						strconv.Itoa(d.Attempts), deliveryWhen(d), short(deliveryError(d), 48), short(d.Body, 40)}
				}
				a.table([]string{"ID", "CREATED", "EVENT", "TO", "STATUS", "ATTEMPTS", "SENT/NEXT", "ERROR", "BODY"}, rows)
			})
		},
	}
	list.Flags().BoolVar(&f.FailedOnly, "failed", false, "only deliveries that failed for good")
	list.Flags().IntVar(&f.Limit, "limit", notify.DefaultListLimit, "show at most N deliveries")
	cmd.AddCommand(list)
	return cmd
}

// deliveryWhen says when a delivery was sent, or when it is tried next.
func deliveryWhen(d notify.Delivery) string {
	switch {
	case d.Status == notify.Sent && d.SentAt != nil:
		return "sent " + ts(*d.SentAt)
	case d.Status == notify.Pending:
		return "next " + ts(d.NextAttemptAt)
	case d.Status == notify.Sending && d.ClaimedUntil != nil:
		return "claimed until " + ts(*d.ClaimedUntil)
	default:
		return "-"
	}
}

func deliveryError(d notify.Delivery) string {
	switch {
	case d.ErrorCode != nil:
		return strconv.Itoa(*d.ErrorCode) + " " + d.Error
	case d.Error != "":
		return d.Error
	default:
		return "-"
	}
}

// short keeps a table cell on one line and at most n characters.
func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// startOutbox starts the SMS outbox worker with sender (notify.SenderFromEnv,
// read before the database is opened). The returned stop ends the worker
// and waits for sends in flight to be recorded, so the database can close
// after it.
func (a *app) startOutbox(ctx context.Context, db *store.DB, log *slog.Logger, sender notify.Sender) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	w := &notify.Worker{DB: db, Sender: sender, Log: log.With("component", "outbox"), Interval: outboxInterval}
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	log.Info("outbox worker started", "interval", outboxInterval.String())
	return func() {
		cancel()
		<-done
	}
}
