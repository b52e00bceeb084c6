package ivr

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

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

// outage is a database that stops answering the way real ones do, for a
// harness whose database is opened through it.
type outage struct {
	db *store.DB
	// hang makes every statement wait (PostgreSQL: the server SIGSTOPped,
	// through a proxy that stops forwarding; SQLite: another process holds
	// the write lock, so writes wait on it); stop makes the database refuse
	// (PostgreSQL only: connections refused and dropped); end undoes both.
	hang, stop, end func()
}

// openOutage opens a fresh database of engine e that a test can hang or
// stop.
func openOutage(t *testing.T, e store.Engine) *outage {
	t.Helper()
	if e == store.Postgres {
		raw, proxy := storetest.PostgresViaProxy(t)
		return &outage{db: storetest.OpenURL(t, raw), hang: proxy.Freeze, stop: proxy.Refuse,
			end: func() { proxy.Thaw(); proxy.Accept() }}
	}
	db := storetest.Open(t, store.SQLite)
	o := &outage{db: db}
	// A second handle on the same file, as another process would have:
	// its transaction holds SQLite's only write lock until end.
	other, err := store.Open(context.Background(), storetest.SQLiteFile(t, db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	var (
		mu      sync.Mutex
		release chan struct{} // closed by end; nil while no lock is held
		held    sync.WaitGroup
	)
	o.hang = func() {
		mu.Lock()
		defer mu.Unlock()
		locked := make(chan error, 1)
		done := make(chan struct{})
		release = done
		held.Go(func() {
			_ = other.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.Exec(context.Background(), `UPDATE roster_version SET version = version`)
				locked <- err
				<-done
				return err
			})
		})
		if err := <-locked; err != nil {
			t.Fatal(err)
		}
	}
	o.stop = o.hang
	o.end = func() {
		mu.Lock()
		defer mu.Unlock()
		if release != nil {
			close(release)
			release = nil
		}
		held.Wait()
	}
	return o
}

func eachOutage(t *testing.T, fn func(t *testing.T, o *outage)) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) { fn(t, openOutage(t, e)) })
	}
}

// With the database hung, every webhook still answers within its budget
// (Server.Timeout, shortened here to one second) and /readyz within two
// seconds; the caller hears "one moment please", never silence. Once the
// database answers again, calls go through: no stuck connection was kept.
func TestWebhooksAnswerWhileTheDatabaseHangs(t *testing.T) {
	eachOutage(t, func(t *testing.T, o *outage) {
		h := newHarness(t, o.db)
		h.allowErrors("webhook backend failure", "recording status", "status callback not recorded",
			"whisper answer failed", "request failed", "twilio fell back", "status=500", "status=503")
		h.srv.Timeout = time.Second
		h.srv.retries.delays = []time.Duration{time.Hour} // no background retry during the test
		sid := twiliosim.NewCallSid()
		// A call at the PIN prompt, by caller ID, before the database hangs.
		status, ct, body := h.post("/twilio/voice", callerForm(sid, premiumPhone), testToken)
		assertTwiML(t, status, ct, body)

		o.hang()
		defer o.end()
		cases := []struct {
			path string
			form url.Values
		}{
			{"/twilio/voice", callerForm(twiliosim.NewCallSid(), strangerPhone)},
			{"/twilio/voice/step?s=pin&q=0", callerForm(sid, premiumPhone, "Digits", h.pin)},
			{"/twilio/voice/prompt?s=pin&q=0&why=silence", callerForm(sid, premiumPhone)},
			{"/twilio/voice/dial?q=0&n=0", callerForm(sid, premiumPhone, "DialCallStatus", "no-answer")},
			{"/twilio/voice/whisper?c=" + sid + "&n=0", callerForm(twiliosim.NewCallSid(), alicePhone)},
			{"/twilio/voice/whisper/answer?c=" + sid + "&n=0", callerForm(twiliosim.NewCallSid(), alicePhone, "Digits", "1")},
			{"/twilio/voice/recording", callerForm(sid, premiumPhone, "RecordingUrl", "https://api.twilio.com/rec/RE0123456789abcdef0123456789abcdef",
				"RecordingSid", "RE0123456789abcdef0123456789abcdef", "RecordingDuration", "12")},
			{"/twilio/voice/recording/status", url.Values{"CallSid": {sid}, "RecordingStatus": {"completed"},
				"RecordingUrl": {"https://api.twilio.com/rec/RE0123456789abcdef0123456789abcdef"},
				"RecordingSid": {"RE0123456789abcdef0123456789abcdef"}, "RecordingDuration": {"12"}}},
			{"/twilio/voice/status", callerForm(sid, premiumPhone, "CallStatus", "completed", "CallDuration", "30")},
			{"/twilio/voice/fallback", callerForm(sid, premiumPhone)},
		}
		var wg sync.WaitGroup
		for _, tc := range cases {
			wg.Go(func() {
				start := time.Now()
				status, _, body := h.post(tc.path, tc.form, testToken)
				took := time.Since(start)
				if took > h.srv.Timeout+time.Second {
					t.Errorf("%s answered after %v with the database hung (budget %v)", tc.path, took, h.srv.Timeout)
				}
				if status >= 500 && !strings.Contains(tc.path, "/status") {
					t.Errorf("%s answered %d: %s", tc.path, status, body)
				}
				if strings.Contains(tc.path, "/step") && !strings.Contains(body, "One moment please") {
					t.Errorf("%s: the caller does not hear \"one moment please\": %s", tc.path, body)
				}
			})
		}
		wg.Go(func() {
			start := time.Now()
			resp, err := http.Get(h.ts.URL + "/readyz")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("/readyz answered after %v with the database hung", took)
			}
			if o.db.Engine() == store.Postgres && resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("/readyz = %d with the database hung, want 503", resp.StatusCode)
			}
		})
		wg.Wait()

		o.end()
		h.clock.Set(saturdayNight)
		res := h.run(h.call(premiumPhone, h.pin+"#", "2", "Printer on fire#"))
		if tk := h.ticketOf(res.CallSid); tk.RecordingURL == "" {
			t.Errorf("after the database came back the call did not finish:\n%s", res.Transcript)
		}
	})
}

