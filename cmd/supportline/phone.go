package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/errcode"
	"supportline/ivr"
	"supportline/oncall"
	"supportline/pins"
	"supportline/store"
)

// demoToken is the Twilio auth token `serve --demo` accepts and `call`
// uses by default. It is public on purpose: demo mode is for a laptop.
const demoToken = "supportline-demo-token"

// phoneLine builds the webhook server, without its database (the caller
// sets DB once it is open). Outside demo mode the auth token and the public
// URL must come from the environment: without them no request could be
// verified, so serve refuses to start.
func (a *app) phoneLine(policy *config.Policy, log *slog.Logger, addr string, demo bool) (*ivr.Server, error) {
	token := os.Getenv("TWILIO_AUTH_TOKEN")
	public := os.Getenv("SUPPORTLINE_PUBLIC_URL")
	if demo {
		if token == "" {
			token = demoToken
		}
		if public == "" {
			public = "http://localhost" + portOf(addr)
		}
	}
	if token == "" {
		return nil, errcode.New(errcode.Invalid, "set TWILIO_AUTH_TOKEN (your Twilio auth token, used to verify webhook signatures), or run serve --demo")
	}
	if public == "" {
		return nil, errcode.New(errcode.Invalid, "set SUPPORTLINE_PUBLIC_URL (the https:// base URL Twilio reaches this server at), or run serve --demo")
	}
	if !strings.HasPrefix(public, "http://") && !strings.HasPrefix(public, "https://") {
		return nil, errcode.Errorf(errcode.Invalid, "SUPPORTLINE_PUBLIC_URL %q must start with https:// (or http:// for local tests)", public)
	}
	secret, err := entrySecret(os.Getenv("SUPPORTLINE_SECRET"), token)
	if err != nil {
		return nil, err
	}
	return &ivr.Server{
		Policy:    policy,
		Pins:      &pins.Service{Policy: policy.Pins, Log: log, Secret: secret},
		Log:       log,
		PublicURL: strings.TrimRight(public, "/"),
		Tokens:    []string{token, os.Getenv("TWILIO_AUTH_TOKEN_SECONDARY")},
	}, nil
}

// entrySecret is the key of the keyed hashes under which support-ID entries
// that match no contact are counted and locked (pins.Claim): a database
// copied off the server then holds nothing that turns back into the
// digits, which may have been a PIN. SUPPORTLINE_SECRET sets it; without
// it, it is derived from the Twilio auth token, so that replicas agree and
// restarts keep the locks (rotating the token then resets the locks of
// unknown entries, not of contacts).
//
// serve and the CLI's pin commands (which clear such locks) must agree, so
// both take it from here. Nil when neither is set (a CLI without the
// server's environment).
func entrySecret(secret, token string) ([]byte, error) {
	if secret != "" {
		if len(secret) < 16 {
			return nil, errcode.New(errcode.Invalid, "SUPPORTLINE_SECRET must be at least 16 characters (e.g. the output of: openssl rand -hex 32)")
		}
		return []byte(secret), nil
	}
	if token == "" {
		return nil, nil
	}
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("supportline: keyed hashes of unmatched support-ID entries"))
	return m.Sum(nil), nil
}

func portOf(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i:]
	}
	return ":8080"
}

// demo is what seedDemo made.
type demo struct {
	SupportID, PIN, Phone string
	Engineer              string // on call for the top priority now
}

