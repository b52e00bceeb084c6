// Package migrations embeds the SQL migrations, one folder per dialect.
// Both folders hold the same versions with the same meaning; only the SQL
// dialect differs.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
