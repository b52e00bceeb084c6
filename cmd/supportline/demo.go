package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"os"
	"strings"
	"time"

	"supportline/accounts"
	"supportline/auth"
	"supportline/config"
	"supportline/errcode"
	"supportline/ivr"
	"supportline/oncall"
	"supportline/store"
)

// What seedDemo creates, and so what "demo data" is: a database whose
// accounts, engineers and schedules are all among these (whatever hangs
// off them: the demo account's contacts, tickets and calls, overrides of
// the demo schedules, the audit log) holds demo data only, and an empty
// database holds none. serve --demo seeds nothing anywhere else.
const (
	demoAccountNumber = "100100"
	demoAccountName   = "Demo Corp"
	demoContactPhone  = "+15555550100"
	demoHandoff       = "2026-01-05T09:00" // civil time in each schedule's zone
)

var (
	demoEngineers = []oncall.NewEngineer{
		{Handle: "alice", Name: "Alice Ng", Phone: "+15555550111"},
		{Handle: "bob", Name: "Bob Okafor", Phone: "+15555550112"},
		{Handle: "carol", Name: "Carol Diaz", Phone: "+15555550113"},
	}
	demoSchedules = []oncall.NewSchedule{
		{Name: "primary", Timezone: "America/Denver", Shift: 168 * time.Hour, Members: []string{"alice", "bob"}},
		{Name: "desk", Timezone: "America/Denver", Shift: 24 * time.Hour, Members: []string{"carol"}},
		// The built-in oncall policy's second step, so that `check` finds
		// every schedule the policy names.
		{Name: "secondary", Timezone: "America/Denver", Shift: 168 * time.Hour, Members: []string{"carol"}},
	}
)

// demoGuard runs before serve --demo migrates its database: a database
// with no Supportline schema must hold no tables at all, or the demo would
// add its tables (and data) to another program's database.
func demoGuard(ctx context.Context, db *store.DB) error {
	st, err := db.Schema(ctx)
	if err != nil || !st.None() {
		return err
	}
	tables, err := db.Tables(ctx)
	if err != nil {
		return err
	}
	if len(tables) > 0 {
		return demoRefusal(db, fmt.Sprintf("tables that are not Supportline's (%s)", strings.Join(tables, ", ")))
	}
	return nil
}

// checkDemoOnly refuses a migrated database that holds anything seedDemo
// did not make (see demoAccountNumber), before the demo seeds into it. A
// console user other than the demo's counts too: the demo would add an
// admin whose password it prints to a database with real people in it.
func checkDemoOnly(ctx context.Context, db *store.DB, accts *accounts.Service, roster *oncall.Service) error {
	var foreign []string
	users, err := (&auth.Users{DB: db, Engineers: roster}).List(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Email != demoUserEmail {
			foreign = append(foreign, "user "+u.Email)
		}
	}
	list, err := accts.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, acc := range list {
		if acc.Number != demoAccountNumber || acc.Name != demoAccountName {
			foreign = append(foreign, fmt.Sprintf("account %s (%s)", acc.Number, acc.Name))
		}
	}
	engineers, err := roster.Engineers(ctx)
	if err != nil {
		return err
	}
	for _, e := range engineers {
		if !demoEngineer(e.Handle) {
			foreign = append(foreign, "engineer "+e.Handle)
		}
	}
	schedules, err := roster.Schedules(ctx)
	if err != nil {
		return err
	}
	for _, s := range schedules {
		if !demoSchedule(s.Name) {
			foreign = append(foreign, "schedule "+s.Name)
		}
	}
	if len(foreign) == 0 {
		return nil
	}
	if len(foreign) > 3 {
		foreign = append(foreign[:3], fmt.Sprintf("%d more", len(foreign)-3))
	}
	return demoRefusal(db, strings.Join(foreign, ", "))
}

func demoEngineer(handle string) bool {
	for _, e := range demoEngineers {
		if e.Handle == handle {
			return true
		}
	}
	return false
}

func demoSchedule(name string) bool {
	for _, s := range demoSchedules {
		if s.Name == name {
			return true
		}
	}
	return false
}

