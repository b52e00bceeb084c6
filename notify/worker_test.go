package notify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"supportline/store"
	"supportline/store/storetest"
)

var discard = slog.New(slog.DiscardHandler)

func tick(t *testing.T, w *Worker) (sent, failed int) {
	t.Helper()
	sent, failed, err := w.Tick(context.Background())
	if err != nil {
		t.Fatalf("Tick: %v", err)
	}
	return sent, failed
}

func wantTick(t *testing.T, w *Worker, sent, failed int) {
	t.Helper()
	if s, f := tick(t, w); s != sent || f != failed {
		t.Fatalf("Tick = %d sent, %d failed; want %d, %d", s, f, sent, failed)
	}
}

var warning = Message{EventKey: "ticket:100123:warning", To: "+17205550111", Body: "Ticket 100123 (Acme, Severity 1): no response yet, due 16:00Z"}

func TestWorkerRetriesServerErrorThenSendsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := storetest.ClockOf(db)
		fake := newFakeTwilio(t)
		fake.then(fakeAnswer{status: 500, code: 20500, msg: "Internal Server Error"})
		w := &Worker{DB: db, Sender: fake.sender(t), Log: discard}
		mustEnqueue(t, db, warning)

		wantTick(t, w, 0, 0)
		r := onlyRow(t, db)
		if r.Status != Pending || r.Attempts != 1 || !r.NextAttemptAt.Equal(clock.Now().Add(10*time.Second)) ||
			r.ErrorCode == nil || *r.ErrorCode != 20500 || r.Error != "Internal Server Error" || r.ClaimedUntil != nil {
			t.Fatalf("after the 500: %+v", r)
		}
		// Not due yet: nothing goes out.
		clock.Advance(9 * time.Second)
		wantTick(t, w, 0, 0)
		if n := len(fake.seen()); n != 1 {
			t.Fatalf("fake saw %d requests before the backoff ended, want 1", n)
		}
		clock.Advance(time.Second)
		wantTick(t, w, 1, 0)
		r = onlyRow(t, db)
		if r.Status != Sent || r.Attempts != 2 || r.ProviderSID != fakeSid(2) || r.SentAt == nil || !r.SentAt.Equal(clock.Now()) ||
			r.ErrorCode != nil || r.Error != "" || r.ClaimedUntil != nil {
			t.Fatalf("after the 201: %+v", r)
		}
		clock.Advance(time.Hour)
		wantTick(t, w, 0, 0)
		if got := fake.deliveries(warning.Body); got != 1 || len(fake.seen()) != 2 {
			t.Fatalf("delivered %d times in %d requests, want once in 2", got, len(fake.seen()))
		}
	})
}

func TestWorkerFailsAtOnceOnClientError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := storetest.ClockOf(db)
		fake := newFakeTwilio(t)
		fake.then(fakeAnswer{status: 400, code: 21211, msg: "Invalid 'To' Phone Number"})
		var logs bytes.Buffer
		w := &Worker{DB: db, Sender: fake.sender(t), Log: slog.New(slog.NewTextHandler(&logs, nil))}
		mustEnqueue(t, db, warning)

		wantTick(t, w, 0, 1)
		r := onlyRow(t, db)
		if r.Status != Failed || r.Attempts != 1 || r.ErrorCode == nil || *r.ErrorCode != 21211 ||
			r.Error != "Invalid 'To' Phone Number" || r.SentAt != nil || r.ClaimedUntil != nil {
			t.Fatalf("after the 400: %+v", r)
		}
		clock.Advance(24 * time.Hour)
		wantTick(t, w, 0, 0)
		if n := len(fake.seen()); n != 1 {
			t.Fatalf("fake saw %d requests, want 1 (no retry after a 400)", n)
		}
		if !strings.Contains(logs.String(), "error_code=21211") {
			t.Fatalf("log lacks the error code: %s", logs.String())
		}
	})
}

func TestWorkerRetriesNetworkErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := storetest.ClockOf(db)
		fake := newFakeTwilio(t)
		fake.then(fakeAnswer{drop: true})
		w := &Worker{DB: db, Sender: fake.sender(t), Log: discard}
		mustEnqueue(t, db, warning)

		wantTick(t, w, 0, 0)
		r := onlyRow(t, db)
		if r.Status != Pending || r.Attempts != 1 || r.ErrorCode != nil || r.Error == "" {
			t.Fatalf("after the dropped connection: %+v", r)
		}
		clock.Advance(DefaultBackoff(1))
		wantTick(t, w, 1, 0)
		if r := onlyRow(t, db); r.Status != Sent || fake.deliveries(warning.Body) != 1 {
			t.Fatalf("after the retry: %+v, delivered %d", r, fake.deliveries(warning.Body))
		}
	})
}

func TestWorkerGivesUpAfterMaxAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := storetest.ClockOf(db)
		fake := newFakeTwilio(t)
		unavailable := fakeAnswer{status: 503, code: 20503, msg: "Service Unavailable"}
		fake.then(unavailable, unavailable, unavailable)
		w := &Worker{DB: db, Sender: fake.sender(t), Log: discard, MaxAttempts: 3}
		mustEnqueue(t, db, warning)

		for attempt := 1; attempt <= 2; attempt++ {
			wantTick(t, w, 0, 0)
			r := onlyRow(t, db)
			if r.Status != Pending || r.Attempts != attempt || !r.NextAttemptAt.Equal(clock.Now().Add(DefaultBackoff(attempt))) {
				t.Fatalf("after attempt %d: %+v", attempt, r)
			}
			clock.Set(r.NextAttemptAt)
		}
		wantTick(t, w, 0, 1)
		r := onlyRow(t, db)
		if r.Status != Failed || r.Attempts != 3 || r.ErrorCode == nil || *r.ErrorCode != 20503 {
			t.Fatalf("after the last attempt: %+v", r)
		}
		clock.Advance(24 * time.Hour)
		wantTick(t, w, 0, 0)
		if n := len(fake.seen()); n != 3 {
			t.Fatalf("fake saw %d requests, want 3", n)
		}
	})
}

func TestDefaultBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{
		0: 10 * time.Second, 1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second,
		6: 320 * time.Second, 7: 10 * time.Minute, 8: 10 * time.Minute, 100: 10 * time.Minute,
	} {
		if got := DefaultBackoff(attempt); got != want {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", attempt, got, want)
		}
	}
}

// hangingSender stands for a worker that dies between claim and send: its
// Send never gets to the provider until released.
type hangingSender struct {
	started chan struct{}
	release chan string
	once    sync.Once
}

func (h *hangingSender) Send(ctx context.Context, to, body string) (string, error) {
	h.once.Do(func() { close(h.started) })
	select {
	case sid := <-h.release:
		return sid, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("gave up waiting for %s", what)
	}
}

func TestExpiredClaimIsSentOnceByAnotherWorker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := storetest.ClockOf(db)
		mustEnqueue(t, db, warning)
		hung := &hangingSender{started: make(chan struct{}), release: make(chan string)}
		dead := &Worker{DB: db, Sender: hung, Log: discard, ClaimFor: time.Minute}
		type result struct{ sent, failed int }
		deadDone := make(chan result, 1)
		go func() {
			s, f, err := dead.Tick(context.Background())
			if err != nil {
				t.Errorf("dead worker's Tick: %v", err)
			}
			deadDone <- result{s, f}
		}()
		waitFor(t, hung.started, "the claim")
		claimedAt := clock.Now()
		r := onlyRow(t, db)
		if r.Status != Sending || r.Attempts != 1 || r.ClaimedUntil == nil || !r.ClaimedUntil.Equal(claimedAt.Add(time.Minute)) {
			t.Fatalf("claimed row: %+v", r)
		}

		fake := newFakeTwilio(t)
		alive := &Worker{DB: db, Sender: fake.sender(t), Log: discard, ClaimFor: time.Minute}
		wantTick(t, alive, 0, 0) // the claim holds
		clock.Advance(time.Minute)
		wantTick(t, alive, 0, 0) // still holds at its last instant
		clock.Advance(time.Second)
		wantTick(t, alive, 1, 0) // expired: taken over and sent
		clock.Advance(time.Hour)
		wantTick(t, alive, 0, 0)
		if got := fake.deliveries(warning.Body); got != 1 {
			t.Fatalf("delivered %d times, want 1", got)
		}

		// The dead worker comes back and reports success: its stale claim
		// must not overwrite the row the live worker recorded.
		hung.release <- "SMstale"
		if res := <-deadDone; res.sent != 0 || res.failed != 0 {
			t.Fatalf("stale worker counted %+v", res)
		}
		r = onlyRow(t, db)
		if r.Status != Sent || r.Attempts != 2 || r.ProviderSID != fakeSid(1) {
			t.Fatalf("after the stale outcome: %+v", r)
		}
	})
}

