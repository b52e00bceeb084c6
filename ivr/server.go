package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"

	"supportline/accounts"
	"supportline/config"
	"supportline/oncall"
	"supportline/pins"
	"supportline/store"
	"supportline/tickets"
)

// Server answers Twilio's voice webhooks.
type Server struct {
	DB     *store.DB
	Policy *config.Policy
	Pins   *pins.Service
	// Accounts finds the contacts a caller ID matches; Tickets opens and
	// updates tickets inside the webhook's transaction (their Tx methods).
	Accounts  *accounts.Service
	Tickets   *tickets.Service
	Log       *slog.Logger
	PublicURL string   // base of every URL Twilio is given and signs, e.g. https://support.example.com
	Tokens    []string // Twilio auth tokens accepted (primary, then secondary during rotation)
	// Timeout bounds each webhook's backend work, all of it together
	// (Twilio waits 15 s in all); 5 s when zero.
	Timeout time.Duration
	// Gate, when set, is asked before a webhook touches the database: an
	// error means the database is not ready yet (serve started before it
	// could be reached, or is still migrating), and the caller hears "one
	// moment please" as for any database failure.
	Gate func() error
	// Clock reads the real time for the caller's patience during an outage
	// (line.outage_patience); time.Now when nil. It is not the database's
	// clock, which tests freeze.
	Clock func() time.Time

	// fault, when set by tests, is called before each database transaction
	// of a webhook; an error from it is treated like a database failure.
	fault func(step string) error

	rosters oncall.Rosters // who is on call, read again when it changes
	retries statusRetries  // status callbacks the database refused, tried again
}

// Mount registers the webhook routes under /twilio on e, behind the
// signature check.
func (s *Server) Mount(e *echo.Echo) {
	sig := Signatures{PublicURL: s.PublicURL, Tokens: s.Tokens, Log: s.Log}.Middleware()
	g := e.Group("/twilio/voice", s.budget, sig)
	// Each call webhook starts with the same prologue (webhook.go); the
	// recording status callback carries no From or To and has its own, the
	// fallback refuses nothing and has none.
	g.POST("", withParams(s.incoming))
	g.POST("/step", s.withCall("load", s.step))
	g.POST("/prompt", s.withCall("prompt", s.prompt))
	g.POST("/dial", withParams(s.dialAction))
	g.POST("/whisper", withParams(s.whisper))
	g.POST("/whisper/answer", withParams(s.whisperAnswer))
	g.POST("/recording", withParams(s.recording))
	g.POST("/recording/status", s.recordingStatus)
	g.POST("/status", withParams(s.status))
	g.POST("/fallback", s.fallback)
	g.POST("/fallback/next", s.fallbackNext)
	e.POST("/twilio/sms", s.sms, s.budget, sig) // Messaging webhook (sms.go), signed like the rest
}

// defaultTimeout is a webhook's budget when Server.Timeout is zero.
const defaultTimeout = 5 * time.Second

// timeout is the webhook's budget (Timeout, or defaultTimeout). It is read,
// never written back, so a Server is not changed by being mounted.
func (s *Server) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return defaultTimeout
}

// speech is a TwiML document under construction.
type speech []twiml.Element

func (sp *speech) say(text string) { *sp = append(*sp, &twiml.VoiceSay{Message: text}) }
func (sp *speech) pause(secs int) {
	*sp = append(*sp, &twiml.VoicePause{Length: strconv.Itoa(secs)})
}
func (sp *speech) hangup()           { *sp = append(*sp, &twiml.VoiceHangup{}) }
func (sp *speech) redirect(u string) { *sp = append(*sp, &twiml.VoiceRedirect{Url: u}) }
func (sp *speech) add(e twiml.Element) {
	*sp = append(*sp, e)
}

// send writes the document with exactly one XML declaration and the
// Content-Type Twilio expects (c.XMLBlob would add a second declaration).
func send(c echo.Context, sp speech) error {
	doc, err := twiml.Voice(sp)
	if err != nil {
		return fmt.Errorf("render TwiML: %w", err)
	}
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", []byte(doc))
}

