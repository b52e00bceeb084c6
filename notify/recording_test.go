package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"supportline/errcode"
)

const testRecordingPath = "/2010-04-01/Accounts/" + testAccountSid + "/Recordings/RE0123456789abcdef0123456789abcdef"

// fakeRecordings is Twilio's recording media behind basic auth: the MP3
// of the one recording it has, ranges included.
func fakeRecordings(t *testing.T, hits *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if u, p, ok := r.BasicAuth(); !ok || u != testAccountSid || p != testAuthToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case testRecordingPath + ".mp3":
			w.Header().Set("Content-Type", "audio/mpeg")
			w.Header().Set("Accept-Ranges", "bytes")
			if r.Header.Get("Range") == "bytes=2-4" {
				w.Header().Set("Content-Range", "bytes 2-4/10")
				w.WriteHeader(http.StatusPartialContent)
				io.WriteString(w, "D3\x04")
				return
			}
			io.WriteString(w, "ID3\x04audio!")
		case "/boom.mp3":
			w.WriteHeader(http.StatusBadGateway)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRecordingsFetch(t *testing.T) {
	var hits atomic.Int32
	srv := fakeRecordings(t, &hits)
	r := &Recordings{Username: testAccountSid, Password: testAuthToken, Base: srv.URL, Client: srv.Client()}
	ctx := context.Background()

	t.Run("the MP3 with our credentials", func(t *testing.T) {
		for _, stored := range []string{srv.URL + testRecordingPath, srv.URL + testRecordingPath + ".wav"} {
			rec, err := r.Fetch(ctx, stored, "")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rec.Body)
			rec.Body.Close()
			if rec.Status != 200 || rec.ContentType != "audio/mpeg" || string(b) != "ID3\x04audio!" || rec.AcceptRanges != "bytes" {
				t.Errorf("%s: %d %q %q", stored, rec.Status, rec.ContentType, b)
			}
		}
	})
	t.Run("a range", func(t *testing.T) {
		rec, err := r.Fetch(ctx, srv.URL+testRecordingPath, "bytes=2-4")
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Body.Close()
		if rec.Status != http.StatusPartialContent || rec.ContentRange != "bytes 2-4/10" {
			t.Errorf("%d %q", rec.Status, rec.ContentRange)
		}
	})
	t.Run("refused addresses are never requested", func(t *testing.T) {
		before := hits.Load()
		for _, bad := range []string{
			"https://evil.example" + testRecordingPath,
			"https://api.twilio.com" + testRecordingPath, // not this Recordings' base
			srv.URL + "/2010-04-01/Accounts/" + testAccountSid + "/Messages.json",
			srv.URL + testRecordingPath + ".json",
			srv.URL + testRecordingPath + "?x=1",
			srv.URL + testRecordingPath + "/../../Messages",
			strings.Replace(srv.URL, "http://", "http://user:pw@", 1) + testRecordingPath,
			"",
		} {
			if _, err := r.Fetch(ctx, bad, ""); errcode.CodeOf(err) != errcode.Invalid {
				t.Errorf("%q: %v", bad, err)
			}
		}
		if hits.Load() != before {
			t.Errorf("%d requests for refused addresses", hits.Load()-before)
		}
		// Twilio's own host is the default base.
		if got, err := (&Recordings{}).MediaURL("https://api.twilio.com" + testRecordingPath); err != nil || got != "https://api.twilio.com"+testRecordingPath+".mp3" {
			t.Errorf("default base: %q %v", got, err)
		}
		if _, err := (&Recordings{}).MediaURL("https://api.twilio.com.evil.example" + testRecordingPath); err == nil {
			t.Error("a look-alike host is accepted")
		}
	})
	t.Run("Twilio's refusals in words", func(t *testing.T) {
		missing := srv.URL + "/2010-04-01/Accounts/" + testAccountSid + "/Recordings/RE" + strings.Repeat("f", 32)
		if _, err := r.Fetch(ctx, missing, ""); errcode.CodeOf(err) != errcode.NotFound {
			t.Errorf("missing: %v", err)
		}
		wrong := &Recordings{Username: testAccountSid, Password: "wrong", Base: srv.URL, Client: srv.Client()}
		_, err := wrong.Fetch(ctx, srv.URL+testRecordingPath, "")
		if errcode.CodeOf(err) != errcode.Unavailable || strings.Contains(err.Error(), "wrong") {
			t.Errorf("wrong token: %v", err)
		}
	})
}

func TestRecordingsFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name       string
		env        map[string]string
		user, pass string
		none       bool
		invalid    bool
	}{
		{name: "no account SID (the demo)", env: map[string]string{EnvAuthToken: testAuthToken}, none: true},
		{name: "account SID and auth token", env: map[string]string{EnvAccountSid: testAccountSid, EnvAuthToken: testAuthToken}, user: testAccountSid, pass: testAuthToken},
		{name: "API key", env: map[string]string{EnvAccountSid: testAccountSid, EnvAuthToken: testAuthToken, EnvAPIKey: testAPIKey, EnvAPISecret: testAPISecret}, user: testAPIKey, pass: testAPISecret},
		{name: "malformed SID", env: map[string]string{EnvAccountSid: "AC12", EnvAuthToken: testAuthToken}, invalid: true},
		{name: "no credential", env: map[string]string{EnvAccountSid: testAccountSid}, invalid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := RecordingsFromEnv(envOf(tc.env))
			switch {
			case tc.invalid:
				if errcode.CodeOf(err) != errcode.Invalid {
					t.Errorf("err %v", err)
				}
			case err != nil:
				t.Fatal(err)
			case tc.none:
				if r != nil {
					t.Errorf("recordings %+v without an account SID", r)
				}
			case r == nil || r.Username != tc.user || r.Password != tc.pass:
				t.Errorf("recordings %+v", r)
			}
		})
	}
}