func TestStaleWorkerCannotRecordOverANewClaim(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := storetest.ClockOf(db)
		mustEnqueue(t, db, warning)
		tickIn := func(w *Worker) <-chan int {
			out := make(chan int, 1)
			go func() {
				s, _, err := w.Tick(context.Background())
				if err != nil {
					t.Errorf("Tick: %v", err)
				}
				out <- s
			}()
			return out
		}
		slow := &hangingSender{started: make(chan struct{}), release: make(chan string)}
		slowDone := tickIn(&Worker{DB: db, Sender: slow, Log: discard, ClaimFor: time.Minute})
		waitFor(t, slow.started, "the first claim")
		clock.Advance(time.Minute + time.Second)
		next := &hangingSender{started: make(chan struct{}), release: make(chan string)}
		nextDone := tickIn(&Worker{DB: db, Sender: next, Log: discard, ClaimFor: time.Minute})
		waitFor(t, next.started, "the second claim")

		// The first worker's send returns while the second one holds the row.
		slow.release <- "SMfirst"
		if n := <-slowDone; n != 0 {
			t.Fatalf("the stale worker counted %d sent", n)
		}
		if r := onlyRow(t, db); r.Status != Sending || r.Attempts != 2 || r.ProviderSID != "" {
			t.Fatalf("the stale outcome was recorded over the new claim: %+v", r)
		}
		next.release <- "SMsecond"
		if n := <-nextDone; n != 1 {
			t.Fatalf("the claim holder counted %d sent", n)
		}
		if r := onlyRow(t, db); r.Status != Sent || r.ProviderSID != "SMsecond" {
			t.Fatalf("row: %+v", r)
		}
	})
}

func TestStoppingHandsUnsentClaimsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		mustEnqueue(t, db, warning)
		hung := &hangingSender{started: make(chan struct{}), release: make(chan string)}
		w := &Worker{DB: db, Sender: hung, Log: discard}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			w.Run(ctx)
		}()
		waitFor(t, hung.started, "the claim")
		cancel()
		waitFor(t, done, "Run to return")
		r := onlyRow(t, db)
		if r.Status != Pending || r.Attempts != 0 || r.ClaimedUntil != nil {
			t.Fatalf("after stopping mid-send: %+v", r)
		}
		// The next worker sends it at once, as a first attempt.
		fake := newFakeTwilio(t)
		wantTick(t, &Worker{DB: db, Sender: fake.sender(t), Log: discard}, 1, 0)
		if r := onlyRow(t, db); r.Status != Sent || r.Attempts != 1 {
			t.Fatalf("after restart: %+v", r)
		}
	})
}

func TestWorkersSharingADatabaseSendEachRowOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const rows, workers = 200, 4
		msgs := make([]Message, rows)
		for i := range msgs {
			msgs[i] = Message{EventKey: fmt.Sprintf("ticket:%d:warning", 100001+i), To: "+17205550111", Body: fmt.Sprintf("message %03d", i)}
		}
		mustEnqueue(t, db, msgs...)
		fake := newFakeTwilio(t)
		start := make(chan struct{})
		var wg sync.WaitGroup
		sentBy := make([]int, workers)
		for i := range workers {
			// Each worker has its own sender (HTTP client), like a replica.
			w := &Worker{DB: db, Sender: fake.sender(t), Log: discard, BatchSize: 5}
			wg.Go(func() {
				<-start
				s, f, err := w.Tick(context.Background())
				if err != nil || f != 0 {
					t.Errorf("worker %d: %d failed, %v", i, f, err)
				}
				sentBy[i] = s
			})
		}
		close(start)
		wg.Wait()

		total := 0
		for _, s := range sentBy {
			total += s
		}
		t.Logf("sent per worker: %v", sentBy)
		if total != rows {
			t.Errorf("workers report %d sent, want %d", total, rows)
		}
		got := fake.deliveredBodies()
		for _, m := range msgs {
			if got[m.Body] != 1 {
				t.Errorf("%q delivered %d times", m.Body, got[m.Body])
			}
		}
		if n := len(fake.seen()); n != rows {
			t.Errorf("fake saw %d requests, want %d", n, rows)
		}
		sids := map[string]bool{}
		for _, r := range allRows(t, db) {
			if r.Status != Sent || r.Attempts != 1 || sids[r.ProviderSID] {
				t.Errorf("row %d: %s, %d attempts, sid %s (seen before: %v)", r.ID, r.Status, r.Attempts, r.ProviderSID, sids[r.ProviderSID])
			}
			sids[r.ProviderSID] = true
		}
	})
}

func TestWorkerWithLogSender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		mustEnqueue(t, db, warning)
		wantTick(t, &Worker{DB: db, Sender: &LogSender{Log: log}, Log: log}, 1, 0)
		if r := onlyRow(t, db); r.Status != Sent || r.ProviderSID != "" {
			t.Fatalf("row: %+v", r)
		}
		for _, want := range []string{"to=+17205550111", "event=ticket:100123:warning", `body="` + warning.Body + `"`} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %s: %s", want, logs.String())
			}
		}
	})
}
