package pins

import (
	"context"
	"runtime"
)

// Pool bounds how many argon2id hashes run at once. Each hash allocates
// Params.MemoryKiB, so the live hashing memory of the whole process is at
// most Slots x MemoryKiB however many calls arrive (the heap may reach about
// twice that before the GC reclaims finished hashes). Beyond the slots,
// callers queue in arrival order, as Go channel senders do, instead of all
// slowing down together and exhausting memory. A Pool is safe for concurrent
// use.
type Pool struct {
	sem chan struct{}
}

// NewPool returns a Pool with slots concurrent hashes. slots <= 0 means
// runtime.GOMAXPROCS(0): with one-lane hashes, more slots than cores add
// memory and latency but no throughput.
func NewPool(slots int) *Pool {
	if slots <= 0 {
		slots = runtime.GOMAXPROCS(0)
	}
	return &Pool{sem: make(chan struct{}, slots)}
}

// Do waits for a free slot and runs fn in the calling goroutine. If ctx ends
// before a slot is free (or is already done), Do returns ctx.Err() and fn
// never runs: the verifier answers Busy and must not count an attempt, since
// no PIN was checked. Do returns nil once fn has run.
func (p *Pool) Do(ctx context.Context, fn func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.sem }()
	// The slot and the cancellation can arrive together; prefer the
	// cancellation so a caller who hung up does not cost a hash.
	if err := ctx.Err(); err != nil {
		return err
	}
	fn()
	return nil
}

// Slots returns the pool's capacity, for metrics and for sizing memory.
func (p *Pool) Slots() int { return cap(p.sem) }

// InUse returns how many slots are running fn right now, for metrics (a pool
// that is always full says raise slots or lower the cost).
func (p *Pool) InUse() int { return len(p.sem) }
