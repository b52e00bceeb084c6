package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"supportline/contactinfo"
	"supportline/errcode"
)

// Sender delivers one SMS and returns the provider's message id (Twilio's
// SM... SID; empty when the provider has none). An error that wraps a
// *SendError with Permanent set is not retried; any other error is.
type Sender interface {
	Send(ctx context.Context, to, body string) (sid string, err error)
}

// SendError is a failed delivery as the provider described it.
type SendError struct {
	// Status is the HTTP status of the provider's answer; 0 when there was
	// no answer (network error, timeout).
	Status int
	// Code is the provider's error code (Twilio's, e.g. 21211); 0 when none.
	Code int
	// Message is the provider's explanation, or the network error's text.
	Message string
	// Permanent means retrying cannot help (Twilio answered 4xx other than
	// 408 and 429): the delivery is marked failed at once.
	Permanent bool
	// Err is the underlying error.
	Err error
}

// Error says what the provider answered, or that it could not be reached.
func (e *SendError) Error() string {
	switch {
	case e.Status != 0 && e.Code != 0:
		return fmt.Sprintf("twilio answered %d, error %d: %s", e.Status, e.Code, e.Message)
	case e.Status != 0:
		return fmt.Sprintf("twilio answered %d: %s", e.Status, e.Message)
	default:
		return "send SMS: " + e.Message
	}
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// eventKey carries the outbox event key of the message being sent to the
// Sender, for its logs (Send's signature stays provider-shaped).
type eventKey struct{}

func withEvent(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, eventKey{}, key)
}

func eventOf(ctx context.Context) string {
	s, _ := ctx.Value(eventKey{}).(string)
	return s
}

// LogSender writes each SMS to the log instead of sending it: the sender
// of local runs and of any deployment without Twilio credentials.
type LogSender struct {
	Log *slog.Logger // nil: slog.Default()
}

var _ Sender = (*LogSender)(nil)

// Send logs the message (recipient, event and body) at info level and
// reports it delivered, with no SID.
func (s *LogSender) Send(ctx context.Context, to, body string) (string, error) {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	log.LogAttrs(ctx, slog.LevelInfo, "sms (not sent: no Twilio credentials)",
		slog.String("to", to), slog.String("event", eventOf(ctx)), slog.String("body", body))
	return "", nil
}

// DefaultTwilioTimeout bounds one request to Twilio's REST API. twilio-go
// takes no context, so this timeout is all that stops a hung request; keep
// it well under Worker.ClaimFor.
const DefaultTwilioTimeout = 15 * time.Second

// TwilioConfig is what TwilioSender needs. Credentials are either the
// account SID and auth token (Username = AccountSid, Password = token) or
// an API key and its secret (Username = key SID, Password = secret).
type TwilioConfig struct {
	AccountSid string
	Username   string
	Password   string
	// From is the sending number (E.164); MessagingServiceSid (MG...) lets
	// Twilio pick one from a pool. At least one is required; with both,
	// Twilio sends from From through the service.
	From                string
	MessagingServiceSid string
	// Timeout per request; DefaultTwilioTimeout when zero.
	Timeout time.Duration
	// Transport for the HTTP client; nil is http.DefaultTransport. Tests
	// point it at a fake of the REST API.
	Transport http.RoundTripper
}

var (
	accountSidRE = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	serviceSidRE = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	alnumRE      = regexp.MustCompile(`^[A-Za-z0-9]+$`)
)

// TwilioSender sends SMS with twilio-go's REST client (Messages.json of the
// 2010-04-01 API).
type TwilioSender struct {
	api        *openapi.ApiService
	accountSid string
	from       string
	service    string
}

var _ Sender = (*TwilioSender)(nil)