// demoRefusal says why serve --demo will not use db, and how to choose
// another: the demo seeds contacts, engineers and a PIN, and its banner
// would be false for a real database.
func demoRefusal(db *store.DB, holds string) error {
	return errcode.Errorf(errcode.Conflict, "serve --demo seeds demo data, and %s holds data that is not demo data: %s; "+
		"run the demo on a database of its own, e.g. supportline serve --demo --db ./demo.db", db, holds)
}

// demo is what seedDemo made.
type demo struct {
	SupportID, PIN, Phone string
	Engineer              string // on call for the top priority now
}

// seedDemo refuses a database that holds more than demo data
// (checkDemoOnly), then makes (once) a premium account with one contact, engineers alice
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
	accts, roster := line.Accounts, &oncall.Service{DB: db, Policy: policy}
	if err := checkDemoOnly(ctx, db, accts, roster); err != nil {
		return demo{}, err
	}
	acc, err := accts.Account(ctx, demoAccountNumber)
	if errcode.Is(err, errcode.NotFound) {
		acc, err = accts.AddAccount(ctx, actor, accounts.NewAccount{Name: demoAccountName, Plan: plan, Number: demoAccountNumber})
	}
	if err != nil {
		return demo{}, fmt.Errorf("demo account: %w", err)
	}
	d := demo{Phone: demoContactPhone}
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
	for _, e := range demoEngineers {
		if _, err := roster.AddEngineer(ctx, actor, e); err != nil && !errcode.Is(err, errcode.Conflict) {
			return demo{}, fmt.Errorf("demo engineer %s: %w", e.Handle, err)
		}
	}
	handoff, _ := oncall.ParseCivil(demoHandoff)
	for _, s := range demoSchedules {
		s.Handoff = handoff
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

// demoTokenName is the name of the admin API token serve --demo makes.
const demoTokenName = "demo"

// demoAdminToken makes (or replaces: its text is shown only once, so the
// banner of every start needs a new one) the demo's admin token, whose
// changes the audit log records as token:demo.
func demoAdminToken(ctx context.Context, svc *auth.Tokens) (string, error) {
	const actor = "demo"
	n := auth.NewToken{Name: demoTokenName, Role: auth.Admin}
	_, text, err := svc.Create(ctx, actor, n)
	if errcode.Is(err, errcode.Conflict) {
		if err = svc.Revoke(ctx, actor, demoTokenName); err == nil {
			_, text, err = svc.Create(ctx, actor, n)
		}
	}
	if err != nil {
		return "", fmt.Errorf("demo admin token: %w", err)
	}
	return text, nil
}

// demoUserEmail is the console user serve --demo makes, an admin.
const demoUserEmail = "demo@supportline.example"

// demoConsoleUser makes (or finds) the demo's console admin and gives it a
// new random password at every start, set through a set-password link the
// demo uses at once (the one way a password is set: its rules checked, the
// user's sessions ended), and returns that password. A demo user someone
// disabled is enabled again.
func demoConsoleUser(ctx context.Context, svc *auth.Users) (string, error) {
	const actor = "demo"
	password, err := demoPassword()
	if err != nil {
		return "", err
	}
	_, link, err := svc.Add(ctx, actor, auth.NewUser{Email: demoUserEmail, Role: auth.Admin})
	if errcode.Is(err, errcode.Conflict) {
		if err = svc.Enable(ctx, actor, demoUserEmail); err == nil || errcode.Is(err, errcode.Conflict) {
			_, link, err = svc.Reset(ctx, actor, demoUserEmail)
		}
	}
	if err == nil {
		_, err = svc.SetPassword(ctx, link.Text, password)
	}
	if err != nil {
		return "", fmt.Errorf("demo console user: %w", err)
	}
	return password, nil
}

// demoPassword is a random password that is easy to type: four groups of
// four lower-case letters and digits (80 bits), one CheckPassword accepts.
func demoPassword() (string, error) {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("demo password: %w", err)
		}
		s := strings.ToLower(enc.EncodeToString(b))
		p := s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		if auth.CheckPassword(p, demoUserEmail) == nil {
			return p, nil
		}
	}
}

// printDemoConsole prints the console's URL and the demo user's e-mail and
// password under the demo banner.
func (a *app) printDemoConsole(console, password string) {
	fmt.Fprintf(a.stdout, `
Console (open it in a browser and sign in):
  %s
  e-mail:        %s
  password:      %s (replaced at every start of the demo)
`, console, demoUserEmail, password)
}
