package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"supportline/audit"
	"supportline/contactinfo"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/pins"
	"supportline/store"
)

// Lifetimes of the console's secrets.
const (
	// LinkTTL is how long a set-password link works.
	LinkTTL = 24 * time.Hour
	// SessionIdle ends a session nobody used for this long.
	SessionIdle = 8 * time.Hour
	// SessionMax ends every session this long after sign-in, used or not.
	SessionMax = 7 * 24 * time.Hour
	// seenEvery is how often a session's last use is written at most.
	seenEvery = time.Minute
)

// The throttle of failed sign-ins, in fixed windows: per e-mail (known or
// not, so that the answer does not tell which) and per address.
const (
	failureWindow   = 15 * time.Minute
	failuresPerUser = 5
	failuresPerAddr = 20
)

// Users are the console's people: adding one (with a one-time link to set
// a password), listing, disabling, enabling, resetting; setting a password
// from a link; signing in and out; and turning a session cookie into a
// [Principal]. Build it as a literal with DB and Engineers set; Params is
// the argon2id cost of passwords (the zero value is pins.DefaultParams).
type Users struct {
	DB        *store.DB
	Engineers *oncall.Service
	Params    pins.Params
}

// User is a console user as [Users.List] shows it: never a password hash.
type User struct {
	ID          int64      `db:"id" json:"-"`
	Email       string     `db:"email" json:"email"`
	Role        Role       `db:"role" json:"role"`
	Engineer    *string    `db:"engineer" json:"engineer,omitempty"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
	CreatedBy   string     `db:"created_by" json:"created_by"`
	PasswordSet *time.Time `db:"password_set_at" json:"password_set_at"`
	Disabled    *time.Time `db:"disabled_at" json:"disabled_at"`
	LastSignIn  *time.Time `db:"last_sign_in_at" json:"last_sign_in_at"`
}

// Principal is who the user acts as.
func (u User) Principal() Principal {
	p := Principal{Kind: KindUser, Name: u.Email, Role: u.Role}
	if u.Engineer != nil {
		p.Engineer = *u.Engineer
	}
	return p
}

// NewUser is the input of [Users.Add].
type NewUser struct {
	Email string
	Role  Role
	// Engineer is the handle an engineer user acts for: required for that
	// role, refused for the others.
	Engineer string
}

// Link is a one-time set-password link's secret, to be put in the URL the
// face builds (the CLI knows the console's address). It is shown once.
type Link struct {
	Text      string
	ExpiresAt time.Time
}

func (s *Users) params() pins.Params {
	if s.Params == (pins.Params{}) {
		return pins.DefaultParams()
	}
	return s.Params
}

// NormalizeEmail is how an e-mail is stored and looked up: trimmed and
// lower-cased, so that Jane@Example.com signs in as jane@example.com.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

const userColumns = `u.id, u.email, u.role, e.handle AS engineer, u.created_at, u.created_by, u.password_set_at, u.disabled_at, u.last_sign_in_at`

const userFrom = ` FROM console_users u LEFT JOIN engineers e ON e.id = u.engineer_id`

// Add stores a new user without a password and returns a link to set one.
func (s *Users) Add(ctx context.Context, actor string, n NewUser) (User, Link, error) {
	email := NormalizeEmail(n.Email)
	if err := contactinfo.ValidEmail(email); err != nil {
		return User{}, Link{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "the e-mail %s", errcode.Message(err)), "email")
	}
	n.Engineer = strings.TrimSpace(n.Engineer)
	if err := checkRole(n.Role, n.Engineer, "user"); err != nil {
		return User{}, Link{}, err
	}
	var u User
	var link Link
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var engineerID *int64
		if n.Role == Engineer {
			e, err := s.Engineers.EngineerTx(ctx, tx, n.Engineer)
			if err != nil {
				return errcode.WithField(err, "engineer")
			}
			engineerID = &e.ID
		}
		id, err := tx.Insert(ctx, `INSERT INTO console_users (email, role, engineer_id, created_at, created_by) VALUES (?, ?, ?, ?, ?)`,
			email, string(n.Role), engineerID, tx.Now, actor)
		if store.IsUniqueViolation(err) {
			return errcode.WithField(errcode.Errorf(errcode.Conflict, "a user with e-mail %s exists (supportline user reset %s sends a new link)", email, email), "email")
		}
		if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		u = User{ID: id, Email: email, Role: n.Role, CreatedAt: tx.Now, CreatedBy: actor}
		if engineerID != nil {
			u.Engineer = &n.Engineer
		}
		if link, err = newLinkTx(ctx, tx, id); err != nil {
			return err
		}
		detail := "role " + string(n.Role)
		if n.Engineer != "" {
			detail += ", engineer " + n.Engineer
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "user.add", Subject: "user " + email, Result: "ok", Detail: detail})
	})
	return u, link, err
}

// checkRole checks a role and its engineer handle for a token or a user.
func checkRole(role Role, engineer, what string) error {
	switch {
	case !role.Valid():
		return errcode.WithField(errcode.Errorf(errcode.Invalid, "a %s's role is admin, engineer or viewer, not %q", what, role), "role")
	case role == Engineer && engineer == "":
		return errcode.WithField(errcode.Errorf(errcode.Invalid, "an engineer %s needs the handle of its engineer (--engineer HANDLE)", what), "engineer")
	case role != Engineer && engineer != "":
		return errcode.WithField(errcode.Errorf(errcode.Invalid, "only an engineer %s names an engineer; a %s %s acts for no one", what, role, what), "engineer")
	}
	return nil
}

// newLinkTx voids the user's unused links and makes a new one.
func newLinkTx(ctx context.Context, tx *store.Tx, userID int64) (Link, error) {
	text, err := NewSecret("")
	if err != nil {
		return Link{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE console_links SET used_at = ? WHERE user_id = ? AND used_at IS NULL`, tx.Now, userID); err != nil {
		return Link{}, fmt.Errorf("void old links: %w", err)
	}
	l := Link{Text: text, ExpiresAt: tx.Now.Add(LinkTTL)}
	if _, err := tx.Exec(ctx, `INSERT INTO console_links (user_id, hash, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		userID, HashSecret(text), tx.Now, l.ExpiresAt); err != nil {
		return Link{}, fmt.Errorf("insert link: %w", err)
	}
	return l, nil
}

// List returns every user, by e-mail.
func (s *Users) List(ctx context.Context) ([]User, error) {
	var out []User
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		if err := q.Select(ctx, &out, `SELECT `+userColumns+userFrom+` ORDER BY u.email`); err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		return nil
	})
	for i := range out {
		out[i].utc()
	}
	return out, err
}

func (u *User) utc() {
	u.CreatedAt = u.CreatedAt.UTC()
	for _, t := range []**time.Time{&u.PasswordSet, &u.Disabled, &u.LastSignIn} {
		if *t != nil {
			v := (**t).UTC()
			*t = &v
		}
	}
}

// userTx reads a user by e-mail; none is errcode.NotFound.
func userTx(ctx context.Context, q store.Querier, email string) (User, error) {
	var u User
	err := q.Get(ctx, &u, `SELECT `+userColumns+userFrom+` WHERE u.email = ?`, NormalizeEmail(email))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errcode.Errorf(errcode.NotFound, "no user with e-mail %q (supportline user list shows them)", NormalizeEmail(email))
	}
	if err != nil {
		return User{}, fmt.Errorf("look up user: %w", err)
	}
	u.utc()
	return u, nil
}

// Disable stops a user from signing in, ends their sessions and voids
// their links. Disabling a disabled user changes nothing and says so.
func (s *Users) Disable(ctx context.Context, actor, email string) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		u, err := userTx(ctx, tx, email)
		if err != nil {
			return err
		}
		if u.Disabled != nil {
			return errcode.Errorf(errcode.Conflict, "user %s is already disabled", u.Email)
		}
		for _, q := range []string{
			`UPDATE console_users SET disabled_at = ? WHERE id = ?`,
			`UPDATE console_links SET used_at = ? WHERE user_id = ? AND used_at IS NULL`,
		} {
			if _, err := tx.Exec(ctx, q, tx.Now, u.ID); err != nil {
				return fmt.Errorf("disable user: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM console_sessions WHERE user_id = ?`, u.ID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "user.disable", Subject: "user " + u.Email, Result: "ok"})
	})
}

