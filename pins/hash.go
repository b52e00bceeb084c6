package pins

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Sizes and bounds of the stored hash. The upper bounds on cost exist
// because Compare takes its parameters from the stored string: without them a
// corrupted or planted row could make one verification allocate gigabytes or
// run for minutes, defeating the memory bound of the Pool.
const (
	saltLen      = 16
	keyLen       = 32
	minSaltLen   = 8  // RFC 9106's minimum; shorter salts are not ours
	maxSaltLen   = 64 // far above ours; keeps parsing cost bounded
	maxMemoryKiB = 256 * 1024
	maxTime      = 10
	maxThreads   = 8
)

// b64 is the PHC string encoding: standard alphabet, no padding. Strict
// rejects encodings with non-zero trailing bits, so each hash has exactly one
// accepted spelling.
var b64 = base64.RawStdEncoding.Strict()

// ErrCorrupt reports a stored hash that cannot be, or must not be, verified
// against: malformed, another algorithm or version, or costs outside the
// bounds we accept. It is always wrapped with the reason, and the reason never
// quotes the stored string (it might be a PIN stored in clear by mistake).
var ErrCorrupt = errors.New("pins: corrupt PIN hash")

// Params are the argon2id cost parameters. The zero value is invalid; start
// from DefaultParams. Params is comparable, so callers can test whether a
// stored hash needs re-hashing with ==.
type Params struct {
	MemoryKiB uint32 // memory per hash in KiB; also what one Pool slot may use
	Time      uint32 // passes over memory
	Threads   uint8  // lanes; x/crypto runs them on that many goroutines
}

// DefaultParams returns OWASP's minimum recommendation for argon2id
// (19 MiB, 2 passes, 1 lane): about 35 ms on one core of our 2-core machine, so a 2-core server still
// verifies dozens of callers a second while an offline attacker with a leaked
// hash pays the memory cost for every guess.
func DefaultParams() Params {
	return Params{MemoryKiB: 19456, Time: 2, Threads: 1}
}

// Validate checks p against the bounds Hash and Compare accept. Memory must
// be at least 8 KiB per lane (argon2's own minimum; x/crypto would silently
// round it up, producing hashes other implementations reject) and at most
// 256 MiB; time 1..10; threads 1..8.
func (p Params) Validate() error {
	switch {
	case p.Threads < 1:
		return errors.New("argon2 threads 0 below 1")
	case p.Threads > maxThreads:
		return fmt.Errorf("argon2 threads %d above %d", p.Threads, maxThreads)
	case p.Time < 1:
		return errors.New("argon2 time 0 below 1")
	case p.Time > maxTime:
		return fmt.Errorf("argon2 time %d above %d", p.Time, maxTime)
	case p.MemoryKiB < 8*uint32(p.Threads):
		return fmt.Errorf("argon2 memory %d KiB below 8 KiB per thread (%d threads)", p.MemoryKiB, p.Threads)
	case p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("argon2 memory %d KiB above %d KiB", p.MemoryKiB, maxMemoryKiB)
	}
	return nil
}

// Hash returns the PHC string of pin under p with a fresh random salt, ready
// to store. It fails only for invalid params or a broken random source; the
// error never contains the PIN.
func Hash(pin string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("pins: hash: %w", err)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("pins: hash: read salt: %w", err)
	}
	return hashWithSalt(pin, salt, p), nil
}

