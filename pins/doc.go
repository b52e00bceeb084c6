// Package pins owns the personal PINs that callers key in to prove who they
// are: generating them, hashing them with argon2id, bounding how many hashes
// run at once, and the verification service with its lockout, per-number
// throttle, rotation and audit events.
//
// The PIN is the only secret on the line (caller ID can be spoofed), so this
// package is written so that a PIN never leaves it except as the return value
// of [Generate] and [Service.Rotate]: errors describe what is wrong with a
// stored hash, never the PIN or the hash itself, and neither logs nor audit
// events nor any table ever hold one. Callers key their PIN at the
// support-ID prompt too, so what matched no contact is kept only as a keyed
// hash without a digit in it ([Service.Claim], [Claim]).
//
// The pure part ([Generate], [Blocked], [Hash], [Compare], [DummyCompare],
// [Pool]) touches no database. [Service] builds on it: counters live in the
// database and are updated atomically, so replicas share them. A
// verification ([Service.Verify]) is refused after two reads when locked or
// throttled; otherwise it reserves room (attempts in flight are reservations,
// never failures), waits for room when as many attempts are in flight as
// failures are left, hashes outside any transaction, and settles: only then
// is a wrong PIN counted. A support ID that is not a contact with a current
// PIN locks exactly as a real one does, under its keyed hash, so the answers
// do not tell which support IDs exist.
package pins
