package main

import (
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/ivr"
	"supportline/pins"
	"supportline/store"
)

// demoToken is the Twilio auth token `serve --demo` accepts and `call`
// uses by default. It is public on purpose: demo mode is for a laptop.
const demoToken = "supportline-demo-token"

// phoneLine builds the webhook server on db from serve's settings, every
// field set before first use. gate says whether the database is ready
// (serve's dbState).
func phoneLine(set serveSettings, policy *config.Policy, db *store.DB, gate func() error) *ivr.Server {
	// The PIN service reads contacts through accounts, and accounts forgets
	// a removed contact's PIN through the PIN service: each names the other.
	var accts accounts.Service
	pinSvc := &pins.Service{DB: db, Accounts: &accts, Policy: policy.Pins, Log: set.Log, Secret: set.EntrySecret}
	accts = accounts.Service{DB: db, Policy: policy, Credentials: pinSvc}
	return &ivr.Server{
		DB:        db,
		Policy:    policy,
		Pins:      pinSvc,
		Log:       set.Log,
		PublicURL: set.PublicURL,
		Tokens:    set.Tokens,
		Gate:      gate,
		Clock:     time.Now,
	}
}
