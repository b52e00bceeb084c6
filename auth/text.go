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

// newText returns a new token's text: Prefix and the unpadded base64url of
// secretBytes from crypto/rand.
func newText() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes for a token: %w", err)
	}
	return Prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// checkText refuses text that cannot be a token, before any lookup.
func checkText(text string) error {
	switch {
	case text == "":
		return refused("no token")
	case !strings.HasPrefix(text, Prefix):
		return refused("not a Supportline token (no " + Prefix + " prefix)")
	case len(text) != textLen:
		return refused(fmt.Sprintf("malformed token (%d characters, not %d)", len(text), textLen))
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(text[len(Prefix):])
	if err != nil || len(b) != secretBytes {
		return refused("malformed token (not base64url)")
	}
	return nil
}

// hashOf is what is stored of a token: the hex SHA-256 of its text. A
// fast, unsalted hash is right for 256 random bits (nothing to brute-force,
// no dictionary to precompute); PINs, four to eight digits, need a slow one.
func hashOf(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// equalHash compares two hex hashes in constant time.
func equalHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
