package notify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"supportline/config"
	"supportline/contactinfo"
	"supportline/errcode"
	"supportline/store"
)

// Receipt is the SMS a caller's contact gets when their call opens a
// ticket on a plan with receipt_sms: true: the ticket number, the priority
// and when the first response is due.
type Receipt struct {
	// Number is the ticket's number (100123).
	Number int64
	// Plan and Priority are the ticket's; the plan decides whether a
	// receipt is sent at all, and in which zone its due time is written.
	Plan     string
	Priority int
	// ResponseDue is when the first response is due.
	ResponseDue time.Time
	// To is the contact's phone on file (accounts), never the caller ID of
	// the call: a caller ID is whatever the caller says it is, and texting
	// it would let anyone make us send SMS to numbers of their choosing
	// (SMS pumping). The phone line fills it only once the PIN is verified.
	To string
}

// ReceiptDueLayout is how a receipt writes the due time (in the plan's
// zone, config.Policy.PlanZone): "Wed Nov 18 11:00 MST".
const ReceiptDueLayout = "Mon Jan 2 15:04 MST"

// ReceiptKey is the outbox event key of ticket number's receipt: with the
// recipient it makes the receipt one row however often the event repeats.
func ReceiptKey(number int64) string { return fmt.Sprintf("ticket:%d:receipt", number) }

// ReceiptBody is the text of r: the policy's receipt_sms prompt with its
// placeholders filled.
func ReceiptBody(policy *config.Policy, r Receipt) string {
	pr, _ := policy.Priority(r.Priority)
	due := r.ResponseDue.In(policy.PlanZone(r.Plan, r.Priority)).Format(ReceiptDueLayout)
	return strings.NewReplacer(
		"{line}", policy.Line.Name,
		"{ticket}", strconv.FormatInt(r.Number, 10),
		"{priority_word}", policy.PriorityWord(),
		"{level}", strconv.Itoa(r.Priority),
		"{name}", pr.Name,
		"{due}", due,
	).Replace(policy.Prompt("receipt_sms"))
}

// TextReceiptTx queues, in tx (the transaction that opens the ticket, so
// both commit or neither), the receipt r when r's plan sets receipt_sms.
// It returns whether a message was queued: false when the plan sends no
// receipts, and when the ticket's receipt was queued before (a replayed
// webhook), so a ticket gets one receipt at most. A recipient that is not
// an E.164 number is an errcode.Invalid error returned before anything is
// written, so the caller may go on with its transaction.
func TextReceiptTx(ctx context.Context, tx *store.Tx, policy *config.Policy, r Receipt) (bool, error) {
	plan, ok := policy.Plan(r.Plan)
	if !ok || !plan.ReceiptSMS {
		return false, nil
	}
	if err := contactinfo.ValidPhone(r.To); err != nil {
		return false, errcode.Errorf(errcode.Invalid, "no receipt for ticket %d: the contact's phone on file is not an E.164 number: %v", r.Number, err)
	}
	return Enqueue(ctx, tx, Message{EventKey: ReceiptKey(r.Number), To: r.To, Body: ReceiptBody(policy, r)})
}
