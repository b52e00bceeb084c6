package ivr

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// statusRetries records again, in the background, final status callbacks
// that the database refused (e.g. during a failover): Twilio never sends
// one twice. It is bounded (maxRetries at a time; beyond that the
// webhook fails as before) and stops with the server (Close).
type statusRetries struct {
	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	closed  bool
	pending int
	wg      sync.WaitGroup
	delays  []time.Duration // nil: retryDelays; tests shorten them
}

// maxRetries bounds the status callbacks waiting to be tried again.
const maxRetries = 256

// retryDelays are the waits before each new attempt: about two minutes in
// all, longer than a typical database failover.
var retryDelays = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
	15 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}

// start runs fn again after each delay until it succeeds, and reports
// whether it was taken (false when full or closed).
func (r *statusRetries) start(log *slog.Logger, callSid string, fn func(context.Context) error) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.pending >= maxRetries {
		return false
	}
	if r.ctx == nil {
		r.ctx, r.cancel = context.WithCancel(context.Background())
	}
	delays := r.delays
	if delays == nil {
		delays = retryDelays
	}
	r.pending++
	r.wg.Add(1)
	go func() {
		defer func() {
			r.mu.Lock()
			r.pending--
			r.mu.Unlock()
			r.wg.Done()
		}()
		var err error
		for i, d := range delays {
			last := i == len(delays)-1
			select {
			case <-time.After(d):
			case <-r.ctx.Done():
				last = true // shutting down: one last try, now
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err = fn(ctx)
			cancel()
			if err == nil {
				log.Info("status callback recorded", "call_sid", callSid, "tries", i+2)
				return
			}
			if last {
				log.Error("status callback not recorded", "call_sid", callSid, "tries", i+2, "err", err)
				return
			}
		}
	}()
	return true
}

// Close stops the retries waiting and waits for those running.
func (r *statusRetries) close() {
	r.mu.Lock()
	r.closed = true
	if r.cancel != nil {
		r.cancel()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// Close stops the server's background work (status callbacks being tried
// again); call it after the HTTP server has stopped and before the
// database closes.
func (s *Server) Close() { s.retries.close() }