// url builds an absolute webhook URL under the public base.
func (s *Server) url(path string, q url.Values) string {
	u := strings.TrimRight(s.PublicURL, "/") + "/twilio/voice" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (s *Server) stepURL(path string, c *Call) string {
	return s.url(path, url.Values{"s": {string(c.Step)}, "q": {strconv.Itoa(c.Seq)}})
}

// prompt words with placeholders filled.
func (s *Server) words(key string, kv ...string) string {
	text := s.Policy.Prompt(key)
	if len(kv) == 0 {
		return text
	}
	pairs := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// spell reads a number digit by digit ("1 0 0 1 2 3").
func spell(n string) string { return strings.Join(strings.Split(n, ""), " ") }

// A webhook's database work chooses its durability by kind, here and
// nowhere else. Tickets, responses, recordings and the PIN claim are
// durable transactions (tx): the commit returns once it is on disk. Moving
// a caller through the menu, recording how a call ended and a declined
// whisper are menu moves (menuTx, lax): they may commit without waiting
// for the disk, because if the database crashed in the next instant and
// lost such a change the caller would hear the step before again, which
// is harmless; on a virtual disk that wait is most of a small write's
// cost. Reads and single guarded writes run statement at a time (lax),
// where BEGIN and COMMIT would be two more round trips. All go through the
// same fault hook and gate (ready).

// menuMoves is how menu moves commit (menuTx, lax).
const menuMoves = store.Lax

// tx runs fn in a durable transaction.
func (s *Server) tx(ctx context.Context, step string, fn func(tx *store.Tx) error) error {
	if err := s.ready(step); err != nil {
		return err
	}
	return s.DB.InTx(ctx, fn)
}

// menuTx runs fn in a transaction that commits as a menu move.
func (s *Server) menuTx(ctx context.Context, step string, fn func(tx *store.Tx) error) error {
	if err := s.ready(step); err != nil {
		return err
	}
	return s.DB.InTx(ctx, fn, menuMoves)
}

// lax runs fn's statements each on its own: reads, and single writes
// guarded by the call's sequence number, which are menu moves.
func (s *Server) lax(ctx context.Context, step string, fn func(q *store.Q) error) error {
	if err := s.ready(step); err != nil {
		return err
	}
	return s.DB.Statements(ctx, fn, menuMoves)
}

// ready is asked before each piece of a webhook's database work (step names
// it for the tests' fault hook): an error is answered as a database failure.
func (s *Server) ready(step string) error {
	if s.fault != nil {
		if err := s.fault(step); err != nil {
			return err
		}
	}
	if s.Gate != nil {
		return s.Gate()
	}
	return nil
}

// budget gives the whole webhook one deadline, Timeout from its arrival:
// every database call, the PIN's hash and the retries of its bookkeeping
// share it, so a webhook answers in time however its database hangs (the
// store bounds each call by its context; see store's bounded connections).
func (s *Server) budget(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.timeout())
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

func (s *Server) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// troublePause is the silence after "one moment please" before the
// webhook is requested again.
const troublePause = 2

// trouble answers a database failure. The caller hears "one moment
// please", a pause, and a redirect that asks for the same step again, for
// as long as line.outage_patience allows since the first failure (t in the
// URL: our own, signed by Twilio with the rest of it); after that the
// apology and what the fallback URL does. A call the database does not
// know (a lost row, a restored backup) starts again at the greeting.
func (s *Server) trouble(c echo.Context, p params, err error) error {
	var sp speech
	if errors.Is(err, errNoCall) {
		s.Log.Warn("webhook for a call the database does not know; starting again at the greeting",
			"call_sid", p.CallSid, "path", c.Request().URL.Path)
		sp.redirect(s.url("", nil))
		return send(c, sp)
	}
	tries, _ := strconv.Atoi(c.QueryParam("r"))
	now := s.now()
	since := now
	if t, perr := strconv.ParseInt(c.QueryParam("t"), 10, 64); perr == nil && t > 0 && t <= now.Unix() {
		since = time.Unix(t, 0)
	}
	waited := now.Sub(since)
	spent := waited >= s.Policy.Line.Patience
	msg := "webhook backend failure"
	if spent {
		msg += "; out of patience, dialling the emergency numbers"
	}
	s.Log.Error(msg, "call_sid", p.CallSid, "path", c.Request().URL.Path,
		"try", tries+1, "waited", waited.Round(time.Second), "err", err)
	if spent {
		sp.say(s.words("apology"))
		s.emergency(&sp, 0)
		return send(c, sp)
	}
	sp.say(s.words("one_moment"))
	sp.pause(troublePause)
	sp.redirect(s.retryURL(c, tries+1, since))
	return send(c, sp)
}

// retryURL is where the redirect after a transient failure goes (r = tries
// so far, t = when the first of them failed, in Unix seconds). A Gather's
// digits cannot travel in a URL (they may be a PIN), so a menu step is
// re-prompted. The first webhook is requested again: its
// call row may not exist yet, and inserting it is idempotent. The Record
// action is requested again with the recording's details in the query (a
// Redirect posts only the call parameters), so the message is not lost; so
// is the Dial action, so that a failing database cannot ring the same
// engineer again and again.
func (s *Server) retryURL(c echo.Context, tries int, since time.Time) string {
	q := url.Values{"r": {strconv.Itoa(tries)}, "t": {strconv.FormatInt(since.Unix(), 10)}}
	switch c.Path() {
	case "/twilio/voice":
		return s.url("", q)
	case "/twilio/voice/dial":
		// The engineer's leg is over; ringing them again would not help.
		// The Dial action itself is tried again, with what Twilio posted to
		// it, so that the call moves on to the next step (or, after three
		// tries, to the fallback) instead of re-dialling the same step.
		for _, k := range []string{"q", "n"} {
			q.Set(k, c.QueryParam(k))
		}
		for _, k := range []string{"DialCallStatus", "DialCallSid", "DialCallDuration"} {
			if v, _ := param(c, k); v != "" { // a malformed one is not carried on
				q.Set(k, v)
			}
		}
		return s.url("/dial", q)
	case "/twilio/voice/recording":
		for _, k := range []string{"c", "empty"} {
			if v := c.QueryParam(k); v != "" {
				q.Set(k, v)
			}
		}
		for _, k := range []string{"RecordingUrl", "RecordingSid", "RecordingDuration"} {
			if v, _ := param(c, k); v != "" { // a malformed one is not carried on
				q.Set(k, v)
			}
		}
		return s.url("/recording", q)
	}
	if st := c.QueryParam("s"); st != "" {
		q.Set("s", st)
		q.Set("q", c.QueryParam("q"))
	}
	return s.url("/prompt", q)
}
