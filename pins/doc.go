// Package pins owns the personal PINs that callers key in to prove who they
// are: generating them, hashing them with argon2id, bounding how many hashes
// run at once, and the verification service with its lockout, per-number
// throttle, rotation and audit events.
//
// The PIN is the only secret on the line (caller ID can be spoofed), so this
// package is written so that a PIN never leaves it except as the return value
// of [Generate] and [Service.Rotate]: errors describe what is wrong with a
// stored hash, never the PIN or the hash itself, and neither logs nor audit
// events nor any table ever hold one.
//
// The pure part ([Generate], [Blocked], [Hash], [Compare], [DummyCompare],
// [Pool]) touches no database. [Service] builds on it: counters live in the
// database and are updated atomically, so replicas share them.
package pins
