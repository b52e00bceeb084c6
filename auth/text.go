package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// NewSecret returns a new secret's text (an API token's, a session
// cookie's, a set-password link's, a calendar feed's): prefix and the
// unpadded base64url of 32 bytes from crypto/rand. Store only HashSecret
// of it.
func NewSecret(prefix string) (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes for a secret: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// newText returns a new token's text.
func newText() (string, error) { return NewSecret(Prefix) }

// checkSecret refuses text that cannot be a secret made by newSecret with
// prefix, before any lookup.
func checkSecret(text, prefix string) error {
	switch {
	case text == "":
		return refused("no secret")
	case !strings.HasPrefix(text, prefix):
		return refused("not a Supportline token (no " + prefix + " prefix)")
	case len(text) != len(prefix)+base64.RawURLEncoding.EncodedLen(secretBytes):
		return refused(fmt.Sprintf("malformed (%d characters, not %d)", len(text), len(prefix)+base64.RawURLEncoding.EncodedLen(secretBytes)))
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(text[len(prefix):])
	if err != nil || len(b) != secretBytes {
		return refused("malformed (not base64url)")
	}
	return nil
}

// WellFormed reports whether text could be a secret NewSecret made with
// prefix: anything else is refused before any lookup.
func WellFormed(text, prefix string) bool { return checkSecret(text, prefix) == nil }

// checkText refuses text that cannot be a token, before any lookup.
func checkText(text string) error {
	if text == "" {
		return refused("no token")
	}
	return checkSecret(text, Prefix)
}

// HashSecret is what is stored of a secret: the hex SHA-256 of its text.
// A fast, unsalted hash is right for 256 random bits (nothing to
// brute-force, no dictionary to precompute); PINs, four to eight digits,
// need a slow one.
func HashSecret(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// EqualHash compares two hex hashes in constant time.
func EqualHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
