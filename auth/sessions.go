package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"supportline/audit"
	"supportline/errcode"
	"supportline/pins"
	"supportline/store"
)

// ErrBadSignIn is the one answer to a failed sign-in, whether the e-mail
// is nobody's, the password is wrong, or the user is disabled or has no
// password yet: the words must not tell which.
var ErrBadSignIn = errcode.New(errcode.Invalid, "the e-mail or the password is wrong")

// maxEmail is the longest e-mail SignIn looks at, in bytes: the longest a
// user can have (contactinfo.ValidEmail, RFC 5321). A longer one is refused
// before the throttle writes it as a key, so that the failures table
// cannot be filled with huge ones.
const maxEmail = 254

// throttledError is the answer while too many sign-ins failed for the e-mail
// or from the address (errcode.Unavailable: trying again later works).
func throttledError(wait time.Duration) error {
	minutes, unit := int((wait+time.Minute-1)/time.Minute), "minutes"
	if minutes == 1 {
		unit = "minute"
	}
	return errcode.Errorf(errcode.Unavailable, "too many failed sign-ins; try again in %d %s", minutes, unit)
}

// Session is a signed-in browser: the secret its cookie carries (shown
// once, at sign-in; only its hash is stored) and whose it is.
type Session struct {
	Text      string
	User      User
	ExpiresAt time.Time
}

// SignIn checks an e-mail and password and starts a session. Failures are
// ErrBadSignIn (at once, counting nothing, for an e-mail longer than any
// user's) or an errcode.Unavailable error while throttled; address (the
// client's, without its port) and userAgent are kept with the session for
// the user to see.
func (s *Users) SignIn(ctx context.Context, email, password, address, userAgent string) (Session, error) {
	email = NormalizeEmail(email)
	if len(email) > maxEmail {
		return Session{}, ErrBadSignIn // nobody's (Add refuses it), and no key that size is written
	}
	keys := []string{"email:" + email, "addr:" + address}
	if wait, err := s.throttled(ctx, keys); err != nil {
		return Session{}, err
	} else if wait > 0 {
		return Session{}, throttledError(wait)
	}
	var row struct {
		User
		Hash *string `db:"password_hash"`
	}
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		return q.Get(ctx, &row, `SELECT `+userColumns+`, u.password_hash`+userFrom+` WHERE u.email = ?`, email)
	})
	found := err == nil // (sqlx may have set row's pointers before it found no row)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("look up user: %w", err)
	}
	ok := false
	if found && row.Hash != nil && len(password) <= MaxPassword {
		if ok, _, err = pins.Compare(*row.Hash, password); err != nil {
			return Session{}, fmt.Errorf("user %s: %w", email, err)
		}
	} else {
		pins.DummyCompare(password, s.params()) // the same work for nobody: timing tells nothing
	}
	if !ok || row.Disabled != nil {
		if err := s.fail(ctx, keys); err != nil {
			return Session{}, err
		}
		return Session{}, ErrBadSignIn
	}
	u := row.User
	u.utc()
	text, err := NewSecret("")
	if err != nil {
		return Session{}, err
	}
	var out Session
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		out = Session{Text: text, User: u, ExpiresAt: tx.Now.Add(SessionMax)}
		if _, err := tx.Exec(ctx, `INSERT INTO console_sessions (user_id, hash, created_at, last_seen_at, expires_at, address, user_agent)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, HashSecret(text), tx.Now, tx.Now, out.ExpiresAt, address, truncate(userAgent, 200)); err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE console_users SET last_sign_in_at = ? WHERE id = ?`, tx.Now, u.ID); err != nil {
			return fmt.Errorf("record sign-in: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM console_sign_in_failures WHERE key = ?`, keys[0]); err != nil {
			return fmt.Errorf("clear failures: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: u.Principal().Actor(), Action: "user.sign_in", Subject: "user " + u.Email, Result: "ok", Detail: "from " + address})
	})
	return out, err
}

