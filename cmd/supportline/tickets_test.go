package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/oncall"
	"supportline/store"
	"supportline/tickets"
)

// ticketSeed writes to the CLI's SQLite file directly, to create tickets and
// their history the way the phone line and the breach watcher would.
type ticketSeed struct {
	t      *testing.T
	db     *store.DB
	policy *config.Policy
	at     time.Time
}

func newTicketSeed(t *testing.T, c *cli) *ticketSeed {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s := &ticketSeed{t: t, db: db, policy: config.Default()}
	db.Now = func() time.Time { return s.at }
	return s
}

func (s *ticketSeed) setClock(rfc string) {
	s.t.Helper()
	at, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		s.t.Fatal(err)
	}
	s.at = at
}

func (s *ticketSeed) account(name, number string) accounts.Account {
	s.t.Helper()
	a, err := (&accounts.Service{DB: s.db, Policy: s.policy}).AddAccount(context.Background(), "seed",
		accounts.NewAccount{Name: name, Plan: "premium", Number: number})
	if err != nil {
		s.t.Fatal(err)
	}
	return a
}

// open opens a premium Priority 1 ticket (1h on the always calendar) at
// the seed's clock.
func (s *ticketSeed) open(acc accounts.Account) tickets.Ticket {
	s.t.Helper()
	var tk tickets.Ticket
	s.tx(func(tx *store.Tx) (err error) {
		tk, err = s.svc().OpenTx(context.Background(), tx, tickets.OpenInput{AccountID: acc.ID, Plan: "premium", Priority: 1})
		return err
	})
	return tk
}

// svc is the tickets service over the seed's database.
func (s *ticketSeed) svc() *tickets.Service {
	return &tickets.Service{DB: s.db, Policy: s.policy, Engineers: &oncall.Service{DB: s.db},
		Accounts: &accounts.Service{DB: s.db, Policy: s.policy}}
}

// engineer adds an engineer with handle.
func (s *ticketSeed) engineer(handle, phone string) {
	s.t.Helper()
	if _, err := (&oncall.Service{DB: s.db}).AddEngineer(context.Background(), "seed",
		oncall.NewEngineer{Handle: handle, Name: handle, Phone: phone}); err != nil {
		s.t.Fatal(err)
	}
}

func (s *ticketSeed) tx(fn func(tx *store.Tx) error) {
	s.t.Helper()
	if err := s.db.InTx(context.Background(), fn); err != nil {
		s.t.Fatal(err)
	}
}

func (s *ticketSeed) watcherPass() {
	s.t.Helper()
	w := &tickets.Watcher{DB: s.db, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := w.Tick(context.Background()); err != nil {
		s.t.Fatal(err)
	}
}

// listed is what the tests read of `ticket list --json`.
type listed struct {
	Number      int64  `json:"number"`
	Account     string `json:"account"`
	AccountName string `json:"account_name"`
	Status      string `json:"status"`
	Responder   string `json:"responder"`
	TimeLeft    string `json:"time_left"`
}

func (c *cli) ticketList(args ...string) []listed {
	c.t.Helper()
	code, out, errs := c.run(append([]string{"ticket", "list", "--json"}, args...)...)
	if code != 0 {
		c.t.Fatalf("ticket list %v: %d %s", args, code, errs)
	}
	var ls []listed
	if err := json.Unmarshal([]byte(out), &ls); err != nil {
		c.t.Fatalf("ticket list %v --json: %v\n%s", args, err, out)
	}
	return ls
}

func listedNumbers(ls []listed) []int64 {
	out := make([]int64, len(ls))
	for i, l := range ls {
		out[i] = l.Number
	}
	return out
}

func num(n int64) string { return strconv.FormatInt(n, 10) }

// lineOf returns the table line that starts with the ticket number.
func lineOf(t *testing.T, out string, n int64) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, num(n)+" ") {
			return l
		}
	}
	t.Fatalf("no line for ticket %d in:\n%s", n, out)
	return ""
}

