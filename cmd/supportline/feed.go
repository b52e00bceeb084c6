package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/spf13/cobra"

	"supportline/domain"
	"supportline/feeds"
)

// feedsPublicURL is the base of feed URLs: SUPPORTLINE_PUBLIC_URL, the
// address the public (Twilio) listener is reached at, as serve reads it.
func feedsPublicURL() string {
	return strings.TrimRight(strings.TrimSpace(os.Getenv("SUPPORTLINE_PUBLIC_URL")), "/")
}

func (a *app) feedCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "feed", Short: "Create, list and revoke the calendar feeds of on-call shifts"}

	var schedule, engineer, name, publicURL string
	create := &cobra.Command{
		Use:   "create --schedule NAME | --engineer HANDLE [--name NAME] [--public-url URL]",
		Short: "Create a calendar feed and print its URL (once)",
		Long: "Create an iCalendar feed of a schedule's shifts, or of one engineer's in every schedule, from four weeks back " +
			"to twelve weeks ahead, overrides applied. Its URL is secret (anyone who has it sees the shifts) and is printed " +
			"only now: SUPPORTLINE_PUBLIC_URL (or --public-url) followed by /ical/TOKEN.ics, served by serve on its public listener.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (schedule == "") == (engineer == "") {
				return usageError{fmt.Sprintf("%s needs one of --schedule NAME and --engineer HANDLE (usage: %s)", cmd.CommandPath(), cmd.UseLine())}
			}
			base := strings.TrimRight(strings.TrimSpace(publicURL), "/")
			if base != "" {
				if err := checkPublicURL("public URL", base); err != nil {
					return err
				}
			}
			svc, err := a.services(cmd.Context())
			if err != nil {
				return err
			}
			svc.Feeds.PublicURL = base // --public-url wins over the environment's
			f, token, err := svc.Feeds.Create(cmd.Context(), a.who(), feeds.NewFeed{Name: name, Schedule: schedule, Engineer: engineer})
			if err != nil {
				return err
			}
			link := svc.Feeds.URL(token)
			out := struct {
				feeds.Feed
				Path string `json:"path"`
				URL  string `json:"url,omitempty"`
			}{Feed: f, Path: feeds.Path(token)}
			if base != "" {
				out.URL = link
			}
			return a.emit(out, func() {
				fmt.Fprintf(a.stdout, "feed %s (ID %d, %s):\n", f.Name, f.ID, f.Shows())
				if base != "" {
					fmt.Fprintln(a.stdout, link)
				} else {
					fmt.Fprintln(a.stdout, feeds.Path(token))
					fmt.Fprintln(a.stdout, "SUPPORTLINE_PUBLIC_URL is not set: the URL is the address serve's public listener is reached at "+
						"followed by this path (with serve --demo on its default port: http://localhost:8080"+feeds.Path(token)+").")
				}
				fmt.Fprintf(a.stdout, "It is shown only now and cannot be recovered: subscribe to it from a calendar application. "+
					"Whoever has it sees the shifts; supportline feed revoke %s stops it.\n", f.Name)
			})
		},
	}
	create.Flags().StringVar(&schedule, "schedule", "", "the schedule whose shifts the feed shows")
	create.Flags().StringVar(&engineer, "engineer", "", "the engineer whose shifts (in every schedule) the feed shows")
	create.Flags().StringVar(&name, "name", "", "the feed's name, 1-40 of a-z 0-9 . - _ starting with a letter (default: the schedule or engineer)")
	create.Flags().StringVar(&publicURL, "public-url", feedsPublicURL(), "the public listener's base URL (env SUPPORTLINE_PUBLIC_URL)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the feeds not revoked (never their URLs)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.services(cmd.Context())
			if err != nil {
				return err
			}
			fs, err := svc.Feeds.List(cmd.Context())
			if err != nil {
				return err
			}
			return a.emit(fs, func() {
				if len(fs) == 0 {
					fmt.Fprintln(a.stdout, "no feeds (supportline feed create --schedule NAME adds one)")
					return
				}
				rows := make([][]string, len(fs))
				for i, f := range fs {
					last := "never"
					if f.LastFetched != nil {
						last = ts(*f.LastFetched)
					}
					rows[i] = []string{fmt.Sprint(f.ID), f.Name, f.Shows(), ts(f.CreatedAt), f.CreatedBy, last}
				}
				a.table([]string{"ID", "NAME", "SHOWS", "CREATED", "BY", "LAST FETCHED"}, rows)
			})
		},
	}

	revoke := &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Stop a feed's URL from working, at once and for good",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.services(cmd.Context())
			if err != nil {
				return err
			}
			f, err := svc.Feeds.Revoke(cmd.Context(), a.who(), args[0])
			if err != nil {
				return err
			}
			out := struct {
				feeds.Feed
				Revoked bool `json:"revoked"`
			}{f, true}
			return a.emit(out, func() {
				fmt.Fprintf(a.stdout, "feed %s (ID %d, %s) revoked; its URL answers 404 from now on\n", f.Name, f.ID, f.Shows())
			})
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// mountFeeds serves the calendar feeds on the public listener's Echo.
func mountFeeds(e *echo.Echo, svc *domain.Services) {
	feeds.Handler{Feeds: svc.Feeds}.Mount(e)
}
