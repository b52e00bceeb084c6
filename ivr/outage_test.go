package ivr

import (
	"context"
	"strings"
	"sync"
	"testing"

	"supportline/store"
	"supportline/store/storetest"
	"supportline/twiliosim"
)

// A mid-call webhook for a call the database does not know (its row lost,
// a backup restored) is a warning, not a backend failure: the caller starts
// again at the greeting and finishes the call, instead of being sent to the
// emergency numbers.
func TestUnknownCallStartsAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.clock.Set(saturdayNight)
		c := h.call(premiumPhone)
		var once sync.Once
		gathers := 0
		c.Keys = func(prompt []string) (string, bool) {
			gathers++
			heard := strings.Join(prompt, " ")
			switch {
			case strings.Contains(heard, "PIN"):
				// The first time: the call's row is lost while the caller
				// keys their PIN.
				once.Do(func() {
					if _, err := db.SQL().ExecContext(context.Background(), `DELETE FROM calls`); err != nil {
						t.Error(err)
					}
				})
				return h.pin + "#", true
			case strings.Contains(heard, "Severity"):
				return "2", true
			case strings.Contains(heard, "message"):
				return "The printer is on fire", true
			}
			return "", true
		}
		res := h.run(c)
		heard := res.Transcript.HeardText(twiliosim.CallerLeg)
		if n := strings.Count(heard, "Thank you for calling Example Support"); n != 2 {
			t.Errorf("greeting heard %d times, want 2 (again after the lost row):\n%s", n, res.Transcript)
		}
		heardNone(t, res, twiliosim.CallerLeg, "something went wrong")
		if len(res.Dials) != 0 {
			t.Errorf("dialled %+v, want no emergency number", res.Dials)
		}
		tk := h.ticketOf(res.CallSid)
		if tk.RecordingURL == "" {
			t.Errorf("the call did not end with a voicemail on its ticket:\n%s", res.Transcript)
		}
		if !strings.Contains(h.logs.String(), "level=WARN msg=\"webhook for a call the database does not know") {
			t.Errorf("no warning about the unknown call in the log")
		}
	})
}
