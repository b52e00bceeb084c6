package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"supportline/notify"
	"supportline/store"
	"supportline/store/storetest"
)

// withOutbox opens the CLI's database directly, runs fn on it, and closes
// it again, as another process would.
func withOutbox(t *testing.T, c *cli, fn func(ctx context.Context, db *store.DB)) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	fn(ctx, db)
}

func enqueueAll(t *testing.T, ctx context.Context, db *store.DB, msgs ...notify.Message) {
	t.Helper()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, m := range msgs {
			if _, err := notify.Enqueue(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// scriptedSender refuses one recipient the way Twilio refuses an invalid
// number and accepts everyone else.
type scriptedSender struct{ refuse string }

func (s scriptedSender) Send(_ context.Context, to, _ string) (string, error) {
	if to == s.refuse {
		return "", &notify.SendError{Status: 400, Code: 21211, Message: "Invalid 'To' Phone Number", Permanent: true}
	}
	return "SM0123456789abcdef0123456789abcdef", nil
}

func TestOutboxList(t *testing.T) {
	c := newCLI(t)
	// outbox list only reads: it needs a database with the schema.
	if code, _, errs := c.run("migrate", "up"); code != 0 {
		t.Fatalf("migrate up: %d %s", code, errs)
	}
	if code, out, errs := c.run("outbox", "list"); code != 0 || !strings.HasPrefix(out, "ID ") || strings.Count(out, "\n") != 1 {
		t.Fatalf("empty outbox: %d %q %q", code, out, errs)
	}
	long := "Ticket 100125 breached its SLA: Acme Corp, Severity 1, no response within 1h; call the customer back now"
	withOutbox(t, c, func(ctx context.Context, db *store.DB) {
		enqueueAll(t, ctx, db,
			notify.Message{EventKey: "ticket:100123:warning", To: "+17205550111", Body: "Ticket 100123 warns"},
			notify.Message{EventKey: "ticket:100124:warning", To: "+17205550199", Body: "Ticket 100124 warns"},
			notify.Message{EventKey: "ticket:100125:breach", To: "+17205550111", Body: long})
		w := &notify.Worker{DB: db, Sender: scriptedSender{refuse: "+17205550199"}, Log: slog.New(slog.DiscardHandler), MaxAttempts: 1}
		if sent, failed, err := w.Tick(ctx); err != nil || sent != 2 || failed != 1 {
			t.Fatalf("Tick = %d sent, %d failed, %v", sent, failed, err)
		}
	})

	code, out, errs := c.run("outbox", "list", "--json")
	var all []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &all) != nil || len(all) != 3 {
		t.Fatalf("list --json: %d %q %q", code, out, errs)
	}
	if all[0]["event_key"] != "ticket:100125:breach" || all[0]["status"] != "sent" || all[0]["provider_sid"] != "SM0123456789abcdef0123456789abcdef" ||
		all[0]["body"] != long || all[0]["sent_at"] == nil || all[2]["event_key"] != "ticket:100123:warning" {
		t.Fatalf("list --json, newest first: %v", all)
	}

	code, out, _ = c.run("outbox", "list", "--failed", "--json")
	var failed []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &failed) != nil || len(failed) != 1 ||
		failed[0]["to"] != "+17205550199" || failed[0]["error_code"] != float64(21211) || failed[0]["error"] != "Invalid 'To' Phone Number" {
		t.Fatalf("list --failed --json: %d %q", code, out)
	}

	code, out, _ = c.run("outbox", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 {
		t.Fatalf("list: %d %q", code, out)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`^ID\s+CREATED\s+EVENT\s+TO\s+STATUS\s+ATTEMPTS\s+SENT/NEXT\s+ERROR\s+BODY$`),
		regexp.MustCompile(`^3\s+\S+Z\s+ticket:100125:breach\s+\+17205550111\s+sent\s+1\s+sent \S+Z\s+-\s+Ticket 100125 breached its SLA: Acme Co…$`),
		regexp.MustCompile(`^2\s+\S+Z\s+ticket:100124:warning\s+\+17205550199\s+failed\s+1\s+-\s+21211 Invalid 'To' Phone Number\s+Ticket 100124 warns$`),
	} {
		found := false
		for _, l := range lines {
			found = found || want.MatchString(strings.TrimRight(l, " "))
		}
		if !found {
			t.Errorf("list has no line matching %s:\n%s", want, out)
		}
	}

	code, out, _ = c.run("outbox", "list", "--limit", "1", "--json")
	var one []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &one) != nil || len(one) != 1 || one[0]["event_key"] != "ticket:100125:breach" {
		t.Fatalf("list --limit 1: %d %q", code, out)
	}
	if code, _, errs := c.run("outbox", "list", "--limit", "0"); code != 2 || !strings.Contains(errs, "--limit must be at least 1") {
		t.Fatalf("list --limit 0: %d %q", code, errs)
	}
}

