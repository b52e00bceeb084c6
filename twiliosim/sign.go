package twiliosim

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// SignatureHeader is the header Twilio puts its request signature in.
const SignatureHeader = "X-Twilio-Signature"

// Sign computes Twilio's X-Twilio-Signature for a request to rawURL (the full
// URL Twilio requested, query string included) carrying the POST parameters
// form: base64(HMAC-SHA1(token, rawURL + every name+value, sorted by name)).
// A GET request has its parameters in rawURL and passes a nil form.
func Sign(token, rawURL string, form url.Values) string {
	names := make([]string, 0, len(form))
	for name := range form {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(rawURL)
	for _, name := range names {
		values := append([]string(nil), form[name]...)
		sort.Strings(values)
		for _, v := range values {
			b.WriteString(name)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// NewCallSid returns a fresh call SID: "CA" and 32 lowercase hex digits.
func NewCallSid() string { return newSid("CA") }

// newSid returns prefix and 32 random lowercase hex digits, the shape of
// every Twilio SID.
func newSid(prefix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("twiliosim: no randomness: " + err.Error())
	}
	return prefix + hex.EncodeToString(b[:])
}

// NewRequest builds a form-encoded POST of form to rawURL, signed with token
// as Twilio would sign it. signURL is the URL the signature is computed over
// (the public URL the server validates against); empty means rawURL. Tests
// use it to replay a webhook or to tamper with the signature before sending.
func NewRequest(ctx context.Context, rawURL, signURL string, form url.Values, token string) (*http.Request, error) {
	if signURL == "" {
		signURL = rawURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(SignatureHeader, Sign(token, signURL, form))
	req.Header.Set("User-Agent", "TwilioProxy/1.1 (twiliosim)")
	return req, nil
}

// Post sends one signed webhook request, the signature computed over rawURL
// itself, with http.DefaultClient. The caller closes the response body.
func Post(ctx context.Context, rawURL string, form url.Values, token string) (*http.Response, error) {
	req, err := NewRequest(ctx, rawURL, "", form, token)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}
