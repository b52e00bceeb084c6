package ivr

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"

	"supportline/store"
	"supportline/store/storetest"
	"supportline/twiliosim"
)

// floorPath answers a fixed TwiML document behind the same middleware as
// the webhooks (web's request id, logging, metrics, recovery, body limit,
// and the signature check): the floor the phone line's latency is compared
// with.
const floorPath = "/twilio/floor"

func mountFloor(e *echo.Echo, s *Server) {
	doc, err := twiml.Voice([]twiml.Element{&twiml.VoiceSay{Message: "Hello."}, &twiml.VoiceHangup{}})
	if err != nil {
		panic(err)
	}
	sig := Signatures{PublicURL: s.PublicURL, Tokens: s.Tokens, Log: s.Log}.Middleware()
	e.POST(floorPath, func(c echo.Context) error {
		return c.Blob(http.StatusOK, "text/xml; charset=utf-8", []byte(doc))
	}, sig)
}

// loadCaller is a contact placing calls in a load run: one per worker, so
// that no contact has two PIN checks in flight (more than max_failures in
// flight would lock it).
type loadCaller struct {
	phone, pin string
}

func (h *harness) addCallers(n int) []loadCaller {
	h.t.Helper()
	out := make([]loadCaller, n)
	for i := range out {
		phone := fmt.Sprintf("+1555561%04d", i)
		_, pin := h.addContact(h.premium, fmt.Sprintf("Caller %d", i), phone)
		out[i] = loadCaller{phone: phone, pin: pin}
	}
	return out
}

// loadRunCall is call number i of a load run, from c: even calls are a
// Severity 1 that alice accepts, odd ones a Severity 2 left on voicemail
// (at saturdayNight).
func (h *harness) loadRunCall(i int, c loadCaller, client *http.Client) *twiliosim.Call {
	var call *twiliosim.Call
	if i%2 == 0 {
		call = h.call(c.phone, c.pin+"#", "1", "1")
		call.EngineerKeys[alicePhone] = "1"
	} else {
		call = h.call(c.phone, c.pin+"#", "2", fmt.Sprintf("Message %d#", i))
	}
	call.Client = client
	return call
}

// loadClient keeps a connection per concurrent call, as Twilio's many
// workers would, instead of http.DefaultClient's two idle connections.
func loadClient(concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 2*concurrency, 2*concurrency
	return &http.Client{Transport: tr}
}

