package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"supportline/config"
	"supportline/errcode"
	"supportline/ivr"
	"supportline/tickets"
)

func (a *app) ticketCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "ticket", Short: "List, show, acknowledge, annotate, resolve and reopen tickets"}
	cmd.AddCommand(a.ticketListCommand(), a.ticketShowCommand(), a.ticketAckCommand(), a.ticketResolveCommand(),
		a.ticketNoteCommand(), a.ticketReopenCommand())
	return cmd
}

// ticketsService builds the tickets service over the command's policy and
// database.
func (a *app) ticketsService(ctx context.Context) (*tickets.Service, error) {
	svc, err := a.services(ctx)
	if err != nil {
		return nil, err
	}
	return svc.Tickets, nil
}

// listedTicket is a row of `ticket list --json`.
type listedTicket struct {
	tickets.Listed
	TimeLeft string `json:"time_left"`
}

func (a *app) ticketListCommand() *cobra.Command {
	var f tickets.Filter
	var sort, dueBefore, openedFrom, openedTo string
	cmd := &cobra.Command{
		Use: "list [--open] [--account NUMBER] [--priority N] [--breached] [--due-before TIME] " +
			"[--opened-from TIME] [--opened-to TIME] [--sort opened|due] [--limit N] [--cursor CURSOR]",
		Short: "List tickets, newest first or soonest due first, with the time left before each response is due",
		Long: "List tickets, newest first (--sort opened) or soonest due first (--sort due), a page at a time.\n" +
			"When more tickets follow, the command that prints the next page is on stderr (under --json, a\n" +
			"line {\"next_cursor\": ...}); pass its --cursor with the same filters and sort.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if f.Sort, err = tickets.ParseSort(sort); err != nil {
				return usageError{fmt.Sprintf("--sort %q is not opened or due (usage: %s)", sort, cmd.UseLine())}
			}
			for _, t := range []struct {
				name string
				v    string
				into *time.Time
			}{{"due-before", dueBefore, &f.DueBefore}, {"opened-from", openedFrom, &f.OpenedFrom}, {"opened-to", openedTo, &f.OpenedTo}} {
				if t.v == "" {
					continue
				}
				if *t.into, err = a.instantFlag(t.name, t.v); err != nil {
					return err
				}
			}
			if cmd.Flags().Changed("priority") && !validPriorityFlag(f.Priority) {
				return usageError{fmt.Sprintf("--priority %d is not a priority level (1 to 8)", f.Priority)}
			}
			svc, err := a.ticketsService(cmd.Context())
			if err != nil {
				return err
			}
			page, err := svc.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			policy, now := svc.Policy, a.now()
			out := make([]listedTicket, len(page.Tickets))
			for i, t := range page.Tickets {
				out[i] = listedTicket{t, tickets.TimeLeft(now, t.Ticket, policy)}
			}
			err = a.emit(out, func() {
				rows := make([][]string, len(out))
				for i, t := range out {
					rows[i] = []string{strconv.FormatInt(t.Number, 10), t.AccountNumber, t.AccountName, strconv.Itoa(t.Priority),
						ts(t.OpenedAt), ts(t.ResponseDue), whenOrDash(t.RespondedAt), string(t.Status), t.TimeLeft}
				}
				a.table([]string{"TICKET", "ACCOUNT", "NAME", strings.ToUpper(policy.PriorityWord()), "OPENED", "DUE", "RESPONDED", "STATUS", "TIME LEFT"}, rows)
			})
			if err != nil || page.Next == "" {
				return err
			}
			// The next page's cursor on stderr, so that stdout stays the
			// table or the JSON array it always was.
			if a.json {
				b, _ := json.Marshal(struct {
					Next string `json:"next_cursor"`
				}{page.Next})
				fmt.Fprintf(a.stderr, "%s\n", b)
				return nil
			}
			fmt.Fprintf(a.stderr, "more tickets: add --cursor %s\n", page.Next)
			return nil
		},
	}
	cmd.Flags().BoolVar(&f.Open, "open", false, "only tickets that are not resolved")
	cmd.Flags().StringVar(&f.AccountNumber, "account", "", "only this account's tickets")
	cmd.Flags().IntVar(&f.Priority, "priority", 0, "only tickets of this priority level (1 to 8)")
	cmd.Flags().BoolVar(&f.Breached, "breached", false, "only tickets whose response came, or is still to come, after it was due")
	cmd.Flags().StringVar(&dueBefore, "due-before", "", "only tickets whose response is due before this RFC 3339 time")
	cmd.Flags().StringVar(&openedFrom, "opened-from", "", "only tickets opened at or after this RFC 3339 time")
	cmd.Flags().StringVar(&openedTo, "opened-to", "", "only tickets opened before this RFC 3339 time")
	cmd.Flags().StringVar(&sort, "sort", string(tickets.SortOpened), "opened (newest first) or due (soonest due first)")
	cmd.Flags().IntVar(&f.Limit, "limit", tickets.MaxLimit, fmt.Sprintf("at most this many tickets on the page (1 to %d)", tickets.MaxLimit))
	cmd.Flags().StringVar(&f.Cursor, "cursor", "", "continue after the page that printed this cursor")
	return cmd
}

