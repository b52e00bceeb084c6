package pins

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"supportline/audit"
	"supportline/config"
	"supportline/store"
	"supportline/store/storetest"
)

// TestPINNeverStoredOrLogged runs rotate, a wrong verify, a right verify and
// a PIN keyed at the support-ID prompt with the default policy, then looks
// for the PIN and the wrong PIN in every log line, every audit event and
// every column of every row of every table.
func TestPINNeverStoredOrLogged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, config.Default().Pins)
		id, pin := f.contact("+17205550111")
		bad := wrongPIN(pin)
		if Blocked(bad, "+17205550111", id) {
			bad = wrongPIN(bad[1:] + bad[:1])
		}
		const from = "+14155550108"
		f.expect(id, bad, from, Wrong, 1, 0)
		f.expect(id, pin, from, OK, 1, 0)
		f.expect(pin, pin, from, Wrong, 0, 1) // the PIN keyed as a support ID
		if _, err := f.svc.Status(ctx, id); err != nil {
			t.Fatal(err)
		}

		hash := f.cred(id).Hash
		if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Errorf("stored credential does not start with the default PHC prefix: %.30s...", hash)
		}

		evs, err := (&audit.Service{DB: db}).List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) < 5 {
			t.Fatalf("only %d audit events", len(evs))
		}
		js, _ := json.Marshal(evs)
		places := map[string]string{"log output": f.logs.String(), "audit events": string(js)}
		for table, rows := range storetest.Dump(t, db) {
			places["table "+table] = rows
		}
		if !strings.Contains(places["table pin_credentials"], hash) {
			t.Fatal("table dump misses the credential; the dump is not seeing the data")
		}
		if !strings.Contains(f.logs.String(), "PIN verification") {
			t.Fatal("no log output captured")
		}
		for where, text := range places {
			for _, secret := range []string{pin, bad} {
				if strings.Contains(text, secret) {
					t.Errorf("%s contains a PIN", where)
				}
			}
		}
	})
}
