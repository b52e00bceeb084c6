package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"supportline/contactinfo"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/sla"
	"supportline/store"
	"supportline/twiliosim"
)

// callOptions are the flags of `supportline call`.
type callOptions struct {
	url, publicURL, token string
	from, to              string
	digits                string
	engineerKeys          string
	interactive           bool
	maxRequests           int
	pauses                bool
}

func (a *app) callCommand() *cobra.Command {
	o := callOptions{url: "http://localhost:8080", from: "+15555550100"}
	cmd := &cobra.Command{
		Use:   "call",
		Short: "Call a running server the way Twilio would (simulated phone call)",
		Long: `Call places a simulated inbound call against a running Supportline server through
twiliosim: signed webhooks, the TwiML followed as Twilio follows it, engineers' legs with
their whispers. It prints what the caller heard and pressed and exits non-zero when the
call failed the way Twilio would fail it (HTTP errors, invalid TwiML, a slow answer).

Interactive when --digits is not given and stdin is a terminal: it prints what the caller
hears and reads a line of keys at each prompt (an empty line is silence, "hangup" or
Ctrl-D hangs up). With --digits the caller follows the script.

The auth token is the server's: TWILIO_AUTH_TOKEN or --token.`,
		Example: `  supportline call --digits "12345678#,87654321#,1,1" --engineer-keys +15555550111=1
  supportline call --url https://support.example.com --to +18005550199`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			interactive := o.interactive || (!cmd.Flags().Changed("digits") && isTerminal(cmd.InOrStdin()))
			return a.placeCall(cmd.Context(), o, interactive, cmd.InOrStdin())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", o.url, "base URL of the running server")
	f.StringVar(&o.publicURL, "public-url", "", "URL the server validates signatures against (env SUPPORTLINE_PUBLIC_URL; default --url)")
	f.StringVar(&o.token, "token", "", "Twilio auth token the server checks signatures with (env TWILIO_AUTH_TOKEN)")
	f.StringVar(&o.from, "from", o.from, "caller's number (E.164, or anonymous)")
	f.StringVar(&o.to, "to", "", "number dialled (default: line.number from the policy file)")
	f.StringVar(&o.digits, "digits", "", `scripted caller input, comma-separated, one item per prompt: keys ("1", "12345678#"), a voicemail message, "" for silence, or hangup`)
	f.StringVar(&o.engineerKeys, "engineer-keys", "", `what each dialled engineer does, comma-separated NUMBER=KEYS or HANDLE=KEYS: keys at the whisper ("" = silence), hangup, no-answer, busy or failed; engineers not listed do not answer`)
	f.BoolVar(&o.interactive, "interactive", false, "read the caller's keys from stdin even when it is not a terminal")
	f.IntVar(&o.maxRequests, "max-requests", twiliosim.DefaultMaxRequests, "give up after this many webhook requests (a loop guard)")
	f.BoolVar(&o.pauses, "real-pauses", false, `wait out each <Pause> in real time, as a phone does (always when interactive): a database outage is then ridden out as callers ride it out, "one moment please" a few seconds apart`)
	return cmd
}

// placeCall runs one simulated call and prints its transcript.
func (a *app) placeCall(ctx context.Context, o callOptions, interactive bool, stdin io.Reader) error {
	token, public := a.simulatorTarget(o.token, o.publicURL)
	from := o.from
	if from != "anonymous" && from != "Restricted" {
		n, err := contactinfo.Phone(from)
		if err != nil {
			return usageError{"--from: " + err.Error()}
		}
		from = n
	}
	to, err := a.lineNumber(o.to)
	if err != nil {
		return err
	}
	engineers, err := a.parseEngineerKeys(ctx, o.engineerKeys)
	if err != nil {
		return err
	}

	c := &twiliosim.Call{
		BaseURL:      o.url,
		PublicURL:    public,
		AuthToken:    token,
		From:         from,
		To:           to,
		EngineerKeys: engineers,
		Names:        a.engineerNames(ctx),
		MaxRequests:  o.maxRequests,
	}
	pause := func(e twiliosim.Entry) {
		if e.Kind == twiliosim.KindPause && (o.pauses || interactive) {
			if d, err := time.ParseDuration(e.Text); err == nil {
				time.Sleep(d)
			}
		}
	}
	c.OnEntry = pause
	if interactive {
		in := bufio.NewReader(stdin)
		c.OnEntry = func(e twiliosim.Entry) {
			fmt.Fprint(a.stdout, twiliosim.Transcript{e}.String())
			pause(e)
		}
		c.Keys = func(prompt []string) (string, bool) {
			if len(prompt) > 0 && prompt[len(prompt)-1] == twiliosim.Beep {
				fmt.Fprint(a.stdout, `message after the beep (Enter = silence, "hangup")> `)
			} else {
				fmt.Fprint(a.stdout, `keys (Enter = silence, "hangup")> `)
			}
			line, err := in.ReadString('\n')
			if err != nil && line == "" {
				fmt.Fprintln(a.stdout)
				return "", false
			}
			line = strings.TrimSpace(line)
			return line, line != twiliosim.HangUp
		}
		fmt.Fprintf(a.stdout, "calling %s from %s at %s\n", to, from, o.url)
	} else if o.digits != "" {
		c.Caller = strings.Split(o.digits, ",")
	}

	res, err := c.Run(ctx)
	if err != nil {
		return err
	}
	printErr := a.emit(res, func() {
		if interactive {
			fmt.Fprintf(a.stdout, "call ended: %s after %s (simulated), %d webhook requests\n", res.Status, sla.FormatDuration(res.Duration), len(res.Requests))
			return
		}
		fmt.Fprint(a.stdout, res.String())
	})
	if printErr != nil {
		return printErr
	}
	if res.Failed() {
		return errcode.Errorf(errcode.Unavailable, "the call failed the way Twilio would fail it: %v", res.Failure)
	}
	return nil
}

// parseEngineerKeys reads --engineer-keys: comma-separated NUMBER=KEYS or
// HANDLE=KEYS items.
func (a *app) parseEngineerKeys(ctx context.Context, spec string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(spec) == "" {
		return out, nil
	}
	for _, item := range strings.Split(spec, ",") {
		who, keys, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || who == "" {
			return nil, usageError{fmt.Sprintf("--engineer-keys: %q is not NUMBER=KEYS or HANDLE=KEYS", item)}
		}
		number := who
		if strings.HasPrefix(who, "+") {
			n, err := contactinfo.Phone(who)
			if err != nil {
				return nil, usageError{"--engineer-keys: " + err.Error()}
			}
			number = n
		} else {
			n, found, err := a.resolveEngineer(ctx, who)
			if err != nil {
				return nil, err
			}
			if !found {
				return nil, usageError{fmt.Sprintf("--engineer-keys: unknown engineer %q; give the number the line dials (+1...)", who)}
			}
			number = n
		}
		out[number] = keys
	}
	return out, nil
}

// resolveEngineer maps an engineer's handle (alice) to the number the phone
// line dials for them, from the engineers table of --db (the server's
// database when both run on one machine).
func (a *app) resolveEngineer(ctx context.Context, handle string) (number string, ok bool, err error) {
	db, err := a.openDB(ctx)
	if err != nil {
		return "", false, err
	}
	e, err := (&oncall.Service{DB: db}).Engineer(ctx, handle)
	if errcode.Is(err, errcode.NotFound) || errcode.Is(err, errcode.Invalid) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return e.Phone, true, nil
}

// engineerNames maps the engineers' numbers to their handles, from the
// engineers of --db, so that the transcript says "dialling bob
// (+15555550112)" (the server's database when both run on one machine). It
// creates and migrates nothing, and names nobody when the database is not
// there, has no schema or does not answer within 2 s: the transcript then
// shows the numbers alone, which is still right.
func (a *app) engineerNames(ctx context.Context) map[string]string {
	db := a.db // opened already to resolve a handle in --engineer-keys
	if db == nil {
		if !mayExist(a.dbURL) {
			return nil
		}
		octx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		opened, err := store.Open(octx, a.dbURL)
		if err != nil {
			return nil
		}
		defer opened.Close()
		db, ctx = opened, octx
	}
	engs, err := (&oncall.Service{DB: db}).Engineers(ctx)
	if err != nil {
		return nil
	}
	names := make(map[string]string, len(engs))
	for _, e := range engs {
		names[e.Phone] = e.Handle
	}
	return names
}

// mayExist reports whether the database at dbURL may exist without being
// created by opening it: PostgreSQL's are made by an admin; a SQLite file
// that is not there would be created by the first connection.
func mayExist(dbURL string) bool {
	if dbURL == "" {
		dbURL = store.DefaultURL
	}
	lower := strings.ToLower(dbURL)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		return true
	}
	path := dbURL
	for _, prefix := range []string{"sqlite://", "sqlite:", "file:"} {
		path = strings.TrimPrefix(path, prefix)
	}
	path, _, _ = strings.Cut(path, "?")
	if path == "" || path == ":memory:" {
		return false
	}
	_, err := os.Stat(path)
	return err == nil
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// lineNumber is the support line's number a simulated call or message
// goes to: --to when given (checked), else the policy's line number.
func (a *app) lineNumber(to string) (string, error) {
	if to == "" {
		p, err := a.loadPolicy()
		if err != nil {
			return "", err
		}
		return p.Line.Number, nil
	}
	n, err := contactinfo.Phone(to)
	if err != nil {
		return "", usageError{"--to: " + err.Error()}
	}
	return n, nil
}

// simulatorTarget is what a simulated call or message is signed with:
// the auth token (--token, else TWILIO_AUTH_TOKEN, else the demo token of
// `serve --demo`, so that a demo server needs no setup) and the public URL
// the signature is computed over (--public-url, else
// SUPPORTLINE_PUBLIC_URL; empty means the --url requests go to).
func (a *app) simulatorTarget(token, public string) (string, string) {
	if token == "" {
		token = os.Getenv("TWILIO_AUTH_TOKEN")
	}
	if token == "" {
		token = demoToken
		fmt.Fprintln(a.stderr, "using the demo auth token (set TWILIO_AUTH_TOKEN or --token for a real server)")
	}
	if public == "" {
		public = os.Getenv("SUPPORTLINE_PUBLIC_URL")
	}
	return token, public
}
