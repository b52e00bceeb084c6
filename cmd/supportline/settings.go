package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"supportline/api"
	"supportline/errcode"
	"supportline/notify"
	"supportline/tickets"
)

// serveSettings is everything serve takes from its flags and the
// environment, read and checked in one place before the database is
// opened, so that a typo in any of them stops serve in its first second
// with one line naming the variable, not after it has migrated a database.
type serveSettings struct {
	Addr string // the Twilio listener's address (--addr, SUPPORTLINE_ADDR)
	// AdminAddr is the admin listener's address (--admin-addr,
	// SUPPORTLINE_ADMIN_ADDR): metrics, the admin API and the console,
	// kept off the listener that faces the internet.
	AdminAddr string
	// AdminURL is the admin listener's public base URL
	// (SUPPORTLINE_ADMIN_URL), without a trailing slash; "" when unset
	// (see consoleURL).
	AdminURL string
	// CORSOrigins are the browser origins the admin API answers CORS
	// requests from (SUPPORTLINE_ADMIN_CORS_ORIGINS); none by default, and
	// then no CORS header is sent.
	CORSOrigins []string
	Demo        bool // --demo
	// PublicURL is the base URL Twilio reaches serve at, without a
	// trailing slash (SUPPORTLINE_PUBLIC_URL).
	PublicURL string
	// Tokens are the Twilio auth tokens webhooks may be signed with: the
	// primary (TWILIO_AUTH_TOKEN), then the one being rotated out
	// (TWILIO_AUTH_TOKEN_SECONDARY) or "".
	Tokens []string
	// EntrySecret keys the hashes of unmatched support-ID entries
	// (SUPPORTLINE_SECRET, else derived from the auth token: entrySecret).
	EntrySecret []byte
	// WatchInterval is the SLA breach watcher's interval
	// (SUPPORTLINE_WATCH_INTERVAL).
	WatchInterval time.Duration
	// Log is the logger (SUPPORTLINE_LOG_LEVEL, SUPPORTLINE_LOG_FORMAT).
	Log *slog.Logger
	// Sender sends SMS (the TWILIO_* SMS variables, notify.SenderFromEnv);
	// SMSWhere says where they go, for the start line.
	Sender   notify.Sender
	SMSWhere string
	// Recordings fetches voicemail audio for the console to play
	// (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or an API key); nil
	// without an account SID, and then the console says why it cannot.
	Recordings *notify.Recordings
}

// serveFlags are serve's flags, each address with whether it came from its
// environment variable rather than the flag, for the error's words.
type serveFlags struct {
	Addr, AdminAddr               string
	AddrFromEnv, AdminAddrFromEnv bool
	Demo                          bool
}