// Enable lets a disabled user sign in again (with their old password, or
// after a reset).
func (s *Users) Enable(ctx context.Context, actor, email string) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		u, err := userTx(ctx, tx, email)
		if err != nil {
			return err
		}
		if u.Disabled == nil {
			return errcode.Errorf(errcode.Conflict, "user %s is not disabled", u.Email)
		}
		if _, err := tx.Exec(ctx, `UPDATE console_users SET disabled_at = NULL WHERE id = ?`, u.ID); err != nil {
			return fmt.Errorf("enable user: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "user.enable", Subject: "user " + u.Email, Result: "ok"})
	})
}

// Reset makes a new set-password link for a user (older links stop
// working). The password in force keeps working until the link is used;
// using it ends every session of the user. A disabled user is refused:
// enable them first.
func (s *Users) Reset(ctx context.Context, actor, email string) (User, Link, error) {
	var u User
	var link Link
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = userTx(ctx, tx, email); err != nil {
			return err
		}
		if u.Disabled != nil {
			return errcode.Errorf(errcode.Conflict, "user %s is disabled; enable them first (supportline user enable %s)", u.Email, u.Email)
		}
		if link, err = newLinkTx(ctx, tx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "user.reset", Subject: "user " + u.Email, Result: "ok"})
	})
	return u, link, err
}

