package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"supportline/errcode"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestTwilioSenderFormsTheRequest(t *testing.T) {
	tokenEnv := map[string]string{EnvAccountSid: testAccountSid, EnvAuthToken: testAuthToken, EnvFromNumber: testFrom}
	keyEnv := map[string]string{EnvAccountSid: testAccountSid, EnvAPIKey: testAPIKey, EnvAPISecret: testAPISecret, EnvFromNumber: testFrom}
	serviceEnv := map[string]string{EnvAccountSid: testAccountSid, EnvAuthToken: testAuthToken, EnvMessagingServiceSid: testService}
	for _, tc := range []struct {
		name               string
		env                map[string]string
		user, pass         string
		from, service      string
		wantFromFieldEmpty bool
	}{
		{"account SID and auth token", tokenEnv, testAccountSid, testAuthToken, testFrom, "", false},
		{"API key and secret", keyEnv, testAPIKey, testAPISecret, testFrom, "", false},
		{"messaging service", serviceEnv, testAccountSid, testAuthToken, "", testService, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeTwilio(t)
			cfg, ok, err := configFromEnv(envOf(tc.env))
			if err != nil || !ok {
				t.Fatalf("configFromEnv: ok=%v err=%v", ok, err)
			}
			cfg.Transport = fake.transport()
			s, err := NewTwilioSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			body := "SLA warning: ticket 100123 (Acme, Severity 1) is due 03:00Z & unanswered"
			sid, err := s.Send(context.Background(), "+17205550111", body)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if sid != fakeSid(1) {
				t.Errorf("sid = %q, want %q", sid, fakeSid(1))
			}
			reqs := fake.seen()
			if len(reqs) != 1 {
				t.Fatalf("fake saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != "POST" || r.Host != "api.twilio.com" || r.Path != "/2010-04-01/Accounts/"+testAccountSid+"/Messages.json" {
				t.Errorf("request = %s https://%s%s, want POST https://api.twilio.com/2010-04-01/Accounts/%s/Messages.json", r.Method, r.Host, r.Path, testAccountSid)
			}
			if !r.BasicAuth || r.User != tc.user || r.Pass != tc.pass {
				t.Errorf("basic auth = %v %q:%q, want %q:%q", r.BasicAuth, r.User, r.Pass, tc.user, tc.pass)
			}
			if r.ContentType != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type = %q", r.ContentType)
			}
			want := map[string]string{"To": "+17205550111", "Body": body, "From": tc.from, "MessagingServiceSid": tc.service}
			for k, v := range want {
				if got := r.Form.Get(k); got != v {
					t.Errorf("form %s = %q, want %q", k, got, v)
				}
			}
			if _, has := r.Form["From"]; has == tc.wantFromFieldEmpty {
				t.Errorf("form has From = %v, want %v", has, !tc.wantFromFieldEmpty)
			}
			if len(r.Form) != 3 {
				t.Errorf("form = %v, want exactly To, Body and From or MessagingServiceSid", r.Form)
			}
		})
	}
}

func TestTwilioSenderClassifiesErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		answer    fakeAnswer
		permanent bool
		status    int
		code      int
	}{
		{"400 invalid To is permanent", fakeAnswer{status: 400, code: 21211, msg: "Invalid 'To' Phone Number"}, true, 400, 21211},
		{"401 bad credentials is permanent", fakeAnswer{status: 401, code: 20003, msg: "Authenticate"}, true, 401, 20003},
		{"429 too many requests is temporary", fakeAnswer{status: 429, code: 20429, msg: "Too Many Requests"}, false, 429, 20429},
		{"500 is temporary", fakeAnswer{status: 500, code: 20500, msg: "Internal Server Error"}, false, 500, 20500},
		{"503 is temporary", fakeAnswer{status: 503, code: 20503, msg: "Service Unavailable"}, false, 503, 20503},
		{"dropped connection is temporary", fakeAnswer{drop: true}, false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeTwilio(t)
			fake.then(tc.answer)
			_, err := fake.sender(t).Send(context.Background(), "+17205550111", "hello")
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send error = %v (%T), want a *SendError", err, err)
			}
			if se.Permanent != tc.permanent || se.Status != tc.status || se.Code != tc.code {
				t.Errorf("SendError = %+v, want permanent=%v status=%d code=%d", se, tc.permanent, tc.status, tc.code)
			}
			if tc.answer.msg != "" && se.Message != tc.answer.msg {
				t.Errorf("message = %q, want %q", se.Message, tc.answer.msg)
			}
			if fake.deliveries("hello") != 0 {
				t.Error("the fake counted a delivery for an error answer")
			}
		})
	}
}

