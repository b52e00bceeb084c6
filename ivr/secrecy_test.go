package ivr

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"supportline/store"
	"supportline/store/storetest"
	"supportline/twiliosim"
)

// noise is what legitimately holds random digits in the rows and the log:
// Twilio SIDs, PHC hash strings, instants, durations, request ids and the
// test server's port. It is masked before the search, so that a window of
// the PIN found afterwards can only be the PIN.
var noise = regexp.MustCompile(`[A-Z]{2}[0-9a-f]{32}` + // SIDs
	`|\$argon2id\$\S+` + // hashes
	`|\d{4}-\d{2}-\d{2}[T ][0-9:.]+(Z|[+-]\d{2}(:?\d{2})?)?` + // instants
	`|\b\d+(\.\d+)?(ns|µs|us|ms|s|m|h)\b` + // durations
	`|request_id=\S+` +
	`|127\.0\.0\.1:\d+`)

// windows are the 4-digit windows of pin.
func windows(pin string) []string {
	var w []string
	for i := 0; i+4 <= len(pin); i++ {
		w = append(w, pin[i:i+4])
	}
	return w
}

// everything is every row of every table and the whole log, with the
// noise masked.
func (h *harness) everything() string {
	h.t.Helper()
	var b strings.Builder
	for table, rows := range storetest.Dump(h.t, h.db) {
		fmt.Fprintf(&b, "== %s\n%s", table, rows)
	}
	b.WriteString("== log\n")
	b.WriteString(h.logs.String())
	return noise.ReplaceAllString(b.String(), "#")
}

// A caller keys their PIN where the support ID is asked for (both have
// eight digits), and at the PIN prompt, and at the escalation prompt; then
// hangs up, fails or succeeds. Afterwards no 4-digit window of the PIN is
// in any table of the database or anywhere in the log (debug level): an
// entry that matched no contact is kept only as a keyed hash, which has no
// digits.
func TestNoPINDigitAnywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.clock.Set(saturdayNight)
		// A PIN none of whose windows is already in the rows or the log,
		// or in a ticket number to come: any window found later is a leak.
		baseline := h.everything()
		for i := 100000; i < 100100; i++ {
			baseline += fmt.Sprint(" ", i)
		}
		baseline += strings.Join(append([]string{strangerPhone, h.policy.Line.Number}, h.policy.Line.EmergencyNumbers...), " ")
		for try := 0; ; try++ {
			clean := true
			for _, w := range windows(h.pin) {
				clean = clean && !strings.Contains(baseline, w)
			}
			if clean {
				break
			}
			if try == 100 {
				t.Fatal("no PIN clear of the baseline's digits in 100 tries")
			}
			pin, err := h.srv.Pins.Rotate(context.Background(), "test", h.contact.SupportID)
			if err != nil {
				t.Fatal(err)
			}
			h.pin = pin
			h.secret(pin)
		}
		pin := h.pin
		id := h.contact.SupportID
		for _, sc := range []struct {
			name   string
			from   string
			script []string
		}{
			{"PIN at the support-ID prompt, hang up", strangerPhone, []string{pin + "#", twiliosim.HangUp}},
			{"PIN at both prompts, hang up", strangerPhone, []string{pin + "#", pin + "#", twiliosim.HangUp}},
			{"PIN at the support-ID prompt three times", strangerPhone, []string{pin + "#", pin + "#", pin + "#", pin + "#", pin + "#", pin + "#"}},
			{"PIN at the support-ID prompt, then right", strangerPhone, []string{pin + "#", pin + "#", id + "#", pin + "#", "2", "Printer on fire#"}},
			{"PIN by caller ID, then the escalation prompt", premiumPhone, []string{pin + "#", "9", pin + "#", twiliosim.HangUp}},
			{"PIN by caller ID, hang up at the menu", premiumPhone, []string{pin + "#", twiliosim.HangUp}},
			{"PIN at the support-ID prompt, silence", strangerPhone, []string{pin + "#", "", "", ""}},
		} {
			res := h.run(h.call(sc.from, sc.script...))
			if sc.name == "PIN at the support-ID prompt, then right" {
				heardAll(t, res, twiliosim.CallerLeg, "Your ticket number is")
			}
		}
		all := h.everything()
		for _, w := range windows(pin) {
			if i := strings.Index(all, w); i >= 0 {
				t.Errorf("a window %s of the PIN is stored or logged: ...%s...", w, all[max(0, i-200):min(len(all), i+40)])
			}
		}
	})
}