// serveFor runs serve on the CLI's database until stop is called, and
// returns its output so far.
func serveFor(t *testing.T, c *cli) (out, errs *storetest.LogBuffer, done <-chan int, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errs = &storetest.LogBuffer{}, &storetest.LogBuffer{}
	ch := make(chan int, 1)
	go func() { ch <- run(ctx, []string{"serve", "--db", c.db, "--addr", "127.0.0.1:0"}, out, errs) }()
	t.Cleanup(cancel)
	return out, errs, ch, cancel
}

// eventually waits (up to 10 s) for cond.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

func unsetTwilio(t *testing.T) {
	for _, k := range []string{notify.EnvAccountSid, notify.EnvAuthToken, notify.EnvAPIKey, notify.EnvAPISecret, notify.EnvFromNumber, notify.EnvMessagingServiceSid} {
		t.Setenv(k, "")
	}
}

// phoneLineEnv sets what serve needs to verify webhooks (the auth token
// alone does not enable SMS).
func phoneLineEnv(t *testing.T) {
	unsetTwilio(t)
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "https://support.example.com")
	t.Setenv(notify.EnvAuthToken, "tok3nTok3nTok3nTok3nTok3nTok3n99")
}

func TestServeWithoutTwilioSMSSettingsLogsSMS(t *testing.T) {
	phoneLineEnv(t)
	c := newCLI(t)
	withOutbox(t, c, func(ctx context.Context, db *store.DB) {
		enqueueAll(t, ctx, db, notify.Message{EventKey: "ticket:100123:warning", To: "+17205550111", Body: "Ticket 100123 needs a response by 16:00Z"})
	})
	out, errs, done, stop := serveFor(t, c)
	if !eventually(func() bool { return strings.Contains(errs.String(), "Ticket 100123 needs a response") }) {
		stop()
		t.Fatalf("the SMS did not reach the log:\nstdout: %s\nstderr: %s", out, errs)
	}
	if !eventually(func() bool { return strings.Contains(out.String(), "listening on") }) {
		t.Fatalf("serve did not start: %s %s", out, errs)
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, errs)
	}
	if !strings.Contains(out.String(), "SMS go to the log, not to Twilio: no Twilio SMS credentials") {
		t.Errorf("start output does not say where SMS go: %s", out)
	}
	if !regexp.MustCompile(`msg="sms \(not sent: no Twilio credentials\)" component=sms to=\+17205550111 event=ticket:100123:warning body=`).MatchString(errs.String()) {
		t.Errorf("log lacks the structured SMS line: %s", errs)
	}
	code, js, _ := c.run("outbox", "list", "--json")
	var ds []map[string]any
	if code != 0 || json.Unmarshal([]byte(js), &ds) != nil || len(ds) != 1 || ds[0]["status"] != "sent" {
		t.Fatalf("after serve: %d %s", code, js)
	}
}

func TestServeSaysSMSGoToTwilio(t *testing.T) {
	phoneLineEnv(t)
	const token = "tok3nTok3nTok3nTok3nTok3nTok3n99"
	t.Setenv(notify.EnvAccountSid, "AC0123456789abcdef0123456789abcdef")
	t.Setenv(notify.EnvFromNumber, "+17205550100")
	c := newCLI(t)
	out, errs, done, stop := serveFor(t, c)
	if !eventually(func() bool { return strings.Contains(out.String(), "listening on") }) {
		stop()
		t.Fatalf("serve did not start: %s %s", out, errs)
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, errs)
	}
	if !strings.Contains(out.String(), "SMS go to Twilio from +17205550100 (account AC0123456789abcdef0123456789abcdef, auth token)") {
		t.Errorf("start output does not say SMS go to Twilio: %s", out)
	}
	if strings.Contains(out.String()+errs.String(), token) {
		t.Errorf("serve printed the auth token")
	}
}

func TestServeRefusesPartialTwilioSMSSettings(t *testing.T) {
	phoneLineEnv(t)
	t.Setenv(notify.EnvAccountSid, "AC0123456789abcdef0123456789abcdef")
	c := newCLI(t)
	out, errs, done, stop := serveFor(t, c)
	defer stop()
	select {
	case code := <-done:
		if code != 2 || !strings.Contains(errs.String(), "neither TWILIO_FROM_NUMBER nor TWILIO_MESSAGING_SERVICE_SID") || strings.Contains(out.String(), "listening on") {
			t.Fatalf("serve exited %d\nstdout: %s\nstderr: %s", code, out, errs)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve started without TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID: %s", out)
	}
}
