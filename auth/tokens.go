// Package auth is who may use the admin surface and what they may do: the
// API tokens of the admin HTTP API ([Tokens]: created with their text shown
// once, only a hash stored, listed, revoked, turned into a [Principal]),
// the console's users and sessions ([Users]), and the one rule of who may
// do what ([Role.Allows], [Principal.MayOverride]) that every face asks.
package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"supportline/audit"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/store"
)

// Prefix starts every token's text, so that a token pasted where it should
// not be (a log, a ticket, a repository) is recognisable and scannable.
const Prefix = "slt_"

// secretBytes is how many random bytes follow the prefix: 256 bits, twice
// the 128 the issue asks for.
const secretBytes = 32

// Lifetimes of a token.
const (
	DefaultTTL = 90 * 24 * time.Hour
	MaxTTL     = 365 * 24 * time.Hour
	MinTTL     = time.Hour
)

// Tokens creates, lists, revokes and authenticates tokens. Build it as a
// literal with every field set.
type Tokens struct {
	DB *store.DB
	// Engineers checks, inside the creating transaction, that an engineer
	// token's engineer exists.
	Engineers *oncall.Service
}

// Token is a stored token as [Tokens.List] shows it: never its text or
// hash.
type Token struct {
	ID         int64      `db:"id" json:"-"`
	Name       string     `db:"name" json:"name"`
	Role       Role       `db:"role" json:"role"`
	Engineer   *string    `db:"engineer" json:"engineer,omitempty"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	CreatedBy  string     `db:"created_by" json:"created_by"`
	ExpiresAt  time.Time  `db:"expires_at" json:"expires_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
	// Expired is whether ExpiresAt has passed, by the database clock.
	Expired bool `db:"-" json:"expired"`
}

// NewToken is the input of [Tokens.Create].
type NewToken struct {
	Name string
	Role Role
	// Engineer is the handle an Engineer token acts for; required for
	// that role and refused for the others.
	Engineer string
	// TTL is how long the token works; 0 means DefaultTTL.
	TTL time.Duration
}

var nameRE = regexp.MustCompile(`^[a-z0-9._-]{1,40}$`)

// ParseTTL reads a lifetime as --expires takes it: a number of days
// ("90d") or a Go duration in hours or minutes ("12h", "90m"), from MinTTL
// to MaxTTL.
func ParseTTL(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := errcode.Errorf(errcode.Invalid, "expiry must be a lifetime such as 90d, 12h or 365d, not %q", s)
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 100000 {
			return 0, bad
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if err := checkTTL(d); err != nil {
		return 0, err
	}
	return d, nil
}

func checkTTL(d time.Duration) error {
	if d < MinTTL || d > MaxTTL {
		return errcode.Errorf(errcode.Invalid, "a token works for at least 1h and at most 365d, not %s", lifetime(d))
	}
	return nil
}

// lifetime writes d as --expires takes it: whole days as "90d".
func lifetime(d time.Duration) string {
	if day := 24 * time.Hour; d%day == 0 && d != 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String() // 1h30m0s
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Create stores a new token and returns it with its text, which is shown
// this once: only its SHA-256 is stored.
func (s *Tokens) Create(ctx context.Context, actor string, n NewToken) (Token, string, error) {
	n.Name = strings.TrimSpace(n.Name)
	n.Engineer = strings.TrimSpace(n.Engineer)
	if !nameRE.MatchString(n.Name) {
		return Token{}, "", errcode.Errorf(errcode.Invalid, "a token name is 1 to 40 of a-z, 0-9, '.', '-' and '_', not %q", n.Name)
	}
	if err := checkRole(n.Role, n.Engineer, "token"); err != nil {
		return Token{}, "", err
	}
	if n.TTL == 0 {
		n.TTL = DefaultTTL
	}
	if err := checkTTL(n.TTL); err != nil {
		return Token{}, "", err
	}
	text, err := newText()
	if err != nil {
		return Token{}, "", err
	}
	var out Token
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var engineerID *int64
		if n.Role == Engineer {
			e, err := s.Engineers.EngineerTx(ctx, tx, n.Engineer)
			if err != nil {
				return errcode.WithField(err, "engineer")
			}
			engineerID = &e.ID
		}
		out = Token{Name: n.Name, Role: n.Role, CreatedAt: tx.Now, CreatedBy: actor, ExpiresAt: tx.Now.Add(n.TTL)}
		if engineerID != nil {
			out.Engineer = &n.Engineer
		}
		id, err := tx.Insert(ctx, `INSERT INTO api_tokens (name, role, engineer_id, hash, created_at, created_by, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, out.Name, string(out.Role), engineerID, HashSecret(text), out.CreatedAt, actor, out.ExpiresAt)
		if store.IsUniqueViolation(err) { // api_tokens_live_name: a name is unique among tokens not revoked
			return errcode.Errorf(errcode.Conflict, "a token named %s exists; revoke it first (supportline token revoke %s) or choose another name", n.Name, n.Name)
		}
		if err != nil {
			return fmt.Errorf("insert token %s: %w", n.Name, err)
		}
		out.ID = id
		detail := fmt.Sprintf("role %s, expires %s", out.Role, out.ExpiresAt.UTC().Format(time.RFC3339))
		if out.Engineer != nil {
			detail += ", engineer " + *out.Engineer
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "token.create", Subject: "token " + out.Name, Result: "ok", Detail: detail})
	})
	if err != nil {
		return Token{}, "", err
	}
	return out, text, nil
}

// List returns the tokens not revoked, expired ones included (marked), by
// name.
func (s *Tokens) List(ctx context.Context) ([]Token, error) {
	var out []Token
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Select(ctx, &out, `SELECT t.id, t.name, t.role, e.handle AS engineer, t.created_at, t.created_by, t.expires_at, t.last_used_at
			FROM api_tokens t LEFT JOIN engineers e ON e.id = t.engineer_id
			WHERE t.revoked_at IS NULL ORDER BY t.name`); err != nil {
			return fmt.Errorf("list tokens: %w", err)
		}
		for i := range out {
			out[i].CreatedAt = out[i].CreatedAt.UTC()
			out[i].ExpiresAt = out[i].ExpiresAt.UTC()
			if out[i].LastUsedAt != nil {
				u := out[i].LastUsedAt.UTC()
				out[i].LastUsedAt = &u
			}
			out[i].Expired = !tx.Now.Before(out[i].ExpiresAt)
		}
		return nil
	})
	return out, err
}

// Revoke stops the token named name from working, at once and for good,
// and frees its name. No such token (or one already revoked) is an
// errcode.NotFound error.
func (s *Tokens) Revoke(ctx context.Context, actor, name string) error {
	name = strings.TrimSpace(name)
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`, tx.Now, name)
		if err != nil {
			return fmt.Errorf("revoke token %s: %w", name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("revoke token %s: %w", name, err)
		} else if n == 0 {
			return errcode.Errorf(errcode.NotFound, "no token named %q (supportline token list shows them)", name)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "token.revoke", Subject: "token " + name, Result: "ok"})
	})
}