// TestTicketList seeds premium Priority 1 tickets (1h on always): three on
// Wednesday 2026-11-18 UTC, long overdue or closed, and one opened ten
// minutes before the test runs.
func TestTicketList(t *testing.T) {
	c := newCLI(t)
	s := newTicketSeed(t, c)
	acme, globex := s.account("Acme Corp", "100200"), s.account("Globex", "100300")
	s.setClock("2026-11-18T09:00:00Z")
	responded := s.open(acme)
	s.setClock("2026-11-18T09:14:00Z")
	s.engineer("alice", "+17205550111")
	if _, _, err := s.svc().Acknowledge(context.Background(), "seed", responded.Number, "alice"); err != nil {
		t.Fatal(err)
	}
	s.setClock("2026-11-18T09:30:00Z")
	resolved := s.open(globex)
	s.setClock("2026-11-18T10:00:00Z")
	if _, _, err := s.svc().Resolve(context.Background(), "seed", resolved.Number); err != nil {
		t.Fatal(err)
	}
	overdue := s.open(globex)
	s.at = time.Now().Add(-10 * time.Minute)
	fresh := s.open(acme)

	t.Run("table", func(t *testing.T) {
		code, out, errs := c.run("ticket", "list")
		if code != 0 {
			t.Fatalf("ticket list: %d %s", code, errs)
		}
		if !strings.HasPrefix(out, "TICKET ") || !strings.Contains(strings.Split(out, "\n")[0], "TIME LEFT") {
			t.Errorf("header: %q", out)
		}
		checks := []struct {
			number int64
			want   *regexp.Regexp
		}{
			{fresh.Number, regexp.MustCompile(`^\d+ +100200 +Acme Corp +1 +\S+Z +\S+Z +- +open +(49|50)m left$`)},
			{overdue.Number, regexp.MustCompile(`^\d+ +100300 +Globex +1 +2026-11-18T10:00:00Z +2026-11-18T11:00:00Z +- +open +overdue by \d+h(\d+m)?$`)},
			{responded.Number, regexp.MustCompile(`^\d+ +100200 +Acme Corp +1 +2026-11-18T09:00:00Z +2026-11-18T10:00:00Z +2026-11-18T09:14:00Z +open +responded in 14m$`)},
			{resolved.Number, regexp.MustCompile(`^\d+ +100300 +Globex +1 +2026-11-18T09:30:00Z +2026-11-18T10:30:00Z +- +resolved +resolved$`)},
		}
		for _, ch := range checks {
			if l := strings.TrimRight(lineOf(t, out, ch.number), " "); !ch.want.MatchString(l) {
				t.Errorf("ticket %d: %q does not match %s", ch.number, l, ch.want)
			}
		}
	})

	tests := []struct {
		name string
		args []string
		want []int64
	}{
		{"all, newest first", nil, []int64{fresh.Number, overdue.Number, resolved.Number, responded.Number}},
		{"--open", []string{"--open"}, []int64{fresh.Number, overdue.Number, responded.Number}},
		{"--account", []string{"--account", "100300"}, []int64{overdue.Number, resolved.Number}},
		{"--open --account", []string{"--open", "--account", "100300"}, []int64{overdue.Number}},
		{"--limit", []string{"--limit", "1"}, []int64{fresh.Number}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listedNumbers(c.ticketList(tt.args...)); !slices.Equal(got, tt.want) {
				t.Fatalf("ticket list %v = %v, want %v", tt.args, got, tt.want)
			}
		})
	}

	t.Run("json rows", func(t *testing.T) {
		ls := c.ticketList("--account", "100200")
		if len(ls) != 2 || ls[0].AccountName != "Acme Corp" || ls[0].Account != "100200" || ls[1].Responder != "alice" ||
			ls[1].TimeLeft != "responded in 14m" || !strings.HasSuffix(ls[0].TimeLeft, "m left") {
			t.Fatalf("rows: %+v", ls)
		}
	})

	t.Run("bad account", func(t *testing.T) {
		if code, _, errs := c.run("ticket", "list", "--account", "999999"); code != 3 || errs != "error: no account 999999\n" {
			t.Errorf("unknown account: %d %q", code, errs)
		}
		// The accounts' rule and words, as `contact list --account` has them.
		for _, bad := range []string{"acme", "12"} {
			code, _, errs := c.run("ticket", "list", "--account", bad)
			_, _, contactErrs := c.run("contact", "list", "--account", bad)
			if code != 2 || !strings.Contains(errs, `account number "`+bad+`"`) || errs != contactErrs {
				t.Errorf("account %q: %d %q (contact list: %q)", bad, code, errs, contactErrs)
			}
		}
		for _, limit := range []string{"0", "-1"} {
			if code, _, errs := c.run("ticket", "list", "--limit", limit); code != 2 || !strings.Contains(errs, "--limit must be at least 1") {
				t.Errorf("--limit %s: %d %q", limit, code, errs)
			}
		}
	})
}