// hashWithSalt is Hash with the salt given, for known-answer tests. p must be
// valid (argon2.IDKey panics on zero threads).
func hashWithSalt(pin string, salt []byte, p Params) string {
	key := argon2.IDKey([]byte(pin), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return encode(p, salt, key)
}

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Compare reports whether pin matches the stored PHC string encoded, and
// returns the parameters the string was hashed with. The key comparison is
// constant-time.
//
// After a successful match the caller should re-hash pin with the current
// parameters and store the result when params != current, so that raising
// the cost in the policy file upgrades every contact at their next call
// without anyone rotating PINs.
//
// A string that is malformed, not argon2id v=19, or has costs outside
// [Params.Validate]'s bounds, a salt under 8 bytes or a key other than 32
// bytes yields an error wrapping ErrCorrupt; no hash is computed for it. The
// error names the defect, never the PIN or the stored string.
func Compare(encoded, pin string) (ok bool, params Params, err error) {
	p, salt, want, err := parse(encoded)
	if err != nil {
		return false, Params{}, err
	}
	got := argon2.IDKey([]byte(pin), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, p, nil
}

// Fixed decoy for DummyCompare. The key is arbitrary bytes, not the hash of
// any PIN, so no input matches it (short of a 2^-256 chance).
var (
	decoySalt = []byte("supportlinedecoy")
	decoyKey  = []byte{
		0x5e, 0x1b, 0xa7, 0x3c, 0x90, 0x44, 0xd2, 0x0f, 0x6a, 0xe8, 0x17, 0xb3, 0x2d, 0x81, 0xc6, 0x59,
		0xf0, 0x3e, 0x72, 0x0b, 0x9d, 0x46, 0xa1, 0xe5, 0x28, 0x7c, 0xbf, 0x13, 0x64, 0xd9, 0x05, 0x8a,
	}
)

// DummyCompare does the work of a failed Compare (parse, argon2id under p,
// constant-time compare) against a fixed decoy hash and discards the result.
// Call it for an unknown support ID with the current parameters, so that
// such a request takes as long and uses as much memory as a wrong PIN and an
// attacker cannot enumerate support IDs by timing. Invalid p falls back to
// DefaultParams so the work is never skipped.
func DummyCompare(pin string, p Params) {
	_, _, _ = Compare(decoy(p), pin)
}

func decoy(p Params) string {
	if p.Validate() != nil {
		p = DefaultParams()
	}
	return encode(p, decoySalt, decoyKey)
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// parse splits a PHC string $argon2id$v=19$m=M,t=T,p=P$SALT$KEY, strictly:
// fields in that order, canonical decimals, canonical unpadded base64.
func parse(encoded string) (p Params, salt, key []byte, err error) {
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" {
		return p, nil, nil, corrupt("not a PHC string with 5 $-separated fields")
	}
	if f[1] != "argon2id" {
		return p, nil, nil, corrupt("algorithm is not argon2id")
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, corrupt("version is not v=%d", argon2.Version)
	}
	if p, err = parseParams(f[3]); err != nil {
		return p, nil, nil, err
	}
	if salt, err = b64.DecodeString(f[4]); err != nil {
		return p, nil, nil, corrupt("salt is not unpadded standard base64")
	}
	if len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, nil, nil, corrupt("salt of %d bytes outside %d..%d", len(salt), minSaltLen, maxSaltLen)
	}
	if key, err = b64.DecodeString(f[5]); err != nil {
		return p, nil, nil, corrupt("key is not unpadded standard base64")
	}
	if len(key) != keyLen {
		return p, nil, nil, corrupt("key of %d bytes, want %d", len(key), keyLen)
	}
	return p, salt, key, nil
}

func parseParams(s string) (Params, error) {
	kv := strings.Split(s, ",")
	if len(kv) != 3 {
		return Params{}, corrupt("parameters are not m=,t=,p=")
	}
	var vals [3]uint32
	for i, name := range [3]string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(kv[i], name+"=")
		if !ok {
			return Params{}, corrupt("parameters are not m=,t=,p=")
		}
		n, err := parseDecimal(v)
		if err != nil {
			return Params{}, corrupt("parameter %s is not a decimal uint32", name)
		}
		vals[i] = n
	}
	// Check threads before narrowing to uint8, or p=257 would read as 1.
	if vals[2] > maxThreads {
		return Params{}, corrupt("argon2 threads %d above %d", vals[2], maxThreads)
	}
	p := Params{MemoryKiB: vals[0], Time: vals[1], Threads: uint8(vals[2])}
	if err := p.Validate(); err != nil {
		return Params{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return p, nil
}

// parseDecimal accepts only canonical PHC decimals: digits, no sign, no
// leading zero.
func parseDecimal(s string) (uint32, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}