// validPriorityFlag reports whether --priority names a level (the tickets
// domain says the same, in the same words, for the API).
func validPriorityFlag(n int) bool { return n >= 1 && n <= 8 }

// ticketPromise is the SLA promise a ticket carries, as `ticket show` prints it.
type ticketPromise struct {
	Target string    `json:"target"`
	Clock  string    `json:"clock"`
	Due    time.Time `json:"due"`
	WarnAt time.Time `json:"warn_at"`
}

// shownTicket is `ticket show --json`: the ticket, its promise, the call that
// opened it (null when none did) and its history.
type shownTicket struct {
	tickets.Ticket
	AccountName string           `json:"account_name"`
	TimeLeft    string           `json:"time_left"`
	Promise     ticketPromise    `json:"promise"`
	Call        *ivr.CallSummary `json:"call"`
	Events      []tickets.Event  `json:"events"`
}

func (a *app) ticketShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show NUMBER",
		Short: "Show a ticket: its promise, the call, the whisper attempts, the voicemail and its SLA events",
		Args:  exactArgs(1, "a ticket number"),
		RunE: func(cmd *cobra.Command, args []string) error {
			number, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			svc, err := a.ticketsService(cmd.Context())
			if err != nil {
				return err
			}
			policy, db := svc.Policy, svc.DB
			t, err := svc.Get(cmd.Context(), number)
			if err != nil {
				return err
			}
			acc, err := svc.Accounts.Account(cmd.Context(), t.AccountNumber)
			if err != nil {
				return err
			}
			out := shownTicket{
				Ticket:      t,
				AccountName: acc.Name,
				TimeLeft:    tickets.TimeLeft(a.now(), t, policy),
				Promise:     ticketPromise{t.Target, t.Clock, t.ResponseDue, t.WarnAt},
				Events:      nonNil(t.Events),
			}
			if t.CallSid != nil {
				c, err := (&ivr.Calls{DB: db}).ForTicket(cmd.Context(), t.ID)
				switch {
				case err == nil:
					out.Call = &c
				case !errcode.Is(err, errcode.NotFound):
					return err
				}
			}
			return a.emit(out, func() { a.printTicket(out, policy) })
		},
	}
}

