package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"supportline/errcode"
)

// TwilioAPIBase is the origin of Twilio's REST API, where every recording
// a voicemail points at lives.
const TwilioAPIBase = "https://api.twilio.com"

// DefaultRecordingTimeout bounds how long Twilio may take to start
// answering a recording request; the audio itself streams for as long as
// the browser listens (the request's context ends it).
const DefaultRecordingTimeout = 15 * time.Second

// recordingPathRE is the path of a recording's media in the 2010-04-01
// API, as Twilio's RecordingUrl gives it (without an extension) or with
// one of the audio extensions.
var recordingPathRE = regexp.MustCompile(`^(/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/Recordings/RE[0-9a-fA-F]{32})(\.mp3|\.wav)?$`)

// Recordings fetches voicemail recordings from Twilio with our
// credentials, for the console to stream them to a browser that never
// sees the credentials or Twilio's address. Only a recording URL at Base
// (Twilio's API) with a recording's path is fetched: a stored URL cannot
// make us send our credentials anywhere else, nor read any other resource
// of the account with them.
type Recordings struct {
	// Username and Password are the credentials of HTTP basic auth, as
	// Twilio's recording media requires: the account SID and the auth
	// token, or an API key SID and its secret.
	Username, Password string
	// Base is the origin a recording must be at: TwilioAPIBase when
	// empty. Tests point it at an httptest server.
	Base string
	// Client makes the requests; nil is a client whose transport waits at
	// most DefaultRecordingTimeout for Twilio's answer and that follows
	// redirects to https addresses only (Go drops the credentials on a
	// redirect to another host).
	Client *http.Client
}

// RecordingsFromEnv builds Recordings from the variables serve reads for
// Twilio (getenv is os.Getenv in production): TWILIO_ACCOUNT_SID with
// TWILIO_API_KEY and TWILIO_API_SECRET, else with TWILIO_AUTH_TOKEN. It
// returns nil, and no error, without TWILIO_ACCOUNT_SID (the demo): the
// console then says how to make voicemails playable.
func RecordingsFromEnv(getenv func(string) string) (*Recordings, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	sid, token, key, secret := get(EnvAccountSid), get(EnvAuthToken), get(EnvAPIKey), get(EnvAPISecret)
	switch {
	case sid == "":
		return nil, nil
	case !accountSidRE.MatchString(sid):
		return nil, errcode.Errorf(errcode.Invalid, "%s must be AC followed by 32 hex digits (it is %d characters long)", EnvAccountSid, len(sid))
	case key != "" && secret != "":
		return &Recordings{Username: key, Password: secret}, nil
	case token != "":
		return &Recordings{Username: sid, Password: token}, nil
	}
	return nil, errcode.Errorf(errcode.Invalid, "%s is set but no credential is: set %s, or %s and %s", EnvAccountSid, EnvAuthToken, EnvAPIKey, EnvAPISecret)
}

// Recording is a recording's media as Twilio answered it. The caller
// closes Body.
type Recording struct {
	// Status is Twilio's: 200, 206 for a range, 416 for a range outside
	// the recording.
	Status int
	// ContentType is Twilio's (audio/mpeg); ContentLength -1 when unknown;
	// ContentRange and AcceptRanges are Twilio's headers of those names,
	// for seeking.
	ContentType   string
	ContentLength int64
	ContentRange  string
	AcceptRanges  string
	Body          io.ReadCloser
}

// MediaURL is the address Fetch requests for recordingURL: the MP3 of a
// recording at Base, or an errcode.Invalid error for any other URL.
func (r *Recordings) MediaURL(recordingURL string) (string, error) {
	base := r.Base
	if base == "" {
		base = TwilioAPIBase
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("recordings base %q: %w", base, err)
	}
	refuse := errcode.New(errcode.Invalid, "the voicemail's address is not a recording of Twilio's API ("+TwilioAPIBase+"/2010-04-01/Accounts/.../Recordings/...): it is not fetched with our credentials")
	u, err := url.Parse(recordingURL)
	if err != nil || u.Scheme != b.Scheme || !strings.EqualFold(u.Host, b.Host) || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawPath != "" {
		return "", refuse
	}
	m := recordingPathRE.FindStringSubmatch(u.Path)
	if m == nil {
		return "", refuse
	}
	return b.Scheme + "://" + b.Host + m[1] + ".mp3", nil
}

// Fetch requests the MP3 of the recording at recordingURL (Twilio's
// RecordingUrl) with our credentials, passing byteRange (a Range header,
// or "") on. A URL that is not a recording at Base is errcode.Invalid and
// nothing is requested; a recording Twilio does not have is
// errcode.NotFound; Twilio refusing our credentials, failing or not
// answering is errcode.Unavailable. The error never holds a credential.
func (r *Recordings) Fetch(ctx context.Context, recordingURL, byteRange string) (*Recording, error) {
	media, err := r.MediaURL(recordingURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, media, nil)
	if err != nil {
		return nil, fmt.Errorf("recording request: %w", err)
	}
	req.SetBasicAuth(r.Username, r.Password)
	if byteRange != "" {
		req.Header.Set("Range", byteRange)
	}
	res, err := r.client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is ours, the cause is what matters
		}
		return nil, errcode.Errorf(errcode.Unavailable, "Twilio could not be reached for the recording: %v", err)
	}
	switch res.StatusCode {
	case http.StatusOK, http.StatusPartialContent, http.StatusRequestedRangeNotSatisfiable:
		return &Recording{Status: res.StatusCode, ContentType: res.Header.Get("Content-Type"), ContentLength: res.ContentLength,
			ContentRange: res.Header.Get("Content-Range"), AcceptRanges: res.Header.Get("Accept-Ranges"), Body: res.Body}, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	switch res.StatusCode {
	case http.StatusNotFound:
		return nil, errcode.New(errcode.NotFound, "Twilio has no such recording (it may have been deleted)")
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, errcode.Errorf(errcode.Unavailable, "Twilio refused our credentials for the recording (%d): check %s and %s", res.StatusCode, EnvAccountSid, EnvAuthToken)
	}
	return nil, errcode.Errorf(errcode.Unavailable, "Twilio answered %d for the recording; try again later", res.StatusCode)
}

func (r *Recordings) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return defaultRecordingClient
}

var defaultRecordingClient = &http.Client{
	Transport: func() http.RoundTripper {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = DefaultRecordingTimeout
		return t
	}(),
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to a %s address refused", req.URL.Scheme)
		}
		return nil
	},
}
