// Package ivr is the phone line: Twilio's voice webhooks, their signature
// check, the call state machine and the TwiML it answers with.
//
// Every webhook loads the call's row (keyed by CallSid), checks that the
// request is for the step and sequence number the call is at, and moves the
// call on in one transaction. A replayed or late webhook for an earlier
// step re-prompts the current step and changes nothing. The fallback URL
// works without the database.
package ivr
