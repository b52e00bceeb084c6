package oncall

import (
	"context"
	"fmt"
	"sync"
	"time"

	"supportline/store"
)

// VersionColumn is the roster's version as a scalar subquery, for a SELECT
// list: a caller that reads it with the data it reads anyway learns for free
// whether its cached roster is current (see Rosters).
const VersionColumn = `(SELECT version FROM roster_version WHERE id = 1)`

// Version reads the roster's version. Every change to engineers, schedules,
// their members or overrides raises it (database triggers, migration 00007).
func Version(ctx context.Context, q store.Querier) (int64, error) {
	var v int64
	if err := q.Get(ctx, &v, `SELECT `+VersionColumn); err != nil {
		return 0, fmt.Errorf("read roster version: %w", err)
	}
	return v, nil
}

// Rosters keeps the roster last read, so that routing a call reads nothing
// while nobody changes engineers, schedules or overrides. Three queries with
// joins (about a millisecond on PostgreSQL) were most of the database work
// of the phone line's heaviest webhooks.
//
// The cached roster holds every schedule and engineer and the overrides
// that had not ended when it was read; a window at or after that instant
// is answered from it. The zero value is ready to use; it is safe for
// concurrent use.
type Rosters struct {
	mu     sync.Mutex
	cached *cachedRoster
}

type cachedRoster struct {
	version   int64
	from      time.Time  // holds every override ending after from
	overrides []Override // in Snapshot's order: by start, then id
	schedules map[string]Schedule
	engineers map[string]Engineer
}

// Snapshot is Snapshot(ctx, q, from, to) as of roster version `version`
// or later: the cached roster when it is that new and covers from, else
// one read through q (which is then cached). version is what the caller
// read (VersionColumn, Version); 0 reads without caching. q may be a
// transaction or statements outside one (a cache hit reads nothing, so it
// needs no transaction); a transaction must not itself have changed the
// roster: a version raised by a transaction that then rolls back could be
// raised again by another with different rows.
//
// The returned maps are shared: callers must not modify them.
func (c *Rosters) Snapshot(ctx context.Context, tx store.Querier, version int64, from, to time.Time) (Roster, error) {
	c.mu.Lock()
	cr := c.cached
	c.mu.Unlock()
	if version <= 0 {
		return Snapshot(ctx, tx, from, to)
	}
	if cr == nil || cr.version < version || from.Before(cr.from) {
		var err error
		if cr, err = c.load(ctx, tx, from); err != nil {
			return Roster{}, err
		}
	}
	r := Roster{Schedules: cr.schedules, Engineers: cr.engineers}
	for _, o := range cr.overrides {
		if !o.From.After(to) && o.To.After(from) {
			r.Overrides = append(r.Overrides, o)
		}
	}
	return r, nil
}

// load reads the version first and the roster after it: a change committed
// in between leaves the cache marked older than its rows, which costs one
// more read later, never a stale answer.
func (c *Rosters) load(ctx context.Context, tx store.Querier, from time.Time) (*cachedRoster, error) {
	version, err := Version(ctx, tx)
	if err != nil {
		return nil, err
	}
	cr := &cachedRoster{version: version, from: from,
		schedules: map[string]Schedule{}, engineers: map[string]Engineer{}}
	scheds, err := schedules(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, s := range scheds {
		cr.schedules[s.Name] = s.Schedule
	}
	os, err := overrides(ctx, tx, "o.ends_at > ?", from)
	if err != nil {
		return nil, err
	}
	cr.overrides = plain(os)
	engs, err := engineers(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, e := range engs {
		cr.engineers[e.Handle] = e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Keep the newest; of two reads of one version, the one covering more.
	if old := c.cached; old == nil || old.version < cr.version ||
		(old.version == cr.version && cr.from.Before(old.from)) {
		c.cached = cr
	}
	return cr, nil
}