// runLoad places n calls, concurrency at a time, and returns their results
// (in call order) and how long it took. With pace > 0 each call waits
// pace times the simulated time between its events (prompts being spoken,
// keys pressed, phones ringing), so that calls overlap as real calls do;
// with 0 each call fires its next webhook as soon as the last one answers.
func (h *harness) runLoad(ctx context.Context, n, concurrency int, callers []loadCaller, pace float64) ([]*twiliosim.Result, []error, time.Duration) {
	client := loadClient(concurrency)
	defer client.CloseIdleConnections()
	results := make([]*twiliosim.Result, n)
	errs := make([]error, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if pace > 0 {
				// Spread the first calls over about one call's length
				// rather than starting all of them in the same instant.
				time.Sleep(time.Duration(float64(w) / float64(concurrency) * float64(2*time.Minute) * pace))
			}
			for i := range jobs {
				call := h.loadRunCall(i, callers[w], client)
				if pace > 0 {
					var last time.Duration
					call.OnEntry = func(e twiliosim.Entry) {
						time.Sleep(time.Duration(float64(e.At-last) * pace))
						last = e.At
					}
				}
				results[i], errs[i] = call.Run(ctx)
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return results, errs, time.Since(start)
}

// 200 calls against PostgreSQL, 50 at a time, every one reaching its
// ticket: 200 tickets, one per CallSid, no failures, no error logs.
func TestLoad200ConcurrentCalls(t *testing.T) {
	db := storetest.Open(t, store.Postgres)
	h := newHarness(t, db)
	h.clock.Set(saturdayNight)
	const n, concurrency = 200, 50
	callers := h.addCallers(concurrency)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	results, errs, _ := h.runLoad(ctx, n, concurrency, callers, 0)

	sids := map[string]bool{}
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if res.Failure != nil {
			t.Errorf("call %d failed: %v\n%s", i, res.Failure, res)
			continue
		}
		for _, r := range res.Requests {
			if r.Status != http.StatusOK {
				t.Errorf("call %d: %s %s answered %d", i, r.Kind, r.URL, r.Status)
			}
		}
		heardAll(t, res, twiliosim.CallerLeg, "Your ticket number is")
		sids[res.CallSid] = true
	}
	if len(sids) != n {
		t.Errorf("%d distinct CallSids, want %d", len(sids), n)
	}
	if got := h.count("tickets", ""); got != n {
		t.Errorf("%d tickets, want %d", got, n)
	}
	var distinct, numbers int
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Get(ctx, &distinct, `SELECT count(DISTINCT call_sid) FROM tickets`); err != nil {
			return err
		}
		return tx.Get(ctx, &numbers, `SELECT count(DISTINCT number) FROM tickets`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if distinct != n || numbers != n {
		t.Errorf("%d distinct call_sids and %d distinct numbers on %d tickets", distinct, numbers, n)
	}
	if got := h.count("calls", "ticket_id IS NOT NULL AND status = 'completed'"); got != n {
		t.Errorf("%d completed calls with a ticket, want %d", got, n)
	}
	if got := h.count("calls", "outcome = ?", OutcomeConnected); got != n/2 {
		t.Errorf("%d connected calls, want %d", got, n/2)
	}
	if got := h.count("tickets", "responder = 'alice'"); got != n/2 {
		t.Errorf("%d tickets answered by alice, want %d", got, n/2)
	}
	if got := h.count("tickets", "recording_url <> ''"); got != n/2 {
		t.Errorf("%d tickets with a voicemail, want %d", got, n/2)
	}
	if got := h.count("outbox", ""); got != n/2 {
		t.Errorf("%d SMS queued, want %d (one per voicemail)", got, n/2)
	}
	h.assertNoSecretsInCalls()
}

// BenchmarkCall drives whole simulated calls, 100 at a time, against the
// phone line on PostgreSQL (SUPPORTLINE_TEST_POSTGRES): half a Severity 1
// accepted by the engineer, half a Severity 2 left on voicemail. It reports
// calls per second and the per-webhook round-trip latency (p50, p99) of
// every webhook but the PIN check, whose cost is the argon2 hash (set cheap
// here). The floor is the same server answering a fixed TwiML document
// behind the same middleware and signature check, requested as many times
// at the same concurrency.
//
// "saturated" sends each call's next webhook as soon as the last one
// answered: throughput, with latency that is mostly queueing (Little's law:
// 100 calls in flight / webhooks per second). "paced" runs the calls at
// 1/30 of their simulated duration (prompts, key presses, ringing), so 100
// calls are in progress together, as on a real line at a 30 times higher
// call rate: per-webhook latency under load rather than queueing.
// "realtime" (only with SUPPORTLINE_BENCH_REALTIME=1: it takes minutes)
// runs them at their simulated pace, 100 real calls in progress at once.
// "sequential" runs one call at a time: what each webhook costs without
// any contention. SUPPORTLINE_BENCH_ENGINE=sqlite measures the embedded
// default store instead.
//
//	SUPPORTLINE_TEST_POSTGRES=postgres://... go test -run '^$' -bench BenchmarkCall -benchtime 200x ./ivr/
func BenchmarkCall(b *testing.B) {
	modes := []struct {
		name string
		pace float64
	}{{"saturated", 0}, {"paced", 1.0 / 30}}
	if os.Getenv("SUPPORTLINE_BENCH_REALTIME") == "1" {
		modes = append(modes, struct {
			name string
			pace float64
		}{"realtime", 1})
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) { benchmarkCalls(b, 100, mode.pace) })
	}
	b.Run("sequential", func(b *testing.B) { benchmarkCalls(b, 1, 0) })
}

