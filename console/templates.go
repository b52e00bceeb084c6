package console

import (
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"sync"
	"time"

	"supportline/sla"
)

// parse builds one template set per page: the layout and the page's own
// file, so that every page defines its "content" without clashing.
func (s *Server) parse() error {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{}
	for _, path := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", path)
		if err != nil {
			return fmt.Errorf("console: parse %s: %w", path, err)
		}
		s.pages[name] = t
	}
	return nil
}

// when is an instant in zone (an IANA name; empty or unknown is UTC), as
// people read it: "Tue 1 Dec 2026 15:04 MST". Templates and notices both
// write times with it.
func when(t time.Time, zone string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(location(zone)).Format("Mon 2 Jan 2006 15:04 MST")
}

// zones caches location's answers: time.LoadLocation reads and parses the
// zone's file on every call, and a page writes tens to hundreds of times
// (a ticket's events, a year of coverage gaps) in a handful of zones.
var zones sync.Map // zone name -> *time.Location

// location is the named IANA zone; UTC for "" or a name that is not one.
func location(zone string) *time.Location {
	if zone == "" {
		return time.UTC
	}
	if loc, ok := zones.Load(zone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC // not kept: the cache holds only zones that exist
	}
	zones.Store(zone, loc)
	return loc
}

// funcs are the templates' helpers: times and durations in words.
var funcs = template.FuncMap{
	// iso is an instant for a <time datetime> or a data attribute.
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// when is an instant in a zone, as people read it.
	"when": when,
	// ago is how long before now t was: "4m 12s".
	"ago": func(now, t time.Time) string { return sla.FormatDuration(now.Sub(t).Truncate(time.Second)) },
	"dur": sla.FormatDuration,
	// deref reads an optional value for a template.
	"deref": func(p any) any {
		switch v := p.(type) {
		case *string:
			if v != nil {
				return *v
			}
			return ""
		case *int:
			if v != nil {
				return *v
			}
			return 0
		case *time.Time:
			if v != nil {
				return *v
			}
			return time.Time{}
		}
		return p
	},
}
