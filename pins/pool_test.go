package pins

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The pool tests run in synctest bubbles: time is fake (sleeps are free and
// deterministic), synctest.Wait lets a test know every goroutine is parked,
// and synctest.Test fails if any goroutine is left blocked at the end, which
// is the goroutine-leak check.

func TestNewPoolSlots(t *testing.T) {
	for _, tt := range []struct{ in, want int }{
		{0, runtime.GOMAXPROCS(0)}, {-3, runtime.GOMAXPROCS(0)}, {1, 1}, {5, 5},
	} {
		if got := NewPool(tt.in).Slots(); got != tt.want {
			t.Errorf("NewPool(%d).Slots() = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestPoolBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const slots, callers = 3, 100
		pool := NewPool(slots)
		var running, peak, ran atomic.Int64
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				err := pool.Do(t.Context(), func() {
					n := running.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					time.Sleep(time.Millisecond)
					running.Add(-1)
					ran.Add(1)
				})
				if err != nil {
					t.Errorf("Do: %v", err)
				}
			})
		}
		wg.Wait()
		if got := peak.Load(); got != slots {
			t.Errorf("peak concurrent fn = %d, want exactly %d", got, slots)
		}
		if got := ran.Load(); got != callers {
			t.Errorf("fn ran %d times, want %d", got, callers)
		}
		if got := pool.InUse(); got != 0 {
			t.Errorf("InUse after all done = %d, want 0", got)
		}
	})
}

// fill occupies every slot of pool with a fn blocked until release is
// closed, and waits until they are all running.
func fill(t *testing.T, pool *Pool, release <-chan struct{}) {
	t.Helper()
	for range pool.Slots() {
		go func() { _ = pool.Do(context.Background(), func() { <-release }) }()
	}
	synctest.Wait()
	if got := pool.InUse(); got != pool.Slots() {
		t.Fatalf("InUse = %d after filling, want %d", got, pool.Slots())
	}
}

func TestPoolWaiterGivesUp(t *testing.T) {
	tests := []struct {
		name     string
		deadline bool // else the caller cancels
		want     error
	}{
		{"cancelled while waiting", false, context.Canceled},
		{"deadline while waiting", true, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pool := NewPool(2)
				release := make(chan struct{})
				fill(t, pool, release)

				var ctx context.Context
				var cancel, end context.CancelFunc
				if tt.deadline {
					// Fake time reaches the deadline once every goroutine,
					// this one included, is blocked.
					ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
					end = func() {}
				} else {
					ctx, cancel = context.WithCancel(context.Background())
					end = cancel
				}
				defer cancel()
				var ran atomic.Bool
				errc := make(chan error, 1)
				go func() { errc <- pool.Do(ctx, func() { ran.Store(true) }) }()
				synctest.Wait() // the waiter is parked on the full pool
				end()

				// The slots are still held: receiving at all proves the
				// waiter did not wait for one.
				err := <-errc
				if !errors.Is(err, tt.want) {
					t.Errorf("Do = %v, want %v", err, tt.want)
				}
				if ran.Load() {
					t.Error("fn ran for a waiter whose context ended")
				}
				if got := pool.InUse(); got != 2 {
					t.Errorf("InUse = %d, want 2 (the waiter took no slot)", got)
				}
				close(release)
				synctest.Wait()
				if got := pool.InUse(); got != 0 {
					t.Errorf("InUse after release = %d, want 0", got)
				}
			})
		})
	}
}

func TestPoolDoneContextSkipsFreeSlot(t *testing.T) {
	pool := NewPool(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := pool.Do(ctx, func() { ran = true }); !errors.Is(err, context.Canceled) {
		t.Errorf("Do = %v, want context.Canceled", err)
	}
	if ran {
		t.Error("fn ran with a cancelled context")
	}
}

func TestPoolPanicReleasesSlot(t *testing.T) {
	pool := NewPool(1)
	func() {
		defer func() { _ = recover() }()
		_ = pool.Do(context.Background(), func() { panic("boom") })
	}()
	if got := pool.InUse(); got != 0 {
		t.Fatalf("InUse after panicking fn = %d, want 0", got)
	}
	ran := false
	if err := pool.Do(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Errorf("Do after panic = %v, ran=%v", err, ran)
	}
}
