// Package feeds is the calendar feeds of the on-call shifts: the secret
// tokens of their URLs (created with their text shown once, only a hash
// stored, listed, revoked) and the iCalendar (RFC 5545) rendering of a
// schedule's shifts, or of one engineer's across every schedule, from four
// weeks back to twelve weeks ahead with overrides applied, as oncall
// answers them. Calendar applications fetch a feed from the internet, so
// it is served on the public listener at an unguessable URL
// (/ical/slf_....ics, see [Handler]); whoever holds the URL sees the
// shifts, and revoking it makes it answer 404 like a URL that never was.
package feeds

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"supportline/audit"
	"supportline/auth"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/store"
)

// Service keeps feed tokens in the database and renders their calendars
// from the roster. Build it as a literal with every field set.
type Service struct {
	DB *store.DB
	// OnCall resolves the schedule or engineer a new feed is for.
	OnCall *oncall.Service
	// PublicURL is the base URL the public (Twilio) listener is reached at
	// (SUPPORTLINE_PUBLIC_URL, no trailing slash): [Service.URL] puts a
	// feed's path after it. Empty, URL gives the path alone.
	PublicURL string
}

// Prefix starts every feed token, so that one pasted where it should not
// be is recognisable (and scannable) as a Supportline feed's secret. 256
// random bits follow it (auth.NewSecret), twice the 128 the issue asks for.
const Prefix = "slf_"

// Feed is a feed token as [Service.List] shows it: never its text or hash.
type Feed struct {
	ID   int64  `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
	// Schedule is the schedule whose shifts the feed shows; nil for an
	// engineer's feed.
	Schedule *string `db:"schedule" json:"schedule,omitempty"`
	// Engineer is the handle whose shifts (in every schedule) the feed
	// shows; nil for a schedule's feed.
	Engineer    *string    `db:"engineer" json:"engineer,omitempty"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
	CreatedBy   string     `db:"created_by" json:"created_by"`
	LastFetched *time.Time `db:"last_fetched_at" json:"last_fetched_at"`
}

// Shows says in words what the feed shows: "schedule primary" or
// "engineer alice".
func (f Feed) Shows() string {
	switch {
	case f.Schedule != nil:
		return "schedule " + *f.Schedule
	case f.Engineer != nil:
		return "engineer " + *f.Engineer
	}
	return "nothing"
}

