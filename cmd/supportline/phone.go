package main

import (
	"time"

	"supportline/config"
	"supportline/domain"
	"supportline/ivr"
	"supportline/store"
)

// demoToken is the Twilio auth token `serve --demo` accepts and `call`
// uses by default. It is public on purpose: demo mode is for a laptop.
const demoToken = "supportline-demo-token"

// phoneLine builds the webhook server on db from serve's settings, every
// field set before first use. gate says whether the database is ready
// (serve's dbState); svc are the services serve built once, which the
// admin API shares (one PIN hashing pool for calls and admins).
func phoneLine(set serveSettings, policy *config.Policy, db *store.DB, gate func() error, svc *domain.Services) *ivr.Server {
	return &ivr.Server{
		DB:        db,
		Policy:    policy,
		Pins:      svc.Pins,
		Accounts:  svc.Accounts,
		Tickets:   svc.Tickets,
		Log:       set.Log,
		PublicURL: set.PublicURL,
		Tokens:    set.Tokens,
		Gate:      gate,
		Clock:     time.Now,
	}
}