// truncate keeps at most n bytes of s as valid UTF-8, cut at a character
// boundary: s is a header a client chose, and a PostgreSQL text column
// refuses anything but UTF-8 (the sign-in would fail).
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// throttled returns how long the first of keys that reached its limit in
// the current window stays blocked; 0 when none did.
func (s *Users) throttled(ctx context.Context, keys []string) (time.Duration, error) {
	var wait time.Duration
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		for _, key := range keys {
			var row struct {
				Failures int       `db:"failures"`
				Start    time.Time `db:"window_start"`
			}
			err := q.Get(ctx, &row, `SELECT failures, window_start FROM console_sign_in_failures WHERE key = ?`, key)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("read sign-in failures: %w", err)
			}
			end := row.Start.UTC().Add(failureWindow)
			if row.Failures >= limitOf(key) && q.At().Before(end) {
				wait = max(wait, end.Sub(q.At()))
			}
		}
		return nil
	})
	return wait, err
}

func limitOf(key string) int {
	if strings.HasPrefix(key, "addr:") {
		return failuresPerAddr
	}
	return failuresPerUser
}

// fail counts a failed sign-in against each key, starting a new window
// where the last one ended. Durable: a crash must not forgive guesses.
func (s *Users) fail(ctx context.Context, keys []string) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, key := range keys {
			if _, err := tx.Exec(ctx, `INSERT INTO console_sign_in_failures (key, failures, window_start) VALUES (?, 1, ?)
				ON CONFLICT (key) DO UPDATE SET
					failures = CASE WHEN console_sign_in_failures.window_start <= ? THEN 1 ELSE console_sign_in_failures.failures + 1 END,
					window_start = CASE WHEN console_sign_in_failures.window_start <= ? THEN ? ELSE console_sign_in_failures.window_start END`,
				key, tx.Now, tx.Now.Add(-failureWindow), tx.Now.Add(-failureWindow), tx.Now); err != nil {
				return fmt.Errorf("count a failed sign-in: %w", err)
			}
		}
		return nil
	})
}

// ErrNoSession is the error of a cookie that is not a live session:
// malformed, unknown, signed out, idle for SessionIdle or older than
// SessionMax, or of a user who was disabled.
var ErrNoSession = errors.New("no session")

// Resume returns the user of a session cookie's text, and records that
// it was used (at most once a minute, lax: losing one in a crash costs a
// minute of idle time).
func (s *Users) Resume(ctx context.Context, text string) (User, error) {
	if checkSecret(text, "") != nil {
		return User{}, ErrNoSession
	}
	var row struct {
		User
		SessionID int64     `db:"session_id"`
		Hash      string    `db:"hash"`
		Expires   time.Time `db:"expires_at"`
		Seen      time.Time `db:"last_seen_at"`
	}
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		err := q.Get(ctx, &row, `SELECT `+userColumns+`, s.id AS session_id, s.hash, s.expires_at, s.last_seen_at
			FROM console_sessions s JOIN console_users u ON u.id = s.user_id LEFT JOIN engineers e ON e.id = u.engineer_id
			WHERE s.hash = ?`, HashSecret(text))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoSession
		}
		if err != nil {
			return fmt.Errorf("look up session: %w", err)
		}
		now := q.At()
		if !EqualHash(row.Hash, HashSecret(text)) || row.Disabled != nil || !now.Before(row.Expires.UTC()) ||
			!now.Before(row.Seen.UTC().Add(SessionIdle)) || !row.Role.Valid() || (row.Role == Engineer) != (row.Engineer != nil) {
			return ErrNoSession
		}
		if row.Seen.UTC().After(now.Add(-seenEvery)) {
			return nil
		}
		if _, err := q.Exec(ctx, `UPDATE console_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`, now, row.SessionID, now); err != nil {
			return fmt.Errorf("record session use: %w", err)
		}
		return nil
	}, store.Lax)
	if err != nil {
		return User{}, err
	}
	u := row.User
	u.utc()
	return u, nil
}

// SignOut ends the session of a cookie's text; an unknown one is no error.
func (s *Users) SignOut(ctx context.Context, text string) error {
	if checkSecret(text, "") != nil {
		return nil
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM console_sessions WHERE hash = ?`, HashSecret(text)); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		return nil
	})
}

// SignOutEverywhere ends every session of the user (this one too), and
// says how many ended.
func (s *Users) SignOutEverywhere(ctx context.Context, actor, email string) (int64, error) {
	var n int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		u, err := userTx(ctx, tx, email)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM console_sessions WHERE user_id = ?`, u.ID)
		if err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		n, _ = res.RowsAffected()
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "user.sign_out_everywhere", Subject: "user " + u.Email, Result: "ok",
			Detail: fmt.Sprintf("%d sessions ended", n)})
	})
	return n, err
}