// errBadLink is the one answer for a link that does not work: unknown,
// used, expired, or of a disabled user. Which is for the log.
var errBadLink = errcode.New(errcode.NotFound, "this link does not work: it was used, it expired (links last 24 hours) or it was replaced; ask an admin for a new one (supportline user reset)")

// linkTx finds the user of a working link.
func linkTx(ctx context.Context, q store.Querier, text string) (User, int64, error) {
	if checkSecret(text, "") != nil {
		return User{}, 0, errBadLink
	}
	var row struct {
		ID        int64      `db:"id"`
		UserID    int64      `db:"user_id"`
		Hash      string     `db:"hash"`
		ExpiresAt time.Time  `db:"expires_at"`
		UsedAt    *time.Time `db:"used_at"`
	}
	err := q.Get(ctx, &row, `SELECT id, user_id, hash, expires_at, used_at FROM console_links WHERE hash = ?`, HashSecret(text))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !EqualHash(row.Hash, HashSecret(text))) {
		return User{}, 0, errBadLink
	}
	if err != nil {
		return User{}, 0, fmt.Errorf("look up link: %w", err)
	}
	if row.UsedAt != nil || !q.At().Before(row.ExpiresAt.UTC()) {
		return User{}, 0, errBadLink
	}
	var u User
	if err := q.Get(ctx, &u, `SELECT `+userColumns+userFrom+` WHERE u.id = ?`, row.UserID); err != nil {
		return User{}, 0, fmt.Errorf("look up the link's user: %w", err)
	}
	if u.Disabled != nil {
		return User{}, 0, errBadLink
	}
	u.utc()
	return u, row.ID, nil
}

// LinkUser returns the user a working link sets the password of, for the
// page that asks for it.
func (s *Users) LinkUser(ctx context.Context, text string) (User, error) {
	var u User
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		var err error
		u, _, err = linkTx(ctx, q, text)
		return err
	})
	return u, err
}

// SetPassword sets the password of a link's user, uses the link up and
// ends every session the user had. A password that is too short, too long
// or too common is errcode.Invalid, in words for the form.
func (s *Users) SetPassword(ctx context.Context, text, password string) (User, error) {
	u, err := s.LinkUser(ctx, text)
	if err != nil {
		return User{}, err
	}
	if err := CheckPassword(password, u.Email); err != nil {
		return User{}, err
	}
	hash, err := pins.Hash(password, s.params()) // outside the transaction: it takes tens of ms
	if err != nil {
		return User{}, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var linkID int64
		if u, linkID, err = linkTx(ctx, tx, text); err != nil {
			return err // used meanwhile
		}
		res, err := tx.Exec(ctx, `UPDATE console_links SET used_at = ? WHERE id = ? AND used_at IS NULL`, tx.Now, linkID)
		if err != nil {
			return fmt.Errorf("use link: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errBadLink
		}
		if _, err := tx.Exec(ctx, `UPDATE console_users SET password_hash = ?, password_set_at = ? WHERE id = ?`, hash, tx.Now, u.ID); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM console_sessions WHERE user_id = ?`, u.ID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		u.PasswordSet = &tx.Now
		return audit.Record(ctx, tx, audit.Event{Actor: u.Principal().Actor(), Action: "user.set_password", Subject: "user " + u.Email, Result: "ok"})
	})
	return u, err
}