// NewTwilioSender checks cfg and builds the sender. Errors name the field,
// never a secret's value.
func NewTwilioSender(cfg TwilioConfig) (*TwilioSender, error) {
	switch {
	case !accountSidRE.MatchString(cfg.AccountSid):
		return nil, errcode.New(errcode.Invalid, "Twilio account SID must be AC followed by 32 hex digits")
	case cfg.Username == "" || !alnumRE.MatchString(cfg.Username):
		return nil, errcode.New(errcode.Invalid, "Twilio username (account SID or API key) must be letters and digits only")
	case cfg.Password == "" || !alnumRE.MatchString(cfg.Password):
		return nil, errcode.New(errcode.Invalid, "Twilio password (auth token or API secret) must be letters and digits only")
	case cfg.From == "" && cfg.MessagingServiceSid == "":
		return nil, errcode.New(errcode.Invalid, "Twilio sender needs a from number or a messaging service SID")
	case cfg.MessagingServiceSid != "" && !serviceSidRE.MatchString(cfg.MessagingServiceSid):
		return nil, errcode.New(errcode.Invalid, "Twilio messaging service SID must be MG followed by 32 hex digits")
	}
	if cfg.From != "" {
		if err := contactinfo.ValidPhone(cfg.From); err != nil {
			return nil, errcode.Errorf(errcode.Invalid, "Twilio from number %q is not E.164: %v", cfg.From, err)
		}
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTwilioTimeout
	}
	c := &client.Client{
		Credentials: client.NewCredentials(cfg.Username, cfg.Password),
		HTTPClient: &http.Client{
			Timeout:   timeout,
			Transport: cfg.Transport,
			// Like twilio-go's default client: never follow a redirect
			// with credentials.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	// With a Client given, NewRestClientWithParams ignores Username,
	// Password and AccountSid: the client itself must carry the account.
	c.SetAccountSid(cfg.AccountSid)
	rest := twilio.NewRestClientWithParams(twilio.ClientParams{
		Username:   cfg.Username,
		Password:   cfg.Password,
		AccountSid: cfg.AccountSid,
		Client:     c,
	})
	return &TwilioSender{api: rest.Api, accountSid: cfg.AccountSid, from: cfg.From, service: cfg.MessagingServiceSid}, nil
}

// Send creates the message. twilio-go takes no context: a request in
// flight runs to its answer or to the HTTP timeout; ctx is only checked
// before it starts. Errors are *SendError: Twilio's 4xx (except 408 and
// 429) are permanent; 5xx, 408, 429 and network errors are temporary.
func (s *TwilioSender) Send(ctx context.Context, to, body string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	p := &openapi.CreateMessageParams{}
	p.SetPathAccountSid(s.accountSid)
	p.SetTo(to)
	if s.from != "" {
		p.SetFrom(s.from)
	}
	if s.service != "" {
		p.SetMessagingServiceSid(s.service)
	}
	p.SetBody(body)
	msg, err := s.api.CreateMessage(p)
	if err != nil {
		return "", classifyTwilio(err)
	}
	if msg.Sid == nil {
		return "", nil
	}
	return *msg.Sid, nil
}

func classifyTwilio(err error) *SendError {
	var re *client.TwilioRestError
	if errors.As(err, &re) {
		permanent := re.Status >= 400 && re.Status < 500 &&
			re.Status != http.StatusRequestTimeout && re.Status != http.StatusTooManyRequests
		return &SendError{Status: re.Status, Code: re.Code, Message: re.Message, Permanent: permanent, Err: err}
	}
	// Network errors, timeouts, and error answers whose body is not
	// Twilio's JSON (a proxy's 502 page): worth another try.
	return &SendError{Message: err.Error(), Err: err}
}

// The environment variables SenderFromEnv reads.
const (
	EnvAccountSid          = "TWILIO_ACCOUNT_SID"
	EnvAuthToken           = "TWILIO_AUTH_TOKEN"
	EnvAPIKey              = "TWILIO_API_KEY"
	EnvAPISecret           = "TWILIO_API_SECRET"
	EnvFromNumber          = "TWILIO_FROM_NUMBER"
	EnvMessagingServiceSid = "TWILIO_MESSAGING_SERVICE_SID"
)

// SenderFromEnv picks the sender from the environment (getenv is
// os.Getenv in production). SMS go to Twilio when TWILIO_ACCOUNT_SID is set
// with a credential (TWILIO_API_KEY and TWILIO_API_SECRET, else
// TWILIO_AUTH_TOKEN) and a sender (TWILIO_FROM_NUMBER and/or
// TWILIO_MESSAGING_SERVICE_SID). When none of those SMS variables is set
// they go to a LogSender writing to log; TWILIO_AUTH_TOKEN alone does not
// count, because the phone line needs it to verify webhooks whether or not
// SMS are wanted. SenderFromEnv also returns a sentence for serve's start
// line saying where SMS go (never a secret). A partial or malformed SMS
// configuration is an errcode.Invalid error naming the variable to fix, so
// a typo never silently turns SMS into log lines.
func SenderFromEnv(getenv func(string) string, log *slog.Logger) (Sender, string, error) {
	cfg, ok, err := configFromEnv(getenv)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return &LogSender{Log: log}, fmt.Sprintf("SMS go to the log, not to Twilio: no Twilio SMS credentials (set %s, %s and %s to send)",
			EnvAccountSid, EnvAuthToken, EnvFromNumber), nil
	}
	s, err := NewTwilioSender(cfg)
	if err != nil {
		return nil, "", err
	}
	via := "from " + cfg.From
	if cfg.MessagingServiceSid != "" {
		via = "through messaging service " + cfg.MessagingServiceSid
		if cfg.From != "" {
			via += " from " + cfg.From
		}
	}
	auth := "auth token"
	if cfg.Username != cfg.AccountSid {
		auth = "API key " + cfg.Username
	}
	return s, fmt.Sprintf("SMS go to Twilio %s (account %s, %s)", via, cfg.AccountSid, auth), nil
}

// configFromEnv reads and checks the TWILIO_* variables; ok is false when
// no SMS variable is set (TWILIO_AUTH_TOKEN alone is the phone line's).
func configFromEnv(getenv func(string) string) (cfg TwilioConfig, ok bool, err error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	sid, token := get(EnvAccountSid), get(EnvAuthToken)
	key, secret := get(EnvAPIKey), get(EnvAPISecret)
	from, service := get(EnvFromNumber), get(EnvMessagingServiceSid)
	if sid == "" && key == "" && secret == "" && from == "" && service == "" {
		return TwilioConfig{}, false, nil
	}
	bad := func(format string, args ...any) (TwilioConfig, bool, error) {
		return TwilioConfig{}, false, errcode.Errorf(errcode.Invalid, format, args...)
	}
	notAlnum := "%s must contain only letters and digits (check for quotes or stray characters)"
	switch {
	case sid == "":
		set := firstSet(get, EnvAPIKey, EnvAPISecret, EnvFromNumber, EnvMessagingServiceSid)
		return bad("%s is set but %s is not: set it to the account SID (AC...) to send SMS, or unset %s to log SMS instead", set, EnvAccountSid, set)
	case !accountSidRE.MatchString(sid):
		return bad("%s must be AC followed by 32 hex digits (it is %d characters long)", EnvAccountSid, len(sid))
	case key != "" && secret == "":
		return bad("%s is set but %s is not", EnvAPIKey, EnvAPISecret)
	case secret != "" && key == "":
		return bad("%s is set but %s is not", EnvAPISecret, EnvAPIKey)
	case key == "" && token == "":
		return bad("%s is set but no credential is: set %s, or %s and %s", EnvAccountSid, EnvAuthToken, EnvAPIKey, EnvAPISecret)
	}
	// An API key, when given, signs the REST calls; the auth token then
	// only verifies webhooks.
	user, pass := sid, token
	if key != "" {
		user, pass = key, secret
		if !alnumRE.MatchString(key) {
			return bad(notAlnum, EnvAPIKey)
		}
		if !alnumRE.MatchString(secret) {
			return bad(notAlnum, EnvAPISecret)
		}
	} else if !alnumRE.MatchString(token) {
		return bad(notAlnum, EnvAuthToken)
	}
	switch {
	case from == "" && service == "":
		return bad("Twilio credentials are set but neither %s nor %s is: set one to say where SMS come from", EnvFromNumber, EnvMessagingServiceSid)
	case service != "" && !serviceSidRE.MatchString(service):
		return bad("%s must be MG followed by 32 hex digits", EnvMessagingServiceSid)
	}
	if from != "" {
		if err := contactinfo.ValidPhone(from); err != nil {
			return bad("%s=%q is not an E.164 number such as +17205550100: %v", EnvFromNumber, from, err)
		}
	}
	return TwilioConfig{AccountSid: sid, Username: user, Password: pass, From: from, MessagingServiceSid: service}, true, nil
}

func firstSet(get func(string) string, keys ...string) string {
	for _, k := range keys {
		if get(k) != "" {
			return k
		}
	}
	return keys[0]
}
