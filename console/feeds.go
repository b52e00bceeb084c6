package console

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"supportline/auth"
	"supportline/errcode"
	"supportline/feeds"
	"supportline/oncall"
)

// The calendar feeds page (/feeds): the feeds not revoked, what each shows
// and when it was last fetched, never a URL; an admin creates one (its URL
// shown once, after the redirect, through the sealed one-time cookie, as a
// new PIN is) and revokes one. The rules are feeds'.

var (
	doneFeedCreated = notice("feed-created", "Feed created.")
	doneFeedRevoked = notice("feed-revoked", "Feed revoked: its URL answers 404 from now on.")
)

const feedsPath = "/feeds"

func (s *Server) registerFeeds(g *echo.Group) {
	g.GET(feedsPath, s.signedIn(auth.Read, s.feedsPage))
	g.POST(feedsPath, s.signedIn(auth.AdminWork, s.createFeed))
	g.POST(feedsPath+"/:id/revoke", s.signedIn(auth.AdminWork, s.revokeFeed))
}

type feedsData struct {
	Feeds     []feeds.Feed
	Schedules []oncall.StoredSchedule
	Engineers []oncall.Engineer
	// NewURL is the URL of the feed just created, shown this once; NewPath
	// its path alone when the public address is not configured.
	NewURL, NewPath string
}

func (s *Server) feedsView(c echo.Context, u auth.User) (view, error) {
	fs, err := s.Feeds.List(ctx(c))
	if err != nil {
		return view{}, err
	}
	d := feedsData{Feeds: fs}
	if u.Principal().Allows(auth.AdminWork) {
		if d.Schedules, err = s.OnCall.Schedules(ctx(c)); err != nil {
			return view{}, err
		}
		if d.Engineers, err = s.OnCall.Engineers(ctx(c)); err != nil {
			return view{}, err
		}
	}
	return view{Title: "Calendar feeds", Nav: "feeds", Data: d}, nil
}

func (s *Server) feedsPage(c echo.Context, u auth.User) error {
	v, err := s.feedsView(c, u)
	if err != nil {
		return s.fail(c, err)
	}
	d := v.Data.(feedsData)
	// Sealed for this page in this browser only; taking it clears it, so
	// a reload does not show the URL again.
	if link := s.takeOnce(c, feedsPath); link != "" {
		if strings.HasPrefix(link, "/") {
			d.NewPath = link
		} else {
			d.NewURL = link
		}
	}
	v.Data = d
	return s.render(c, http.StatusOK, "feeds", v)
}

func (s *Server) createFeed(c echo.Context, u auth.User) error {
	in := feeds.NewFeed{Name: c.FormValue("name")}
	kind, target, _ := strings.Cut(c.FormValue("shows"), ":")
	switch kind {
	case "schedule":
		in.Schedule = target
	case "engineer":
		in.Engineer = target
	}
	_, token, err := s.Feeds.Create(ctx(c), u.Principal().Actor(), in)
	if err != nil {
		return s.feedsRefuse(c, u, err)
	}
	// Neither stored, logged nor put in the redirect's URL.
	if err := s.setOnce(c, feedsPath, s.Feeds.URL(token)); err != nil {
		return s.fail(c, err)
	}
	return redirect(c, feedsPath, doneFeedCreated)
}

func (s *Server) revokeFeed(c echo.Context, u auth.User) error {
	if _, err := s.Feeds.Revoke(ctx(c), u.Principal().Actor(), c.Param("id")); err != nil {
		return s.fail(c, err)
	}
	return redirect(c, feedsPath, doneFeedRevoked)
}

// feedsRefuse shows the page again with the domain's words next to the
// field they are about.
func (s *Server) feedsRefuse(c echo.Context, u auth.User, err error) error {
	if errcode.CodeOf(err) == errcode.Internal {
		return s.fail(c, err)
	}
	v, verr := s.feedsView(c, u)
	if verr != nil {
		return s.fail(c, verr)
	}
	// The form's one select says what the feed shows: an unknown schedule
	// or engineer, or neither, is about it.
	field := "shows"
	if errcode.FieldOf(err) == "name" {
		field = "name"
	}
	return s.formError(c, "feeds", v, field, err)
}
