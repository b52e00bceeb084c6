package pins

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"supportline/errcode"
	"supportline/store"
)

// Claim is who a caller says they are: what the phone line keeps between
// the support-ID prompt and the PIN prompt. Exactly one field is set.
//
// Support IDs and PINs are both 8 digits, and callers do key their PIN at
// the support-ID prompt, so an entry that matched no contact may be a PIN.
// Such an entry is kept only as its keyed hash: nothing that holds a Claim
// (a call row, a log line, an audit event) can hold a digit of it.
type Claim struct {
	// SupportID is set when the entry was the support ID of a current
	// contact, or when caller ID matched one (KnownClaim). Support IDs are
	// not secret.
	SupportID string
	// Key is set when the entry matched no current contact: its keyed hash
	// (HMAC-SHA256 under Service.Secret, the first 128 bits spelled with the
	// letters a to p, 32 letters). It contains no decimal digit, so nothing
	// derived from a PIN can ever match a search for one.
	Key string
}

// KnownClaim is the claim of a contact the line identified without asking,
// by caller ID: no lookup, since Verify looks the contact up anyway (and
// treats one removed since like any unmatched entry).
func KnownClaim(supportID string) Claim { return Claim{SupportID: supportID} }

// String is what logs and audit events may show of a claim: the support
// ID, or "unmatched entry" and the first 8 letters of the key.
func (c Claim) String() string {
	if c.Key != "" {
		return unmatched(c.Key)
	}
	return "support ID " + c.SupportID
}

// unmatched is the audit subject and log name of an entry that matched no
// contact with a current PIN.
func unmatched(key string) string {
	if len(key) > 8 {
		key = key[:8]
	}
	return "unmatched entry " + key
}

// Claim turns what a caller keyed at the support-ID prompt into a Claim:
// the support ID when entry is that of a current contact, the entry's
// keyed hash otherwise. The digits of an unmatched entry go no further: the
// error (for a database failure only) never quotes them either.
func (s *Service) Claim(ctx context.Context, entry string) (Claim, error) {
	found := false
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		_, err := s.contactTx(ctx, q, entry)
		switch {
		case err == nil:
			found = true
			return nil
		case errcode.Is(err, errcode.Invalid), errcode.Is(err, errcode.NotFound):
			// Both messages quote the entry: dropped here.
			return nil
		}
		return err
	})
	if err != nil {
		return Claim{}, fmt.Errorf("look up support ID: %w", err)
	}
	if found {
		return Claim{SupportID: entry}, nil
	}
	return Claim{Key: s.entryKey(entry)}, nil
}

// keyLetters spell a key's nibbles: hexadecimal with a-p for 0-f.
const keyLetters = "abcdefghijklmnop"

// entryKeyLen is the length of a key: 16 bytes of HMAC, two letters each.
const entryKeyLen = 32

// entryKey is the keyed hash of an entry. The domain string keeps it apart
// from any other use of the same secret.
func (s *Service) entryKey(entry string) string {
	m := hmac.New(sha256.New, s.secret())
	m.Write([]byte("supportline pins entry v1\x00"))
	m.Write([]byte(entry))
	sum := m.Sum(nil)[:entryKeyLen/2]
	out := make([]byte, entryKeyLen)
	for i, b := range sum {
		out[2*i], out[2*i+1] = keyLetters[b>>4], keyLetters[b&0x0f]
	}
	return string(out)
}

// validKey reports whether k is a key entryKey could have made.
func validKey(k string) bool {
	if len(k) != entryKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 'a' || k[i] > 'p' {
			return false
		}
	}
	return true
}

// secret is Service.Secret, or a random key made once per Service when it
// is empty.
func (s *Service) secret() []byte {
	if len(s.Secret) > 0 {
		return s.Secret
	}
	s.secretOnce.Do(func() {
		s.randomSecret = make([]byte, 32)
		_, _ = rand.Read(s.randomSecret) // never fails (crypto/rand crashes the program instead)
	})
	return s.randomSecret
}
