// Package pins owns the personal PINs that callers key in to prove who they
// are: generating them, hashing them with argon2id, and bounding how many
// hashes run at once.
//
// The PIN is the only secret on the line (caller ID can be spoofed), so this
// package is written so that a PIN never leaves it except as the return value
// of [Generate]: errors describe what is wrong with a stored hash, never the
// PIN or the hash itself. Everything here is pure and database-free; the
// verification service with lockout, throttling and audit builds on
// [Compare], [DummyCompare] and [Pool].
package pins