func (a *app) printTicket(t shownTicket, policy *config.Policy) {
	w := a.stdout
	level := strconv.Itoa(t.Priority)
	if pr, ok := policy.Priority(t.Priority); ok {
		level += " (" + pr.Name + ")"
	}
	fmt.Fprintf(w, "Ticket %d\n", t.Number)
	fmt.Fprintf(w, "Account:    %s (%s)\n", t.AccountNumber, t.AccountName)
	fmt.Fprintf(w, "Plan:       %s, %s %s\n", t.Plan, strings.ToLower(policy.PriorityWord()), level)
	fmt.Fprintf(w, "Status:     %s\n", t.Status)
	fmt.Fprintf(w, "Opened:     %s\n", ts(t.OpenedAt))
	fmt.Fprintf(w, "Promise:    respond within %s on calendar %s\n", t.Promise.Target, t.Promise.Clock)
	fmt.Fprintf(w, "Due:        %s\n", ts(t.Promise.Due))
	fmt.Fprintf(w, "Warn at:    %s\n", ts(t.Promise.WarnAt))
	responded := "-"
	if t.RespondedAt != nil {
		responded = ts(*t.RespondedAt) + " by " + t.Responder
	}
	fmt.Fprintf(w, "Responded:  %s\n", responded)
	fmt.Fprintf(w, "Resolved:   %s\n", whenOrDash(t.ResolvedAt))
	fmt.Fprintf(w, "Escalated:  %s\n", whenOrDash(t.EscalatedAt))
	fmt.Fprintf(w, "Time left:  %s\n", t.TimeLeft)
	if t.RecordingURL != "" {
		secs := "?"
		if t.RecordingDuration != nil {
			secs = strconv.Itoa(*t.RecordingDuration)
		}
		fmt.Fprintf(w, "Voicemail:  %s (%s s)\n", t.RecordingURL, secs)
	}
	if c := t.Call; c != nil {
		dur := "-"
		if c.Duration != nil {
			dur = strconv.Itoa(*c.Duration) + " s"
		}
		fmt.Fprintf(w, "\nCall %s\n", c.CallSid)
		fmt.Fprintf(w, "  From:     %s\n", c.From)
		fmt.Fprintf(w, "  Started:  %s\n", ts(c.Started))
		fmt.Fprintf(w, "  Ended:    %s\n", whenOrDash(c.Ended))
		fmt.Fprintf(w, "  Status:   %s\n", dashIfEmpty(c.Status))
		fmt.Fprintf(w, "  Duration: %s\n", dur)
		fmt.Fprintf(w, "  Outcome:  %s\n", dashIfEmpty(string(c.Outcome)))
	}
	fmt.Fprintln(w, "\nEvents:")
	rows := make([][]string, len(t.Events))
	for i, e := range t.Events {
		rows[i] = []string{"  " + ts(e.At), string(e.Kind), e.Detail}
	}
	a.table([]string{"  AT", "EVENT", "DETAIL"}, rows)
}

// ackedTicket is `ticket ack --json`, `ticket resolve --json` and `ticket
// reopen --json`: the ticket and whether this command changed it.
type ackedTicket struct {
	tickets.Ticket
	Changed bool `json:"changed"`
}

func (a *app) ticketAckCommand() *cobra.Command {
	var handle string
	cmd := &cobra.Command{
		Use:   "ack NUMBER --engineer HANDLE",
		Short: "Record a ticket's first response, given by an engineer by other means than the phone line",
		Args:  exactArgs(1, "a ticket number"),
		RunE: func(cmd *cobra.Command, args []string) error {
			number, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			if err := required(cmd, "engineer"); err != nil {
				return err
			}
			svc, err := a.ticketsService(cmd.Context())
			if err != nil {
				return err
			}
			t, changed, err := svc.Acknowledge(cmd.Context(), a.who(), number, handle)
			if err != nil {
				return err
			}
			return a.emit(ackedTicket{t, changed}, func() {
				if !changed {
					fmt.Fprintf(a.stdout, "ticket %d already had its first response, by %s at %s; nothing changed\n",
						t.Number, t.Responder, ts(*t.RespondedAt))
					return
				}
				fmt.Fprintf(a.stdout, "ticket %d: first response by %s at %s, %s\n",
					t.Number, t.Responder, ts(*t.RespondedAt), tickets.RespondedIn(t))
			})
		},
	}
	cmd.Flags().StringVar(&handle, "engineer", "", "handle of the engineer who responded (required)")
	return cmd
}

