package feeds

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"supportline/auth"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/store"
)

// ErrNoFeed is the error of every token that shows nothing: malformed,
// unknown or revoked, told apart nowhere (the public listener answers 404
// to all of them alike).
var ErrNoFeed = errcode.New(errcode.NotFound, "no such feed")

// fetchedEvery is how often a feed's last fetch is written at most: a
// calendar application polling every few minutes must not make each
// fetch a write.
const fetchedEvery = time.Minute

// Calendar is the iCalendar document of the feed whose token is token, for
// the window around now (Back to Ahead), and the feed itself. A token that
// is not the shape of one is refused before any lookup; an unknown or
// revoked one after the same indexed lookup and constant-time compare as
// a valid one: either is [ErrNoFeed]. It records the feed's last fetch, at
// most once a minute and with lax durability (losing one is harmless).
func (s *Service) Calendar(ctx context.Context, token string) (Feed, []byte, error) {
	f, err := s.lookup(ctx, token)
	if err != nil {
		return Feed{}, nil, err
	}
	var doc string
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		// Every override, not only the window's: an old override that a
		// newer one cut can still bound the shift in force at the window's
		// start, and oncall's own answers read them all.
		r, err := oncall.Snapshot(ctx, tx, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return err
		}
		from, to := tx.Now.Add(-Back), tx.Now.Add(Ahead)
		var shifts []shift
		var title string
		switch {
		case f.Schedule != nil:
			shifts, title = shiftsOf(r, *f.Schedule, "", from, to), "On call: "+*f.Schedule
		case f.Engineer != nil:
			shifts, title = shiftsOf(r, "", *f.Engineer, from, to), "On call: "+*f.Engineer
		default:
			return fmt.Errorf("feed %d shows neither a schedule nor an engineer", f.ID)
		}
		doc = render(title+" (Supportline)", tx.Now, shifts)
		return nil
	})
	if err != nil {
		return Feed{}, nil, err
	}
	return f, []byte(doc), nil
}

// lookup finds the feed of token, and records its fetch.
func (s *Service) lookup(ctx context.Context, token string) (Feed, error) {
	if !auth.WellFormed(token, Prefix) {
		return Feed{}, ErrNoFeed
	}
	want := auth.HashSecret(token)
	var row struct {
		Feed
		Hash    string     `db:"hash"`
		Revoked *time.Time `db:"revoked_at"`
	}
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		// Looking the hash up by index leaks nothing worth having: timing
		// could at most tell a SHA-256 prefix of a guess, not of a token.
		// The compare below is constant-time all the same.
		err := q.Get(ctx, &row, `SELECT `+feedColumns+`, f.hash, f.revoked_at`+feedJoins+` WHERE f.hash = ?`, want)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoFeed
		}
		if err != nil {
			return fmt.Errorf("look up feed: %w", err)
		}
		if !auth.EqualHash(row.Hash, want) || row.Revoked != nil {
			return ErrNoFeed
		}
		stale := q.At().Add(-fetchedEvery)
		if row.LastFetched != nil && row.LastFetched.After(stale) {
			return nil
		}
		// The condition again, for a replica that recorded it meanwhile.
		if _, err := q.Exec(ctx, `UPDATE feed_tokens SET last_fetched_at = ? WHERE id = ? AND (last_fetched_at IS NULL OR last_fetched_at <= ?)`,
			q.At(), row.ID, stale); err != nil {
			return fmt.Errorf("record fetch of feed %s: %w", row.Name, err)
		}
		return nil
	}, store.Lax)
	if err != nil {
		return Feed{}, err
	}
	row.Feed.utc()
	return row.Feed, nil
}