func benchmarkCalls(b *testing.B, concurrency int, pace float64) {
	engine := store.Postgres
	if os.Getenv("SUPPORTLINE_BENCH_ENGINE") == "sqlite" {
		engine = store.SQLite
	}
	db := storetest.Open(b, engine)
	h := newHarness(b, db)
	h.clock.Set(saturdayNight)
	callers := h.addCallers(concurrency)
	ctx := context.Background()

	b.ResetTimer()
	results, errs, elapsed := h.runLoad(ctx, b.N, concurrency, callers, pace)
	b.StopTimer()

	for i, res := range results {
		if errs[i] != nil {
			b.Fatalf("call %d: %v", i, errs[i])
		}
		if res.Failure != nil {
			b.Fatalf("call %d failed: %v\n%s", i, res.Failure, res)
		}
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	if b.N < 10 {
		return // the probe run Go makes before the real one
	}
	var all []time.Duration
	byKind := map[string][]time.Duration{}
	for _, res := range results {
		for _, r := range res.Requests {
			if r.Kind == "gather" && strings.Contains(r.URL, "s=pin") {
				continue // the PIN hash
			}
			all = append(all, r.Duration)
			kind := r.Kind
			if r.Leg != twiliosim.CallerLeg {
				kind = "engineer " + kind
			}
			byKind[kind] = append(byKind[kind], r.Duration)
		}
	}
	// The floor at the same concurrency and, when paced, the same request
	// rate.
	var gap time.Duration
	if pace > 0 {
		gap = elapsed * time.Duration(concurrency) / time.Duration(len(all))
	}
	floor, floorElapsed := h.floor(ctx, len(all), concurrency, gap)

	b.ReportMetric(ms(pct(all, 50)), "p50-ms")
	b.ReportMetric(ms(pct(all, 99)), "p99-ms")
	b.ReportMetric(ms(pct(floor, 50)), "floor-p50-ms")
	b.ReportMetric(ms(pct(floor, 99)), "floor-p99-ms")
	var lines []string
	for kind, ds := range byKind {
		lines = append(lines, fmt.Sprintf("  %-18s n=%-5d p50=%7.2fms p99=%7.2fms", kind, len(ds), ms(pct(ds, 50)), ms(pct(ds, 99))))
	}
	sort.Strings(lines)
	// Printed rather than logged: a benchmark's log is cut at a few lines.
	fmt.Printf("%s: %d calls, %d at a time, in %s; %d webhooks (PIN excluded); floor: %d requests in %s\n%s\n",
		b.Name(), b.N, concurrency, elapsed.Round(time.Millisecond), len(all), len(floor), floorElapsed.Round(time.Millisecond),
		strings.Join(lines, "\n"))
}

// floor sends n signed requests to the fixed document, concurrency at a
// time, each sender pausing gap between its requests, and returns their
// round-trip times.
func (h *harness) floor(ctx context.Context, n, concurrency int, gap time.Duration) ([]time.Duration, time.Duration) {
	client := loadClient(concurrency)
	defer client.CloseIdleConnections()
	out := make([]time.Duration, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if gap > 0 {
				time.Sleep(gap * time.Duration(w) / time.Duration(concurrency))
			}
			for i := range jobs {
				if gap > 0 {
					time.Sleep(gap)
				}
				form := callerForm(twiliosim.NewCallSid(), premiumPhone)
				req, err := twiliosim.NewRequest(ctx, h.ts.URL+floorPath, h.srv.PublicURL+floorPath, form, testToken)
				if err != nil {
					h.t.Error(err)
					return
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						h.t.Errorf("floor answered %d", resp.StatusCode)
					}
				}
				out[i] = time.Since(t0)
				if err != nil {
					h.t.Error(err)
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out, time.Since(start)
}

// pct is the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := (len(s)*p + 99) / 100
	return s[max(rank, 1)-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