func (a *app) ticketResolveCommand() *cobra.Command {
	return a.ticketAction("resolve NUMBER", "Resolve (close) a ticket", (*tickets.Service).Resolve,
		func(t tickets.Ticket, _ *tickets.Service) string {
			return fmt.Sprintf("ticket %d resolved at %s", t.Number, ts(*t.ResolvedAt))
		},
		func(t tickets.Ticket) string {
			return fmt.Sprintf("ticket %d was already resolved at %s; nothing changed", t.Number, whenOrDash(t.ResolvedAt))
		})
}

func (a *app) ticketReopenCommand() *cobra.Command {
	return a.ticketAction("reopen NUMBER", "Reopen a resolved ticket; its SLA promise (due time, warning time) stays as it was", (*tickets.Service).Reopen,
		func(t tickets.Ticket, svc *tickets.Service) string {
			return fmt.Sprintf("ticket %d reopened; its promise is unchanged: due %s, %s",
				t.Number, ts(t.ResponseDue), tickets.TimeLeft(a.now(), t, svc.Policy))
		},
		func(t tickets.Ticket) string {
			return fmt.Sprintf("ticket %d is open already; nothing changed", t.Number)
		})
}

// ticketAction builds a command that runs one audited ticket action on the
// ticket numbered by its argument and says what changed, or that nothing did.
func (a *app) ticketAction(use, short string,
	act func(*tickets.Service, context.Context, string, int64) (tickets.Ticket, bool, error),
	changedText func(tickets.Ticket, *tickets.Service) string, unchangedText func(tickets.Ticket) string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(1, "a ticket number"),
		RunE: func(cmd *cobra.Command, args []string) error {
			number, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			svc, err := a.ticketsService(cmd.Context())
			if err != nil {
				return err
			}
			t, changed, err := act(svc, cmd.Context(), a.who(), number)
			if err != nil {
				return err
			}
			return a.emit(ackedTicket{t, changed}, func() {
				if changed {
					fmt.Fprintln(a.stdout, changedText(t, svc))
				} else {
					fmt.Fprintln(a.stdout, unchangedText(t))
				}
			})
		},
	}
}

// notedTicket is `ticket note --json`: the note as it is in the ticket's
// history.
type notedTicket struct {
	Ticket int64 `json:"ticket"`
	tickets.Event
}

func (a *app) ticketNoteCommand() *cobra.Command {
	var text string
	cmd := &cobra.Command{
		Use:   "note NUMBER --text TEXT",
		Short: "Add a note to a ticket's history (shown by ticket show)",
		Args:  exactArgs(1, "a ticket number"),
		RunE: func(cmd *cobra.Command, args []string) error {
			number, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			// Given but blank is the domain's to refuse, in its words.
			if !cmd.Flags().Changed("text") {
				return errcode.Errorf(errcode.Invalid, "--text is required (usage: %s)", cmd.UseLine())
			}
			svc, err := a.ticketsService(cmd.Context())
			if err != nil {
				return err
			}
			ev, err := svc.Note(cmd.Context(), a.who(), number, text)
			if err != nil {
				return err
			}
			return a.emit(notedTicket{number, ev}, func() {
				fmt.Fprintf(a.stdout, "ticket %d: note added at %s\n", number, ts(ev.At))
			})
		},
	}
	cmd.Flags().StringVar(&text, "text", "", fmt.Sprintf("the note: one line, at most %d characters (required)", tickets.MaxNoteLen))
	return cmd
}

// ticketNumber parses a ticket number argument.
func ticketNumber(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, errcode.Errorf(errcode.Invalid, "ticket number %q is not a number such as 100001", s)
	}
	return n, nil
}

// whenOrDash is ts for an optional instant.
func whenOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return ts(*t)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
