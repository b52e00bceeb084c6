package console

import (
	"fmt"
	"html/template"
	"io/fs"
	"strings"
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

// funcs are the templates' helpers: times and durations in words.
var funcs = template.FuncMap{
	// iso is an instant for a <time datetime> or a data attribute.
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// when is an instant in zone (an IANA name; empty is UTC), as people
	// read it: "Tue 1 Dec 15:04 MST".
	"when": func(t time.Time, zone string) string {
		if t.IsZero() {
			return ""
		}
		loc, err := time.LoadLocation(zone)
		if err != nil || zone == "" {
			loc = time.UTC
		}
		return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
	},
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