// readServeSettings reads serve's settings through getenv (os.Getenv in
// production) and f. The log writes to logTo.
func readServeSettings(getenv func(string) string, f serveFlags, logTo io.Writer) (serveSettings, error) {
	addr, demo := f.Addr, f.Demo
	s := serveSettings{Addr: addr, AdminAddr: f.AdminAddr, Demo: demo}
	var err error
	addrName, adminName := settingName("--addr", "SUPPORTLINE_ADDR", f.AddrFromEnv), settingName("--admin-addr", "SUPPORTLINE_ADMIN_ADDR", f.AdminAddrFromEnv)
	if err := checkListenAddr(addrName, addr, "8080"); err != nil {
		return s, err
	}
	if err := checkListenAddr(adminName, f.AdminAddr, "8081"); err != nil {
		return s, err
	}
	if sameListenAddr(addr, f.AdminAddr) {
		return s, errcode.Errorf(errcode.Invalid, "%s=%q overlaps %s=%q: the admin API needs an address of its own, such as 127.0.0.1:8081", adminName, f.AdminAddr, addrName, addr)
	}
	if s.AdminURL, err = adminURLFromEnv(getenv); err != nil {
		return s, err
	}
	origins, err := api.ParseCORSOrigins(getenv("SUPPORTLINE_ADMIN_CORS_ORIGINS"))
	if err != nil {
		return s, errcode.Errorf(errcode.Invalid, "SUPPORTLINE_ADMIN_CORS_ORIGINS: %v", err)
	}
	s.CORSOrigins = origins
	log, err := loggerFromEnv(getenv, logTo)
	if err != nil {
		return s, err
	}
	s.Log = log

	token, secondary := getenv("TWILIO_AUTH_TOKEN"), getenv("TWILIO_AUTH_TOKEN_SECONDARY")
	public := getenv("SUPPORTLINE_PUBLIC_URL")
	if demo {
		if token == "" {
			token = demoToken
		}
		if public == "" {
			public = "http://localhost" + portOf(addr)
		}
	}
	if token == "" {
		return s, errcode.New(errcode.Invalid, "set TWILIO_AUTH_TOKEN (your Twilio auth token, used to verify webhook signatures), or run serve --demo")
	}
	for name, v := range map[string]string{"TWILIO_AUTH_TOKEN": token, "TWILIO_AUTH_TOKEN_SECONDARY": secondary} {
		if strings.TrimSpace(v) != v || strings.ContainsAny(v, "\"' ") {
			return s, errcode.Errorf(errcode.Invalid, "%s holds spaces or quotes (check how it was pasted): no webhook signed with it could be verified", name)
		}
	}
	if public == "" {
		return s, errcode.New(errcode.Invalid, "set SUPPORTLINE_PUBLIC_URL (the https:// base URL Twilio reaches this server at), or run serve --demo")
	}
	if err := checkPublicURL("SUPPORTLINE_PUBLIC_URL", public); err != nil {
		return s, err
	}
	s.PublicURL, s.Tokens = strings.TrimRight(public, "/"), []string{token, secondary}
	if s.EntrySecret, err = entrySecret(getenv("SUPPORTLINE_SECRET"), token); err != nil {
		return s, err
	}
	if s.WatchInterval, err = watchInterval(getenv); err != nil {
		return s, err
	}
	if s.Recordings, err = notify.RecordingsFromEnv(getenv); err != nil {
		return s, err
	}
	s.Sender, s.SMSWhere, err = notify.SenderFromEnv(getenv, log.With("component", "sms"))
	return s, err
}

// checkPublicURL refuses a base URL of the public listener (named name in
// the error) that is not an absolute http:// or https:// URL with a host:
// serve's SUPPORTLINE_PUBLIC_URL, and feed create's --public-url, which
// defaults to it and must be read the same way.
func checkPublicURL(name, v string) error {
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errcode.Errorf(errcode.Invalid, "%s %q must start with https:// (or http:// for local tests) and name a host", name, v)
	}
	return nil
}

// adminURLFromEnv reads SUPPORTLINE_ADMIN_URL, the admin listener's base
// URL as browsers reach it (behind a proxy, say): an absolute http:// or
// https:// URL without a query or fragment, returned without its trailing
// slash; "" when unset.
func adminURLFromEnv(getenv func(string) string) (string, error) {
	v := getenv("SUPPORTLINE_ADMIN_URL")
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.TrimSpace(v) != v {
		return "", errcode.Errorf(errcode.Invalid, "SUPPORTLINE_ADMIN_URL=%q must be an absolute http:// or https:// URL without a query, such as https://support-admin.example.com", v)
	}
	return strings.TrimRight(v, "/"), nil
}