// A caller rides out a database outage shorter than line.outage_patience
// ("one moment please", a pause, again), back at exactly their step, and
// finishes their call; a longer outage sends them to the emergency
// numbers once their patience is spent. Pauses take real time here, scaled
// down: patience 6 s, outages of 2 s and 12 s (a 10 s and a 60 s outage
// against the default 30 s).
func TestOutagePatience(t *testing.T) {
	for _, tc := range []struct {
		name   string
		outage time.Duration
		hang   bool
	}{
		{"short stop", 2 * time.Second, false},
		{"short hang", 2 * time.Second, true},
		// Twice the patience: a cycle takes 1.5-2 s under -race on a
		// loaded machine, and the outage must outlast the patience by more
		// than one.
		{"long stop", 12 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachOutage(t, func(t *testing.T, o *outage) {
				h := newHarness(t, o.db)
				h.allowErrors("webhook backend failure", "status=503")
				h.policy.Line.Patience = 6 * time.Second
				h.srv.Timeout = time.Second
				h.srv.Clock = time.Now
				h.clock.Set(saturdayNight)
				c := h.call(premiumPhone)
				// Pauses take real time: a fifth of what they say.
				c.OnEntry = func(e twiliosim.Entry) {
					if e.Kind == twiliosim.KindPause && e.Leg == twiliosim.CallerLeg {
						d, _ := time.ParseDuration(e.Text)
						time.Sleep(d / 5)
					}
				}
				var once sync.Once
				c.Keys = func(prompt []string) (string, bool) {
					heard := strings.Join(prompt, " ")
					switch {
					case strings.Contains(heard, "PIN"):
						return h.pin + "#", true
					case strings.Contains(heard, "Severity 2"):
						// The outage begins as the caller chooses.
						once.Do(func() {
							if tc.hang {
								o.hang()
							} else {
								o.stop()
							}
							time.AfterFunc(tc.outage, o.end)
						})
						return "2", true
					case strings.Contains(heard, "message"):
						return "Printer on fire#", true
					}
					return "", true
				}
				t.Cleanup(o.end)
				res := h.run(c)
				heard := res.Transcript.HeardText(twiliosim.CallerLeg)
				if !strings.Contains(heard, "One moment please.") {
					t.Errorf("the caller never heard \"one moment please\":\n%s", res.Transcript)
				}
				if tc.outage < h.policy.Line.Patience {
					heardNone(t, res, twiliosim.CallerLeg, "something went wrong")
					if len(res.Dials) != 0 {
						t.Errorf("dialled %+v during a short outage", res.Dials)
					}
					if tk := h.ticketOf(res.CallSid); tk.RecordingURL == "" || tk.Priority != 2 {
						t.Errorf("the call did not finish with its ticket (priority %d, recording %q):\n%s",
							tk.Priority, tk.RecordingURL, res.Transcript)
					}
					return
				}
				heardAll(t, res, twiliosim.CallerLeg, "We are sorry, something went wrong on our side.")
				if len(res.Dials) != 1 || res.Dials[0].Number != h.policy.Line.EmergencyNumbers[0] {
					t.Errorf("dials %+v, want the emergency number", res.Dials)
				}
			})
		})
	}
}