// TestTicketShow follows a premium Priority 1 ticket opened by a call on
// Wednesday 2026-11-18 10:00 UTC: nobody accepts, the caller leaves a
// voicemail, the watcher warns at 10:45 and records the breach at 11:00,
// the caller escalates, and an engineer acknowledges it later.
func TestTicketShow(t *testing.T) {
	c := newCLI(t)
	s := newTicketSeed(t, c)
	acme := s.account("Acme Corp", "100200")
	s.setClock("2026-11-18T10:00:00Z")
	tk := s.open(acme)
	const sid = "CA0123456789abcdef0123456789abcdef"
	ctx := context.Background()
	s.tx(func(tx *store.Tx) error {
		// The call that opened it (tickets.Open sets call_sid for the phone line).
		if _, err := tx.Exec(ctx, `UPDATE tickets SET call_sid = ? WHERE id = ?`, sid, tk.ID); err != nil {
			return err
		}
		// The call row as the phone line leaves it when the call ends.
		_, err := tx.Exec(ctx, `INSERT INTO calls (call_sid, from_number, to_number, step, account_id, ticket_id,
				outcome, status, duration, created_at, updated_at, ended_at)
			VALUES (?, '+17205550100', '+17205550199', 'done', ?, ?, 'voicemail', 'completed', 95, ?, ?, ?)`,
			sid, acme.ID, tk.ID, tx.Now.Add(-time.Minute), tx.Now, tx.Now.Add(94*time.Second))
		if err != nil {
			return err
		}
		for _, e := range []struct {
			kind   tickets.EventKind
			detail string
		}{
			{tickets.EventRouted, "live to oncall"},
			{tickets.EventWhisper, "alice did not accept (no-answer)"},
			{tickets.EventWhisper, "bob declined"},
		} {
			if err := s.svc().AddEventTx(ctx, tx, tk.ID, e.kind, e.detail); err != nil {
				return err
			}
		}
		_, err = s.svc().AttachRecordingTx(ctx, tx, tk.ID, "https://api.twilio.com/recordings/RE1", "RE1", 42)
		return err
	})
	s.setClock("2026-11-18T10:50:00Z")
	s.watcherPass()
	s.setClock("2026-11-18T11:05:00Z")
	s.watcherPass()
	s.setClock("2026-11-18T11:10:00Z")
	s.tx(func(tx *store.Tx) error { _, err := s.svc().EscalateTx(ctx, tx, tk.ID, "caller 12345678"); return err })

	code, out, errs := c.run("ticket", "show", num(tk.Number))
	if code != 0 {
		t.Fatalf("ticket show: %d %s", code, errs)
	}
	for _, want := range []string{
		"Ticket " + num(tk.Number) + "\n",
		"Account:    100200 (Acme Corp)\n",
		"Plan:       premium, severity 1 (Critical)\n",
		"Status:     open\n",
		"Opened:     2026-11-18T10:00:00Z\n",
		"Promise:    respond within 1h on calendar always\n",
		"Due:        2026-11-18T11:00:00Z\n",
		"Warn at:    2026-11-18T10:45:00Z\n",
		"Responded:  -\n",
		"Escalated:  2026-11-18T11:10:00Z\n",
		"Voicemail:  https://api.twilio.com/recordings/RE1 (42 s)\n",
		"Call " + sid + "\n",
		"  From:     +17205550100\n",
		"  Started:  2026-11-18T09:59:00Z\n",
		"  Ended:    2026-11-18T10:01:34Z\n",
		"  Status:   completed\n",
		"  Duration: 95 s\n",
		"  Outcome:  voicemail\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ticket show lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`Time left:  overdue by \d+h`).MatchString(out) {
		t.Errorf("time left of an overdue ticket:\n%s", out)
	}
	// Events in the order they happened, each on its line.
	events := out[strings.Index(out, "Events:"):]
	pos := -1
	for _, want := range []string{
		"2026-11-18T10:00:00Z  opened ", "routed     live to oncall", "whisper    alice did not accept (no-answer)",
		"whisper    bob declined", "voicemail  42 s: https://api.twilio.com/recordings/RE1",
		"2026-11-18T10:50:00Z  warning", "2026-11-18T11:05:00Z  breach", "2026-11-18T11:10:00Z  escalated  by caller 12345678",
	} {
		i := strings.Index(events, want)
		if i <= pos {
			t.Fatalf("event %q missing or out of order (at %d, after %d):\n%s", want, i, pos, events)
		}
		pos = i
	}

	t.Run("json", func(t *testing.T) {
		c.run("engineer", "add", "--handle", "carol", "--name", "Carol C", "--phone", "+17205550113")
		if code, _, errs := c.run("ticket", "ack", num(tk.Number), "--engineer", "carol"); code != 0 {
			t.Fatalf("ack: %d %s", code, errs)
		}
		code, out, errs := c.run("ticket", "show", num(tk.Number), "--json")
		if code != 0 {
			t.Fatalf("ticket show --json: %d %s", code, errs)
		}
		var got struct {
			Number      int64  `json:"number"`
			Account     string `json:"account"`
			AccountName string `json:"account_name"`
			Responder   string `json:"responder"`
			TimeLeft    string `json:"time_left"`
			Recording   string `json:"recording_url"`
			Promise     struct {
				Target, Clock string
				Due           time.Time
				WarnAt        time.Time `json:"warn_at"`
			} `json:"promise"`
			Call *struct {
				CallSid  string `json:"call_sid"`
				From     string `json:"from"`
				Status   string `json:"status"`
				Duration int    `json:"duration"`
				Outcome  string `json:"outcome"`
			} `json:"call"`
			Events []struct{ Kind, Detail string } `json:"events"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if got.Number != tk.Number || got.Account != "100200" || got.AccountName != "Acme Corp" || got.Responder != "carol" ||
			!strings.HasPrefix(got.TimeLeft, "responded in ") || got.Recording != "https://api.twilio.com/recordings/RE1" {
			t.Errorf("ticket: %+v", got)
		}
		if got.Promise.Target != "1h" || got.Promise.Clock != "always" || !got.Promise.Due.Equal(time.Date(2026, 11, 18, 11, 0, 0, 0, time.UTC)) ||
			!got.Promise.WarnAt.Equal(time.Date(2026, 11, 18, 10, 45, 0, 0, time.UTC)) {
			t.Errorf("promise: %+v", got.Promise)
		}
		if got.Call == nil || got.Call.CallSid != sid || got.Call.From != "+17205550100" || got.Call.Status != "completed" ||
			got.Call.Duration != 95 || got.Call.Outcome != "voicemail" {
			t.Errorf("call: %+v", got.Call)
		}
		var kinds []string
		for _, e := range got.Events {
			kinds = append(kinds, e.Kind)
		}
		want := []string{"opened", "routed", "whisper", "whisper", "voicemail", "warning", "breach", "escalated", "responded"}
		if !slices.Equal(kinds, want) {
			t.Errorf("events %v, want %v", kinds, want)
		}
		if d := got.Events[len(got.Events)-1].Detail; !strings.HasPrefix(d, "by carol, after the due time") {
			t.Errorf("responded event detail %q", d)
		}
	})

	t.Run("ticket without a call", func(t *testing.T) {
		s.setClock("2026-11-18T12:00:00Z")
		other := s.open(acme)
		code, out, errs := c.run("ticket", "show", num(other.Number), "--json")
		if code != 0 || !strings.Contains(out, `"call": null`) {
			t.Fatalf("show: %d %s %s", code, out, errs)
		}
		if _, out, _ := c.run("ticket", "show", num(other.Number)); strings.Contains(out, "Call ") || strings.Contains(out, "Voicemail:") {
			t.Errorf("a ticket without a call shows one:\n%s", out)
		}
	})
}

func TestTicketAckAndResolve(t *testing.T) {
	c := newCLI(t)
	s := newTicketSeed(t, c)
	acme := s.account("Acme Corp", "100200")
	s.at = time.Now().Add(-5 * time.Minute)
	tk := s.open(acme)
	other := s.open(acme)
	for _, e := range [][]string{{"alice", "+17205550111"}, {"bob", "+17205550112"}} {
		if code, _, errs := c.run("engineer", "add", "--handle", e[0], "--name", e[0], "--phone", e[1]); code != 0 {
			t.Fatalf("engineer add %s: %d %s", e[0], code, errs)
		}
	}
	n := num(tk.Number)

	t.Run("unknown engineer", func(t *testing.T) {
		code, _, errs := c.run("ticket", "ack", n, "--engineer", "zed")
		if code != 3 || !strings.Contains(errs, `no engineer "zed"`) || strings.Count(errs, "\n") != 1 {
			t.Errorf("ack by zed: %d %q", code, errs)
		}
		if code, _, errs := c.run("ticket", "ack", n); code != 2 || !strings.Contains(errs, "--engineer is required") {
			t.Errorf("ack without --engineer: %d %q", code, errs)
		}
		if ls := c.ticketList("--open"); ls[1].Number != tk.Number || ls[1].Responder != "" {
			t.Errorf("a refused ack changed the ticket: %+v", ls)
		}
	})

	t.Run("ack, then ack again", func(t *testing.T) {
		code, out, errs := c.run("ticket", "ack", n, "--engineer", "alice")
		if code != 0 || !regexp.MustCompile(`^ticket `+n+`: first response by alice at \S+Z, responded in [45]m\n$`).MatchString(out) {
			t.Fatalf("first ack: %d %q %q", code, out, errs)
		}
		code, out, errs = c.run("ticket", "ack", n, "--engineer", "bob")
		if code != 0 || !regexp.MustCompile(`^ticket `+n+` already had its first response, by alice at \S+Z; nothing changed\n$`).MatchString(out) {
			t.Fatalf("second ack: %d %q %q", code, out, errs)
		}
		code, out, _ = c.run("ticket", "ack", n, "--engineer", "bob", "--json")
		var got struct {
			Responder string `json:"responder"`
			Changed   bool   `json:"changed"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Responder != "alice" || got.Changed {
			t.Fatalf("second ack --json: %d %s", code, out)
		}
		if ls := c.ticketList(); ls[1].Responder != "alice" || !strings.HasPrefix(ls[1].TimeLeft, "responded in ") || ls[1].Status != "open" {
			t.Errorf("after acks: %+v", ls[1])
		}
	})

	t.Run("resolve, then resolve again", func(t *testing.T) {
		code, out, errs := c.run("ticket", "resolve", n)
		if code != 0 || !regexp.MustCompile(`^ticket `+n+` resolved at \S+Z\n$`).MatchString(out) {
			t.Fatalf("resolve: %d %q %q", code, out, errs)
		}
		code, out, errs = c.run("ticket", "resolve", n)
		if code != 0 || !regexp.MustCompile(`^ticket `+n+` was already resolved at \S+Z; nothing changed\n$`).MatchString(out) {
			t.Fatalf("second resolve: %d %q %q", code, out, errs)
		}
		if ls := c.ticketList("--open"); !slices.Equal(listedNumbers(ls), []int64{other.Number}) {
			t.Errorf("open after resolve: %v", listedNumbers(ls))
		}
	})

	t.Run("ack of a ticket resolved without a response", func(t *testing.T) {
		if code, _, errs := c.run("ticket", "resolve", num(other.Number)); code != 0 {
			t.Fatalf("resolve: %d %s", code, errs)
		}
		code, _, errs := c.run("ticket", "ack", num(other.Number), "--engineer", "bob")
		if code != 3 || !strings.Contains(errs, "resolved without a response") {
			t.Errorf("ack: %d %q", code, errs)
		}
		if ls := c.ticketList(); ls[0].Number != other.Number || ls[0].TimeLeft != "resolved" {
			t.Errorf("resolved without response: %+v", ls[0])
		}
	})
}

func TestTicketBadInput(t *testing.T) {
	c := newCLI(t)
	c.run("engineer", "add", "--handle", "alice", "--name", "Alice", "--phone", "+17205550111")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"show a word", []string{"ticket", "show", "abc"}, 2, `error: ticket number "abc" is not a number such as 100001` + "\n"},
		{"show zero", []string{"ticket", "show", "0"}, 2, `error: ticket number "0" is not a number such as 100001` + "\n"},
		{"show without a number", []string{"ticket", "show"}, 2, "needs a ticket number"},
		{"show unknown", []string{"ticket", "show", "999999"}, 3, "error: no ticket 999999\n"},
		{"ack a word", []string{"ticket", "ack", "12x", "--engineer", "alice"}, 2, `ticket number "12x" is not a number`},
		{"ack unknown", []string{"ticket", "ack", "999999", "--engineer", "alice"}, 3, "error: no ticket 999999\n"},
		{"resolve a word", []string{"ticket", "resolve", "one"}, 2, `ticket number "one" is not a number`},
		{"resolve unknown", []string{"ticket", "resolve", "999999"}, 3, "error: no ticket 999999\n"},
		{"resolve two numbers", []string{"ticket", "resolve", "100001", "100002"}, 2, "needs a ticket number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := c.run(tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) || strings.Count(errs, "\n") != 1 || out != "" {
				t.Errorf("%v: %d %q %q; want %d and %q", tt.args, code, out, errs, tt.code, tt.want)
			}
		})
	}
}