// consoleURL is the console's base URL, where a browser opens it and
// where the links the CLI prints (user add's set-password link) point:
// adminURL (SUPPORTLINE_ADMIN_URL, adminURLFromEnv) when set, else
// http:// and the admin listener's address, 127.0.0.1 for one that
// listens on every interface. serve passes the address it bound; the CLI,
// which binds none, the address serve would (SUPPORTLINE_ADMIN_ADDR or
// defaultAdminAddr).
func consoleURL(adminURL, adminAddr string) string {
	if adminURL != "" {
		return adminURL
	}
	host, port, err := net.SplitHostPort(adminAddr)
	if err != nil {
		return "http://" + adminAddr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// settingName is the name a setting is known by in an error: its flag,
// or its environment variable when the value came from there.
func settingName(flag, env string, fromEnv bool) string {
	if fromEnv {
		return env
	}
	return flag
}

// checkListenAddr refuses a value that is not host:port with a numeric
// port (0 to 65535); the host may be empty (every interface).
func checkListenAddr(name, v, port string) error {
	_, p, err := net.SplitHostPort(v)
	if err == nil {
		var n int
		n, err = strconv.Atoi(p)
		if err == nil && (n < 0 || n > 65535) {
			err = strconv.ErrRange
		}
	}
	if err != nil {
		return errcode.Errorf(errcode.Invalid, "%s=%q is not a listen address such as :%s or 127.0.0.1:%s", name, v, port, port)
	}
	return nil
}

// sameListenAddr says whether two checked listen addresses would take the
// same socket: the same port (other than 0, which picks a free one) on the
// same host, or on every interface for either.
func sameListenAddr(a, b string) bool {
	ha, pa, _ := net.SplitHostPort(a)
	hb, pb, _ := net.SplitHostPort(b)
	if pa != pb || pa == "0" {
		return false
	}
	every := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || every(ha) || every(hb)
}

// watchInterval is the breach watcher's interval: 15 s, or
// SUPPORTLINE_WATCH_INTERVAL.
func watchInterval(getenv func(string) string) (time.Duration, error) {
	v := getenv("SUPPORTLINE_WATCH_INTERVAL")
	if v == "" {
		return tickets.DefaultWatchInterval, nil
	}
	interval, err := time.ParseDuration(v)
	if err != nil || interval <= 0 {
		return 0, errcode.Errorf(errcode.Invalid, "SUPPORTLINE_WATCH_INTERVAL=%q is not a positive duration such as 15s", v)
	}
	return interval, nil
}

// loggerFromEnv builds serve's logger: SUPPORTLINE_LOG_LEVEL (debug, info,
// warn or error; info when unset) and SUPPORTLINE_LOG_FORMAT (text or
// json; text when unset). A value outside those is refused rather than
// ignored, so that "json " or "DEBUG2" does not silently log otherwise.
func loggerFromEnv(getenv func(string) string, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	switch v := getenv("SUPPORTLINE_LOG_LEVEL"); strings.ToLower(v) {
	case "", "info":
		level = slog.LevelInfo
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return nil, errcode.Errorf(errcode.Invalid, "SUPPORTLINE_LOG_LEVEL=%q is not one of debug, info, warn, error", v)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch v := getenv("SUPPORTLINE_LOG_FORMAT"); strings.ToLower(v) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, errcode.Errorf(errcode.Invalid, "SUPPORTLINE_LOG_FORMAT=%q is not text or json", v)
	}
}

// entrySecret is the key of the keyed hashes under which support-ID entries
// that match no contact are counted and locked (pins.Claim): a database
// copied off the server then holds nothing that turns back into the
// digits, which may have been a PIN. SUPPORTLINE_SECRET sets it; without
// it, it is derived from the Twilio auth token, so that replicas agree and
// restarts keep the locks (rotating the token then resets the locks of
// unknown entries, not of contacts).
//
// serve and the CLI's pin commands (which clear such locks) must agree, so
// both take it from here. Nil when neither is set (a CLI without the
// server's environment).
func entrySecret(secret, token string) ([]byte, error) {
	if secret != "" {
		if len(secret) < 16 {
			return nil, errcode.New(errcode.Invalid, "SUPPORTLINE_SECRET must be at least 16 characters (e.g. the output of: openssl rand -hex 32)")
		}
		return []byte(secret), nil
	}
	if token == "" {
		return nil, nil
	}
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("supportline: keyed hashes of unmatched support-ID entries"))
	return m.Sum(nil), nil
}

// portOf is the ":port" of a listen address, ":8080" when it has none.
func portOf(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i:]
	}
	return ":8080"
}