// seedDemo makes (once) a premium account with one contact, engineers alice
// and bob in a primary schedule and carol in desk and secondary, and rotates the
// contact's PIN on every start, so the printed PIN always works.
func (a *app) seedDemo(ctx context.Context, db *store.DB, policy *config.Policy, line *ivr.Server) (demo, error) {
	const actor = "demo"
	plan := ""
	for _, name := range policy.PlanNames() {
		if p, _ := policy.Plan(name); p.Phone && (plan == "" || name == "premium") {
			plan = name
		}
	}
	if plan == "" {
		return demo{}, errcode.Errorf(errcode.Invalid, "the policy %s has no plan with phone support to demo", policy.Source)
	}
	accts := &accounts.Service{DB: db, Policy: policy}
	acc, err := accts.Account(ctx, "100100")
	if errcode.Is(err, errcode.NotFound) {
		acc, err = accts.AddAccount(ctx, actor, accounts.NewAccount{Name: "Demo Corp", Plan: plan, Number: "100100"})
	}
	if err != nil {
		return demo{}, fmt.Errorf("demo account: %w", err)
	}
	d := demo{Phone: "+15555550100"}
	contacts, err := accts.Contacts(ctx, acc.Number)
	if err != nil {
		return demo{}, err
	}
	for _, c := range contacts {
		if c.Phone == d.Phone {
			d.SupportID = c.SupportID
		}
	}
	if d.SupportID == "" {
		c, err := accts.AddContact(ctx, actor, accounts.NewContact{AccountNumber: acc.Number, Name: "Dana Demo", Phone: d.Phone})
		if err != nil {
			return demo{}, fmt.Errorf("demo contact: %w", err)
		}
		d.SupportID = c.SupportID
	}
	roster := &oncall.Store{DB: db}
	for _, e := range []oncall.NewEngineer{
		{Handle: "alice", Name: "Alice Ng", Phone: "+15555550111"},
		{Handle: "bob", Name: "Bob Okafor", Phone: "+15555550112"},
		{Handle: "carol", Name: "Carol Diaz", Phone: "+15555550113"},
	} {
		if _, err := roster.AddEngineer(ctx, actor, e); err != nil && !errcode.Is(err, errcode.Conflict) {
			return demo{}, fmt.Errorf("demo engineer %s: %w", e.Handle, err)
		}
	}
	handoff, _ := oncall.ParseCivil("2026-01-05T09:00")
	for _, s := range []oncall.NewSchedule{
		{Name: "primary", Timezone: "America/Denver", Shift: 168 * time.Hour, Handoff: handoff, Members: []string{"alice", "bob"}},
		{Name: "desk", Timezone: "America/Denver", Shift: 24 * time.Hour, Handoff: handoff, Members: []string{"carol"}},
		// The built-in oncall policy's second step, so that `check` finds
		// every schedule the policy names.
		{Name: "secondary", Timezone: "America/Denver", Shift: 168 * time.Hour, Handoff: handoff, Members: []string{"carol"}},
	} {
		if _, err := roster.AddSchedule(ctx, actor, s); err != nil && !errcode.Is(err, errcode.Conflict) {
			return demo{}, fmt.Errorf("demo schedule %s: %w", s.Name, err)
		}
	}
	// Name whoever takes a top-priority call right now, so the printed
	// command reaches a whisper.
	_ = db.InTx(ctx, func(tx *store.Tx) error {
		rt, err := line.Route(ctx, tx, 0, plan, 1, tx.Now)
		if err == nil && len(rt.Steps) > 0 {
			d.Engineer = rt.Steps[0].Handle
		}
		return nil
	})
	d.PIN, err = line.Pins.Rotate(ctx, actor, d.SupportID)
	if err != nil {
		return demo{}, fmt.Errorf("demo PIN: %w", err)
	}
	return d, nil
}

// printDemo tells the person at the terminal how to call the demo line.
func (a *app) printDemo(d demo, line *ivr.Server) {
	token := line.Tokens[0]
	// Under `go run` the binary lives in a temporary build directory; show
	// the command that works from the repository.
	self := "supportline"
	if exe, err := os.Executable(); err == nil && strings.Contains(exe, "go-build") {
		self = "go run ./cmd/supportline"
	}
	keys := "" // nobody on call: the call goes to voicemail
	if d.Engineer != "" {
		keys = " --engineer-keys " + d.Engineer + "=1"
	}
	fmt.Fprintf(a.stdout, `Demo line ready.
  caller phone:  %s (matches the demo contact, so the caller goes straight to the PIN)
  support ID:    %s
  PIN:           %s
  auth token:    %s (development only)
  engineers:     alice and bob on schedule primary, carol on desk and secondary

Call it (in another terminal):
  TWILIO_AUTH_TOKEN=%s %s call --url %s --from %s --digits "%s#,1,1"%s

Or, interactively:
  TWILIO_AUTH_TOKEN=%s %s call --url %s --from %s
`, d.Phone, d.SupportID, d.PIN, token, token, self, line.PublicURL, d.Phone, d.PIN, keys, token, self, line.PublicURL, d.Phone)
}
