package store

import (
	"context"
	"fmt"
	"io/fs"

	"hash/fnv"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"supportline/migrations"
)

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version int64  `json:"version"`
	Name    string `json:"name"`
	Applied bool   `json:"applied"`
	// AppliedAt is RFC 3339 in UTC, empty when pending.
	AppliedAt string `json:"applied_at,omitempty"`
}

// postgresLocker returns an advisory session lock keyed on the database and
// schema, so that replicas starting at once migrate one after the other while
// test packages, each in a schema of its own, do not wait on each other.
func (db *DB) postgresLocker(ctx context.Context) (lock.SessionLocker, error) {
	var where string
	if err := db.x.GetContext(ctx, &where, "SELECT current_database() || '.' || current_schema()"); err != nil {
		return nil, fmt.Errorf("read current schema: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("supportline-migrate:" + where))
	return lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64()>>1)),
		lock.WithLockTimeout(1, 300), // poll each second, give up after 5 minutes
	)
}

func (db *DB) provider(ctx context.Context) (*goose.Provider, error) {
	dialect, dir := goose.DialectPostgres, "postgres"
	if db.engine == SQLite {
		dialect, dir = goose.DialectSQLite3, "sqlite"
	}
	sub, err := fs.Sub(migrations.FS, dir)
	if err != nil {
		return nil, err
	}
	// Provider's default is a session lock only where the dialect supports
	// it; on PostgreSQL an advisory lock keeps replicas that start at once
	// from migrating concurrently.
	var opts []goose.ProviderOption
	if db.engine == Postgres {
		locker, err := db.postgresLocker(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, db.x.DB, sub, opts...)
}

// Migrate applies every pending migration and returns how many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	p, err := db.provider(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("apply migrations: %w", err)
	}
	return len(res), nil
}

// MigrateDown rolls back the most recent migration (used by tests and by
// operators recovering from a bad release).
func (db *DB) MigrateDown(ctx context.Context) error {
	p, err := db.provider(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("roll back migration: %w", err)
	}
	return nil
}

// MigrationStatus lists every known migration with its state.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.provider(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		m := MigrationStatus{Version: s.Source.Version, Name: s.Source.Path, Applied: s.State == goose.StateApplied}
		if m.Applied {
			m.AppliedAt = s.AppliedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		out = append(out, m)
	}
	return out, nil
}

// Migrated reports whether every migration is applied (for readiness).
func (db *DB) Migrated(ctx context.Context) (bool, error) {
	p, err := db.provider(ctx)
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, err
	}
	return !pending, nil
}