// NewFeed is the input of [Service.Create]: one of Schedule and Engineer.
type NewFeed struct {
	// Name tells feeds apart in lists and in revoke; empty means the
	// schedule's name or the engineer's handle.
	Name     string
	Schedule string
	Engineer string
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,39}$`)

// Path is where the feed of token is served, from the public listener's
// root.
func Path(token string) string { return "/ical/" + token + ".ics" }

// URL is the address a calendar application subscribes to for token.
func (s *Service) URL(token string) string {
	return strings.TrimRight(s.PublicURL, "/") + Path(token)
}

// Create stores a new feed and returns it with its token, which is shown
// this once (put it in a URL with [Service.URL]): only its SHA-256 is
// stored.
func (s *Service) Create(ctx context.Context, actor string, n NewFeed) (Feed, string, error) {
	n.Name, n.Schedule, n.Engineer = strings.TrimSpace(n.Name), strings.TrimSpace(n.Schedule), strings.TrimSpace(n.Engineer)
	if (n.Schedule == "") == (n.Engineer == "") {
		return Feed{}, "", errcode.New(errcode.Invalid, "a feed shows one schedule or one engineer: name one of them")
	}
	if n.Name == "" {
		n.Name = n.Schedule + n.Engineer
	}
	if !nameRE.MatchString(n.Name) {
		return Feed{}, "", errcode.WithField(errcode.Errorf(errcode.Invalid, "a feed name is 1 to 40 of a-z, 0-9, '.', '-' and '_', starting with a letter, not %q", n.Name), "name")
	}
	var scheduleID *int64
	if n.Schedule != "" {
		// Read before the transaction: oncall opens its own. Should the
		// schedule go meanwhile, the foreign key refuses the insert.
		sch, err := s.OnCall.Schedule(ctx, n.Schedule)
		if err != nil {
			return Feed{}, "", errcode.WithField(err, "schedule")
		}
		scheduleID = &sch.ID
	}
	text, err := auth.NewSecret(Prefix)
	if err != nil {
		return Feed{}, "", err
	}
	var out Feed
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var engineerID *int64
		if n.Engineer != "" {
			e, err := s.OnCall.EngineerTx(ctx, tx, n.Engineer)
			if err != nil {
				return errcode.WithField(err, "engineer")
			}
			engineerID = &e.ID
		}
		out = Feed{Name: n.Name, CreatedAt: tx.Now, CreatedBy: actor}
		if scheduleID != nil {
			out.Schedule = &n.Schedule
		} else {
			out.Engineer = &n.Engineer
		}
		id, err := tx.Insert(ctx, `INSERT INTO feed_tokens (name, schedule_id, engineer_id, hash, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?)`, out.Name, scheduleID, engineerID, auth.HashSecret(text), out.CreatedAt, actor)
		// A name in use by a feed not revoked is refused by the partial
		// unique index (feed_tokens_live_name), which also settles two
		// creates racing for one name; the hash is unique too, but 256
		// random bits do not collide.
		if store.IsUniqueViolation(err) {
			return conflictName(n.Name)
		}
		if err != nil {
			return fmt.Errorf("insert feed %s: %w", n.Name, err)
		}
		out.ID = id
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "feed.create", Subject: "feed " + out.Name, Result: "ok",
			Detail: fmt.Sprintf("id %d, %s", out.ID, out.Shows())})
	})
	if err != nil {
		return Feed{}, "", err
	}
	return out, text, nil
}

func conflictName(name string) error {
	return errcode.WithField(errcode.Errorf(errcode.Conflict, "a feed named %s exists; choose another name or revoke it first (supportline feed revoke %s)", name, name), "name")
}

const feedColumns = `f.id, f.name, s.name AS schedule, e.handle AS engineer, f.created_at, f.created_by, f.last_fetched_at`

// feedJoins name a feed's schedule and engineer; the rows are theirs
// (oncall's), read here only for their names, as auth's tokens read an
// engineer's handle.
const feedJoins = ` FROM feed_tokens f LEFT JOIN schedules s ON s.id = f.schedule_id LEFT JOIN engineers e ON e.id = f.engineer_id`

// List returns the feeds not revoked, by name.
func (s *Service) List(ctx context.Context) ([]Feed, error) {
	out := []Feed{}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Select(ctx, &out, `SELECT `+feedColumns+feedJoins+` WHERE f.revoked_at IS NULL ORDER BY f.name`); err != nil {
			return fmt.Errorf("list feeds: %w", err)
		}
		for i := range out {
			out[i].utc()
		}
		return nil
	})
	return out, err
}

func (f *Feed) utc() {
	f.CreatedAt = f.CreatedAt.UTC()
	if f.LastFetched != nil {
		t := f.LastFetched.UTC()
		f.LastFetched = &t
	}
}

// Revoke stops the feed named by ref (its ID, or its name) from answering,
// at once and for good, frees its name, and returns it. No such feed, or
// one already revoked, is an errcode.NotFound error.
func (s *Service) Revoke(ctx context.Context, actor, ref string) (Feed, error) {
	ref = strings.TrimSpace(ref)
	where, arg := "f.name = ?", any(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		where, arg = "f.id = ?", id
	} else if !nameRE.MatchString(ref) {
		return Feed{}, notFound(ref)
	}
	var out Feed
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var rows []Feed
		if err := tx.Select(ctx, &rows, `SELECT `+feedColumns+feedJoins+` WHERE `+where+` AND f.revoked_at IS NULL`, arg); err != nil {
			return fmt.Errorf("look up feed %s: %w", ref, err)
		}
		if len(rows) == 0 {
			return notFound(ref)
		}
		out = rows[0]
		out.utc()
		// The condition again: of two revokes at once, one finds nothing.
		res, err := tx.Exec(ctx, `UPDATE feed_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, tx.Now, out.ID)
		if err != nil {
			return fmt.Errorf("revoke feed %s: %w", out.Name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("revoke feed %s: %w", out.Name, err)
		} else if n == 0 {
			return notFound(ref)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "feed.revoke", Subject: "feed " + out.Name, Result: "ok",
			Detail: fmt.Sprintf("id %d, %s", out.ID, out.Shows())})
	})
	return out, err
}

func notFound(ref string) error {
	return errcode.Errorf(errcode.NotFound, "no feed %q (supportline feed list shows them by ID and name)", ref)
}