func TestLogSenderWritesTheSMS(t *testing.T) {
	var buf bytes.Buffer
	s := &LogSender{Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	sid, err := s.Send(withEvent(context.Background(), "ticket:100123:warning"), "+17205550111", "Ticket 100123 needs you")
	if err != nil || sid != "" {
		t.Fatalf("Send = %q, %v", sid, err)
	}
	for _, want := range []string{`"to":"+17205550111"`, `"event":"ticket:100123:warning"`, `"body":"Ticket 100123 needs you"`, `"level":"INFO"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log %q lacks %s", buf.String(), want)
		}
	}
}

func TestSenderFromEnv(t *testing.T) {
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{EnvAccountSid: testAccountSid, EnvAuthToken: testAuthToken, EnvFromNumber: testFrom}
		for k, v := range extra {
			if v == "-" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	const badSecret = "abc$def'ghi"
	for _, tc := range []struct {
		name     string
		env      map[string]string
		wantLog  bool
		wantDesc []string // substrings of the start line
		wantErr  []string // substrings of the error; all must name the variable
	}{
		{name: "nothing set logs", env: map[string]string{}, wantLog: true, wantDesc: []string{"to the log", EnvAccountSid}},
		{name: "blank values count as unset", env: map[string]string{EnvAuthToken: "  "}, wantLog: true, wantDesc: []string{"to the log"}},
		{name: "auth token and from number", env: base(nil), wantDesc: []string{"to Twilio from " + testFrom, testAccountSid, "auth token"}},
		{name: "API key and secret", env: base(map[string]string{EnvAuthToken: "-", EnvAPIKey: testAPIKey, EnvAPISecret: testAPISecret}),
			wantDesc: []string{"to Twilio from " + testFrom, "API key " + testAPIKey}},
		{name: "messaging service", env: base(map[string]string{EnvFromNumber: "-", EnvMessagingServiceSid: testService}),
			wantDesc: []string{"through messaging service " + testService}},
		{name: "auth token alone is the phone line's and logs", env: map[string]string{EnvAuthToken: "supportline-demo-token"}, wantLog: true, wantDesc: []string{"to the log"}},
		{name: "API key without account SID", env: map[string]string{EnvAPIKey: testAPIKey, EnvAPISecret: testAPISecret, EnvFromNumber: testFrom}, wantErr: []string{EnvAPIKey, EnvAccountSid}},
		{name: "from number alone", env: map[string]string{EnvFromNumber: testFrom}, wantErr: []string{EnvFromNumber, EnvAccountSid}},
		{name: "account SID without credential", env: base(map[string]string{EnvAuthToken: "-"}), wantErr: []string{EnvAuthToken, EnvAPIKey}},
		{name: "account SID malformed", env: base(map[string]string{EnvAccountSid: "AC123"}), wantErr: []string{EnvAccountSid, "32 hex"}},
		{name: "account SID not AC", env: base(map[string]string{EnvAccountSid: "SK0123456789abcdef0123456789abcdef"}), wantErr: []string{EnvAccountSid}},
		{name: "credentials without sender", env: base(map[string]string{EnvFromNumber: "-"}), wantErr: []string{EnvFromNumber, EnvMessagingServiceSid}},
		{name: "API key signs REST calls when the auth token is there for webhooks", env: base(map[string]string{EnvAuthToken: "supportline-demo-token", EnvAPIKey: testAPIKey, EnvAPISecret: testAPISecret}),
			wantDesc: []string{"API key " + testAPIKey}},
		{name: "API key without secret", env: base(map[string]string{EnvAuthToken: "-", EnvAPIKey: testAPIKey}), wantErr: []string{EnvAPISecret}},
		{name: "API secret without key", env: base(map[string]string{EnvAuthToken: "-", EnvAPISecret: testAPISecret}), wantErr: []string{EnvAPIKey}},
		{name: "token with punctuation", env: base(map[string]string{EnvAuthToken: badSecret}), wantErr: []string{EnvAuthToken, "letters and digits"}},
		{name: "API secret with punctuation", env: base(map[string]string{EnvAuthToken: "-", EnvAPIKey: testAPIKey, EnvAPISecret: badSecret}), wantErr: []string{EnvAPISecret}},
		{name: "from number not E.164", env: base(map[string]string{EnvFromNumber: "720-555-0100"}), wantErr: []string{EnvFromNumber, "E.164"}},
		{name: "messaging service malformed", env: base(map[string]string{EnvFromNumber: "-", EnvMessagingServiceSid: "MG1"}), wantErr: []string{EnvMessagingServiceSid}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, desc, err := SenderFromEnv(envOf(tc.env), slog.New(slog.DiscardHandler))
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; sender %T, %q", s, desc)
				}
				if !errcode.Is(err, errcode.Invalid) {
					t.Errorf("error code = %s, want invalid", errcode.CodeOf(err))
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				for _, secret := range []string{testAuthToken, testAPISecret, badSecret} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q shows a secret", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch s.(type) {
			case *LogSender:
				if !tc.wantLog {
					t.Fatalf("got a LogSender, want Twilio")
				}
			case *TwilioSender:
				if tc.wantLog {
					t.Fatalf("got a TwilioSender, want the log")
				}
			default:
				t.Fatalf("sender %T", s)
			}
			for _, w := range tc.wantDesc {
				if !strings.Contains(desc, w) {
					t.Errorf("start line %q lacks %q", desc, w)
				}
			}
			for _, secret := range []string{testAuthToken, testAPISecret} {
				if strings.Contains(desc, secret) {
					t.Errorf("start line %q shows a secret", desc)
				}
			}
		})
	}
}
