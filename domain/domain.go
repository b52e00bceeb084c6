// Package domain builds the domain services once, on one database and policy,
// for every face: the CLI's commands, the phone line, the admin API, the
// console and the SMS webhook. Building them in one place is what makes a
// rule hold whichever face a person uses; the faces embed Services.
package domain

import (
	"log/slog"

	"supportline/accounts"
	"supportline/audit"
	"supportline/auth"
	"supportline/config"
	"supportline/feeds"
	"supportline/ivr"
	"supportline/notify"
	"supportline/oncall"
	"supportline/pins"
	"supportline/routing"
	"supportline/store"
	"supportline/tickets"
)

// Services are the domain services on one database and policy.
type Services struct {
	// Policy is the policy file the services were built with.
	Policy   *config.Policy
	Accounts *accounts.Service
	Pins     *pins.Service
	OnCall   *oncall.Service
	Tickets  *tickets.Service
	Notify   *notify.Service
	Audit    *audit.Service
	Calls    *ivr.Calls
	Tokens   *auth.Tokens
	// Users are the console's people and sessions.
	Users   *auth.Users
	Routing *routing.Service
	// Feeds are the calendar feeds' tokens and documents.
	Feeds *feeds.Service
}

// New builds every service on db as literals with every field set.
// Accounts and pins name each other (pins.NewWithAccounts wires the pair):
// accounts forgets a removed contact's PIN through pins (Credentials), and
// pins reads contacts through accounts. secret keys unmatched support-ID
// entries (nil makes a random key, enough for commands that clear no
// lockout); log may be nil (admin actions are recorded in the audit log).
// publicURL is where the public listener is reached (serve's
// SUPPORTLINE_PUBLIC_URL, or the demo's), the base of calendar feed URLs;
// "" leaves feeds with their paths only.
func New(db *store.DB, policy *config.Policy, log *slog.Logger, secret []byte, publicURL string) *Services {
	pin, acc := pins.NewWithAccounts(db, policy, policy.Pins, log, secret)
	oc := &oncall.Service{DB: db, Policy: policy}
	return &Services{
		Policy:   policy,
		Accounts: acc,
		Pins:     pin,
		OnCall:   oc,
		Tickets:  &tickets.Service{DB: db, Policy: policy, Engineers: oc, Accounts: acc},
		Notify:   &notify.Service{DB: db},
		Audit:    &audit.Service{DB: db},
		Calls:    &ivr.Calls{DB: db},
		Tokens:   &auth.Tokens{DB: db, Engineers: oc},
		Users:    &auth.Users{DB: db, Engineers: oc},
		Routing:  &routing.Service{DB: db, Policy: policy},
		Feeds:    &feeds.Service{DB: db, OnCall: oc, PublicURL: publicURL},
	}
}
