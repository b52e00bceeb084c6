package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Set at link time (-ldflags "-X main.revision=... -X main.buildTime=...")
// by builds that have no VCS information to stamp: the Docker build, whose
// context leaves out .git. Empty otherwise; the build info then says.
var (
	revision  string
	buildTime string
)

// versionInfo is what `supportline version` prints.
type versionInfo struct {
	// Version is the module version: a tag for `go install
	// supportline/...@v1.2.3`, "(devel)" for a build from a checkout.
	Version string `json:"version"`
	// Revision is the VCS commit the binary was built from; empty when the
	// build recorded none (go build -buildvcs=false, no .git).
	Revision string `json:"revision,omitempty"`
	// Modified says the working tree had changes not in Revision.
	Modified bool `json:"modified"`
	// Committed is the commit's time, RFC 3339.
	Committed string `json:"committed,omitempty"`
	// Built is when the binary was linked, when the build recorded it.
	Built string `json:"built,omitempty"`
	Go    string `json:"go"`
}

// versionOf reads bi (nil when the binary has no build info).
func versionOf(bi *debug.BuildInfo, rev, built string) versionInfo {
	v := versionInfo{Version: "(unknown)", Go: runtime.Version(), Revision: rev, Built: built}
	if bi == nil {
		return v
	}
	v.Version, v.Go = bi.Main.Version, bi.GoVersion
	if v.Version == "" {
		v.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if v.Revision == "" {
				v.Revision = s.Value
			}
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "vcs.time":
			v.Committed = s.Value
		}
	}
	return v
}

// String is the one line `supportline version` prints.
func (v versionInfo) String() string {
	parts := []string{"supportline " + v.Version}
	switch {
	case v.Revision == "":
		parts = append(parts, "revision unknown (built without VCS information)")
	case v.Modified:
		parts = append(parts, "revision "+v.Revision+" with uncommitted changes")
	default:
		parts = append(parts, "revision "+v.Revision)
	}
	if v.Committed != "" {
		parts = append(parts, "committed "+v.Committed)
	}
	if v.Built != "" {
		parts = append(parts, "built "+v.Built)
	}
	return strings.Join(append(parts, v.Go), ", ")
}

func (a *app) printVersion() error {
	bi, _ := debug.ReadBuildInfo()
	v := versionOf(bi, revision, buildTime)
	return a.emit(v, func() { fmt.Fprintln(a.stdout, v) })
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the revision this binary was built from",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return a.printVersion() },
	}
}