// ErrUnauthenticated is the error of every refused token: malformed,
// unknown, expired or revoked. [Tokens.Authenticate] wraps it with the
// reason, which is for logs only: a client learns just that its token does
// not work.
var ErrUnauthenticated = errors.New("unauthenticated")

func refused(reason string) error { return fmt.Errorf("%w: %s", ErrUnauthenticated, reason) }

// lastUseEvery is how often a token's last use is written at most: a
// busy integration must not turn every read into a write.
const lastUseEvery = time.Minute

// Authenticate returns the principal of a bearer token: the token's text,
// or an Authorization header value ("Bearer slt_..."). A token that does
// not work is an error for which errors.Is(err, ErrUnauthenticated); any
// other error is a failure to check it (the database). It records the
// token's last use, at most once a minute and with lax durability (losing
// one in a crash is harmless).
func (s *Tokens) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	text := bearer
	if scheme, rest, ok := strings.Cut(bearer, " "); ok && strings.EqualFold(scheme, "Bearer") {
		text = strings.TrimLeft(rest, " ")
	}
	if err := checkText(text); err != nil {
		return Principal{}, err
	}
	want := HashSecret(text)
	var row struct {
		ID        int64      `db:"id"`
		Name      string     `db:"name"`
		Role      Role       `db:"role"`
		Engineer  *string    `db:"engineer"`
		Hash      string     `db:"hash"`
		ExpiresAt time.Time  `db:"expires_at"`
		RevokedAt *time.Time `db:"revoked_at"`
		LastUsed  *time.Time `db:"last_used_at"`
	}
	var p Principal
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		// Looking the hash up by index leaks nothing worth having: timing
		// could at most tell a SHA-256 prefix of a guess, not of a token.
		// The compare below is constant-time all the same.
		err := q.Get(ctx, &row, `SELECT t.id, t.name, t.role, e.handle AS engineer, t.hash, t.expires_at, t.revoked_at, t.last_used_at
			FROM api_tokens t LEFT JOIN engineers e ON e.id = t.engineer_id WHERE t.hash = ?`, want)
		if errors.Is(err, sql.ErrNoRows) {
			return refused("unknown token")
		}
		if err != nil {
			return fmt.Errorf("look up token: %w", err)
		}
		if !EqualHash(row.Hash, want) {
			return refused("unknown token")
		}
		switch {
		case row.RevokedAt != nil:
			return refused(fmt.Sprintf("token %s was revoked", row.Name))
		case !q.At().Before(row.ExpiresAt.UTC()):
			return refused(fmt.Sprintf("token %s expired at %s", row.Name, row.ExpiresAt.UTC().Format(time.RFC3339)))
		case !row.Role.Valid() || (row.Role == Engineer) != (row.Engineer != nil):
			return refused(fmt.Sprintf("token %s has no valid role", row.Name))
		}
		p = Principal{Kind: KindToken, Name: row.Name, Role: row.Role}
		if row.Engineer != nil {
			p.Engineer = *row.Engineer
		}
		stale := q.At().Add(-lastUseEvery)
		if row.LastUsed != nil && row.LastUsed.After(stale) {
			return nil // recorded less than a minute ago: no write on this request
		}
		// The condition again, for a replica that recorded it meanwhile.
		if _, err := q.Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
			q.At(), row.ID, stale); err != nil {
			return fmt.Errorf("record use of token %s: %w", row.Name, err)
		}
		return nil
	}, store.Lax)
	if err != nil {
		return Principal{}, err
	}
	return p, nil
}