// TestTicketNoteReopenAndAudit follows a ticket through the admin's
// actions, each by another actor: carol acknowledges it for alice, dave
// adds a note, erin resolves it, frank reopens it; the ticket's history and
// the audit log name each of them.
func TestTicketNoteReopenAndAudit(t *testing.T) {
	c := newCLI(t)
	s := newTicketSeed(t, c)
	acme := s.account("Acme Corp", "100200")
	s.at = time.Now().Add(-5 * time.Minute)
	tk := s.open(acme)
	n := num(tk.Number)
	if code, _, errs := c.run("engineer", "add", "--handle", "alice", "--name", "Alice", "--phone", "+17205550111"); code != 0 {
		t.Fatalf("engineer add: %d %s", code, errs)
	}
	as := func(actor string, args ...string) (int, string, string) {
		return c.run(append([]string{"--actor", actor}, args...)...)
	}
	if code, _, errs := as("carol", "ticket", "ack", n, "--engineer", "alice"); code != 0 {
		t.Fatalf("ack: %d %s", code, errs)
	}

	t.Run("note", func(t *testing.T) {
		code, out, errs := as("dave", "ticket", "note", n, "--text", "  Called back; the customer confirms the fix  ")
		if code != 0 || !regexp.MustCompile(`^ticket `+n+`: note added at \S+Z\n$`).MatchString(out) {
			t.Fatalf("note: %d %q %q", code, out, errs)
		}
		code, out, _ = as("dave", "ticket", "note", n, "--text", "second", "--json")
		var got struct {
			Ticket int64  `json:"ticket"`
			Kind   string `json:"kind"`
			Detail string `json:"detail"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Ticket != tk.Number || got.Kind != "note" || got.Detail != "by dave: second" {
			t.Fatalf("note --json: %d %s", code, out)
		}
		_, out, _ = c.run("ticket", "show", n)
		if !strings.Contains(out, "note       by dave: Called back; the customer confirms the fix\n") {
			t.Errorf("ticket show lacks the note:\n%s", out)
		}
	})

	t.Run("bad notes", func(t *testing.T) {
		tests := []struct {
			name string
			args []string
			code int
			want string
		}{
			{"no --text", []string{"ticket", "note", n}, 2, "--text is required"},
			{"blank", []string{"ticket", "note", n, "--text", "   "}, 2, "a note needs some text"},
			{"too long", []string{"ticket", "note", n, "--text", strings.Repeat("x", 2001)}, 2, "a note is at most 2000 characters, not 2001"},
			{"two lines", []string{"ticket", "note", n, "--text", "one\ntwo"}, 2, "a note is one line of text"},
			{"unknown ticket", []string{"ticket", "note", "999999", "--text", "hello"}, 3, "error: no ticket 999999\n"},
			{"not a number", []string{"ticket", "note", "abc", "--text", "hello"}, 2, `ticket number "abc" is not a number`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, out, errs := c.run(tt.args...)
				if code != tt.code || !strings.Contains(errs, tt.want) || out != "" {
					t.Errorf("%d %q %q; want %d and %q", code, out, errs, tt.code, tt.want)
				}
			})
		}
	})

	t.Run("resolve, reopen, reopen again", func(t *testing.T) {
		if code, _, errs := as("erin", "ticket", "resolve", n); code != 0 {
			t.Fatalf("resolve: %d %s", code, errs)
		}
		code, out, errs := as("frank", "ticket", "reopen", n)
		if code != 0 || !strings.HasPrefix(out, "ticket "+n+" reopened; its promise is unchanged: due "+ts(tk.ResponseDue)+", responded in ") {
			t.Fatalf("reopen: %d %q %q", code, out, errs)
		}
		code, out, _ = as("frank", "ticket", "reopen", n)
		if code != 0 || out != "ticket "+n+" is open already; nothing changed\n" {
			t.Fatalf("second reopen: %d %q", code, out)
		}
		code, out, _ = as("frank", "ticket", "reopen", n, "--json")
		var again struct {
			Status  string `json:"status"`
			Changed bool   `json:"changed"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &again) != nil || again.Changed || again.Status != "open" {
			t.Fatalf("second reopen --json: %d %s", code, out)
		}
		if code, _, errs := c.run("ticket", "reopen", "999999"); code != 3 || errs != "error: no ticket 999999\n" {
			t.Errorf("reopen unknown: %d %q", code, errs)
		}
		_, out, _ = c.run("ticket", "show", n)
		for _, want := range []string{"Status:     open\n", "Due:        " + ts(tk.ResponseDue) + "\n", "Resolved:   -\n",
			"resolved   by erin\n", "reopened   by frank\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("ticket show lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("audit list names who did what", func(t *testing.T) {
		code, out, errs := c.run("audit", "list", "--json")
		if code != 0 {
			t.Fatalf("audit list: %d %s", code, errs)
		}
		var evs []struct {
			Actor, Action, Subject, Detail string
			Account                        string `json:"account"`
		}
		if err := json.Unmarshal([]byte(out), &evs); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var got []string
		for _, e := range evs {
			if strings.HasPrefix(e.Action, "ticket.") {
				if e.Subject != "ticket:"+n || e.Account != "100200" {
					t.Errorf("event %+v: want subject ticket:%s on account 100200", e, n)
				}
				got = append(got, e.Actor+" "+e.Action+" "+e.Detail)
			}
		}
		want := []string{
			"carol ticket.ack by alice",
			"dave ticket.note Called back; the customer confirms the fix",
			"dave ticket.note second",
			"erin ticket.resolve ",
			"frank ticket.reopen resolved at ",
		}
		if len(got) != len(want) {
			t.Fatalf("ticket audit events %q, want %q", got, want)
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) {
				t.Errorf("audit event %d: %q, want %q", i, got[i], want[i])
			}
		}
	})

	t.Run("audit list by actor and subject", func(t *testing.T) {
		code, out, errs := c.run("audit", "list", "--actor-is", "dave", "--subject", "ticket:"+n)
		if code != 0 {
			t.Fatalf("audit list: %d %s", code, errs)
		}
		if got := strings.Count(out, "ticket.note"); got != 2 || strings.Contains(out, "ticket.resolve") {
			t.Errorf("dave's events on ticket %s: want the two notes only, got\n%s", n, out)
		}
		if code, _, errs := c.run("audit", "list", "--since", "2026-12-02T00:00:00Z", "--until", "2026-12-01T00:00:00Z"); code != 2 || !strings.Contains(errs, "must be before until") {
			t.Errorf("a backwards window: exit %d, %q; want 2 and why", code, errs)
		}
	})
}
