package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/labstack/echo/v4"

	"supportline/auth"
	"supportline/store"
)

// IdempotencyHeader is the request header that makes a creating write
// safe to retry (draft-ietf-httpapi-idempotency-key-header).
const IdempotencyHeader = "Idempotency-Key"

// ReplayedHeader marks an answer that is the stored answer of an earlier
// request with the same key, not a new one.
const ReplayedHeader = "Idempotent-Replayed"

// IdempotencyTTL is how long a key is remembered: a retry within it gets
// the first answer; after it the key is forgotten (and pruned) and the same
// key is a new request.
const IdempotencyTTL = 24 * time.Hour

// abandonAfter is how long a key may stay pending before a retry may take
// it over: the first request's process died between reserving the key and
// recording its answer. It is far longer than any request runs (the admin
// listener's write timeout is 30 s), so a slow first request is never
// overtaken; the cost is that a retry after such a crash gets 409 for
// these minutes.
const abandonAfter = 5 * time.Minute

// idempotencyMode is how an operation treats a repeated key.
type idempotencyMode uint8

const (
	// replay answers a repeat with the stored first answer.
	replay idempotencyMode = iota + 1
	// once answers a repeat with 409: the first answer held a secret,
	// which is never stored, so it cannot be given again.
	once
)

// idempotentOps are the operations that accept an Idempotency-Key: the
// writes that create something, by operation ID. Rotating a PIN is once:
// its answer is the PIN, shown once and never stored, so a repeat is
// refused with 409 instead of creating a second PIN or handing out the
// first one again. Mount panics if one of these is not registered.
var idempotentOps = map[string]idempotencyMode{
	"create-account": replay,
	"add-contact":    replay,
	"add-engineer":   replay,
	"add-schedule":   replay,
	"add-override":   replay,
	"note-ticket":    replay,
	"rotate-pin":     once,
}

// The states of a key's row.
const (
	keyPending = "pending"
	keyDone    = "done"
)

// checkIdempotencyKey refuses a key that is not 1 to 255 printable ASCII
// characters.
func checkIdempotencyKey(k string) error {
	if k == "" || len(k) > 255 {
		return fmt.Errorf("the %s header must be 1 to 255 characters", IdempotencyHeader)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return fmt.Errorf("the %s header must be printable ASCII", IdempotencyHeader)
		}
	}
	return nil
}

// idempotent is the middleware of the operations in idempotentOps when
// the request carries an Idempotency-Key: it reserves the key for the
// caller's token in the database (replicas share it), runs the operation
// with its answer held back, records a successful answer and only then
// sends it, so that a client that saw the answer always gets it again.
// A refused request frees its key (and leaves no row), so a corrected
// retry may use it. The same key for a different request (method, path
// or body) is 422; a repeat while the first still runs is 409.
func (s *Server) idempotent(ctx huma.Context, next func(huma.Context)) {
	mode := idempotentOps[ctx.Operation().OperationID]
	key := ctx.Header(IdempotencyHeader)
	if mode == 0 || key == "" {
		next(ctx)
		return
	}
	if err := checkIdempotencyKey(key); err != nil {
		// The field list of a validation error, as huma's own for the
		// parameters it checks (this one is declared after registering).
		_ = huma.WriteErr(s.api, ctx, http.StatusBadRequest, err.Error(),
			&huma.ErrorDetail{Message: err.Error(), Location: "header." + IdempotencyHeader})
		return
	}
	body, err := io.ReadAll(io.LimitReader(ctx.BodyReader(), MaxBody+1))
	var he *echo.HTTPError
	switch {
	case len(body) > MaxBody || (errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge):
		_ = huma.WriteErr(s.api, ctx, http.StatusRequestEntityTooLarge, tooLarge)
		return
	case err != nil:
		_ = huma.WriteErr(s.api, ctx, http.StatusBadRequest, "the request body could not be read")
		return
	}
	u := ctx.URL()
	sum := sha256.Sum256([]byte(ctx.Method() + "\n" + u.EscapedPath() + "?" + u.RawQuery + "\n" + string(body)))
	// The key's token by the hash api_tokens stores, found without a second
	// lookup by name (a revoked token's name may be given to a new token);
	// authenticate has let only a Bearer token through.
	text, _ := bearerToken(ctx.Header("Authorization"))
	k := keyRef{token: auth.HashSecret(text), key: key}
	first, err := s.reserveKey(ctx.Context(), k, hex.EncodeToString(sum[:]))
	if err != nil {
		s.log().ErrorContext(ctx.Context(), "api: reserve idempotency key", "operation", ctx.Operation().OperationID, "err", err)
		_ = huma.WriteErr(s.api, ctx, http.StatusInternalServerError, internalMessage)
		return
	}
	switch {
	case first.mismatch:
		writeStatusProblem(ctx, http.StatusUnprocessableEntity,
			"this Idempotency-Key was used for a different request (another path or body) within 24 hours; use a new key")
		return
	case first.state == keyPending:
		_ = huma.WriteErr(s.api, ctx, http.StatusConflict,
			"a request with this Idempotency-Key is still in progress; retry later")
		return
	case first.state == keyDone && mode == once:
		_ = huma.WriteErr(s.api, ctx, http.StatusConflict,
			"the request with this Idempotency-Key was done already, and its answer held a secret shown only once; send a new key to do it again")
		return
	case first.state == keyDone:
		if first.contentType != "" {
			ctx.SetHeader("Content-Type", first.contentType)
		}
		ctx.SetHeader(ReplayedHeader, "true")
		ctx.SetStatus(first.status)
		_, _ = ctx.BodyWriter().Write(first.body)
		return
	}

	held := &heldContext{inner: ctx, body: bytes.NewReader(body)}
	recorded := false
	defer func() {
		// A panic or a refusal frees the key; the answer goes out after
		// the key's row says what it was.
		if !recorded {
			s.releaseKey(ctx.Context(), k)
		}
	}()
	next(held)
	if held.status >= 200 && held.status < 300 {
		var stored []byte
		if mode == replay {
			stored = held.out.Bytes()
		}
		if err := s.recordKey(ctx.Context(), k, held.status, held.contentType, stored); err != nil {
			// The work is done and the answer goes out; a retry finds the
			// key pending, then abandoned.
			s.log().ErrorContext(ctx.Context(), "api: record idempotency key", "operation", ctx.Operation().OperationID, "err", err)
		}
		recorded = true
	}
	if held.status != 0 {
		ctx.SetStatus(held.status)
	}
	_, _ = ctx.BodyWriter().Write(held.out.Bytes())
}

// heldContext is a request whose body was read already and whose answer
// is held back until the key's row records it.
type heldContext struct {
	inner
	body        io.Reader
	status      int
	contentType string
	out         bytes.Buffer
}

func (c *heldContext) BodyReader() io.Reader { return c.body }
func (c *heldContext) SetStatus(code int)    { c.status = code }
func (c *heldContext) Status() int           { return c.status }
func (c *heldContext) BodyWriter() io.Writer { return &c.out }
func (c *heldContext) SetHeader(name, value string) {
	if strings.EqualFold(name, "Content-Type") {
		c.contentType = value
	}
	c.inner.SetHeader(name, value)
}

// inner is huma.Context under a name that is not one of its methods, so
// that heldContext can embed it.
type inner = huma.Context

// writeStatusProblem writes a problem document with a status that
// newError would turn into another (422).
func writeStatusProblem(ctx huma.Context, status int, msg string) {
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetStatus(status)
	_ = huma.DefaultJSONFormat.Marshal(ctx.BodyWriter(),
		&huma.ErrorModel{Type: "about:blank", Status: status, Title: http.StatusText(status), Detail: msg})
}

// keyRef names a key's row: the token (by its hash) and the key.
type keyRef struct{ token, key string }

// firstRequest is what the key's row says of the first request with it;
// the zero value means this request reserved the key and goes ahead.
type firstRequest struct {
	mismatch    bool
	state       string
	status      int
	contentType string
	body        []byte
}

const tokenOfKey = `(SELECT id FROM api_tokens WHERE hash = ?)`

// reserveKey prunes the keys older than IdempotencyTTL, then reserves k
// as pending, or reports the first request that holds it.
func (s *Server) reserveKey(ctx context.Context, k keyRef, requestHash string) (firstRequest, error) {
	var first firstRequest
	err := s.Tokens.DB.InTx(ctx, func(tx *store.Tx) error {
		first = firstRequest{}
		if _, err := tx.Exec(ctx, `DELETE FROM api_idempotency_keys WHERE created_at <= ?`, tx.At().Add(-IdempotencyTTL)); err != nil {
			return fmt.Errorf("prune idempotency keys: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM api_idempotency_keys WHERE token_id = `+tokenOfKey+` AND key = ? AND state = ? AND created_at <= ?`,
			k.token, k.key, keyPending, tx.At().Add(-abandonAfter)); err != nil {
			return fmt.Errorf("drop abandoned idempotency key: %w", err)
		}
		res, err := tx.Exec(ctx, `INSERT INTO api_idempotency_keys (token_id, key, request_hash, created_at, state)
			SELECT id, ?, ?, ?, ? FROM api_tokens WHERE hash = ?
			ON CONFLICT (token_id, key) DO NOTHING`, k.key, requestHash, tx.At(), keyPending, k.token)
		if err != nil {
			return fmt.Errorf("reserve idempotency key: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var row struct {
			RequestHash string         `db:"request_hash"`
			State       string         `db:"state"`
			Status      sql.NullInt64  `db:"status"`
			ContentType sql.NullString `db:"content_type"`
			Body        []byte         `db:"body"`
		}
		err = tx.Get(ctx, &row, `SELECT request_hash, state, status, content_type, body FROM api_idempotency_keys
			WHERE token_id = `+tokenOfKey+` AND key = ?`, k.token, k.key)
		if errors.Is(err, sql.ErrNoRows) {
			return errors.New("the token of an idempotency key is gone")
		}
		if err != nil {
			return fmt.Errorf("read idempotency key: %w", err)
		}
		first = firstRequest{mismatch: row.RequestHash != requestHash, state: row.State,
			status: int(row.Status.Int64), contentType: row.ContentType.String, body: row.Body}
		return nil
	})
	return first, err
}

// recordKey records the answer of k's request; body is nil when the
// answer must not be stored (it held a secret: the operation is once).
func (s *Server) recordKey(ctx context.Context, k keyRef, status int, contentType string, body []byte) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return s.Tokens.DB.Statements(ctx, func(q *store.Q) error {
		_, err := q.Exec(ctx, `UPDATE api_idempotency_keys SET state = ?, status = ?, content_type = ?, body = ?
			WHERE token_id = `+tokenOfKey+` AND key = ?`, keyDone, status, contentType, body, k.token, k.key)
		return err
	})
}

// releaseKey frees k after its request was refused (or panicked).
func (s *Server) releaseKey(ctx context.Context, k keyRef) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := s.Tokens.DB.Statements(ctx, func(q *store.Q) error {
		_, err := q.Exec(ctx, `DELETE FROM api_idempotency_keys WHERE token_id = `+tokenOfKey+` AND key = ? AND state = ?`,
			k.token, k.key, keyPending)
		return err
	})
	if err != nil {
		s.log().ErrorContext(ctx, "api: free idempotency key", "err", err)
	}
}

// declareIdempotency adds the Idempotency-Key header and the answers it
// may cause (409, 422) to the document's operations in idempotentOps.
func (s *Server) declareIdempotency() {
	found := map[string]bool{}
	for _, item := range s.api.OpenAPI().Paths {
		op := item.Post
		if op == nil || idempotentOps[op.OperationID] == 0 {
			continue
		}
		found[op.OperationID] = true
		one, most := 1, 255
		doc := "Makes the request safe to retry: the same key with the same request from the same token within 24 hours " +
			"gets the first answer (marked " + ReplayedHeader + ": true) and creates nothing twice. 1 to 255 printable ASCII characters."
		if idempotentOps[op.OperationID] == once {
			doc = "The same key with the same request from the same token within 24 hours is refused (409), not done twice: " +
				"the first answer held a secret that is shown once and never stored. 1 to 255 printable ASCII characters."
		}
		op.Parameters = append(op.Parameters, &huma.Param{Name: IdempotencyHeader, In: "header", Description: doc,
			Schema: &huma.Schema{Type: "string", MinLength: &one, MaxLength: &most, Pattern: "^[ -~]+$"}, Example: "b7c1e0d2-5f4a-4c1e-9a51-1f0c2d7e8a90"})
		problem := op.Responses["400"]
		if problem == nil {
			panic("api: operation " + op.OperationID + " has no 400 answer to model its idempotency answers on")
		}
		for status, desc := range map[string]string{
			"409": "Conflict: the request with this Idempotency-Key is still in progress, or was done and its answer is not kept.",
			"422": "Unprocessable Content: this Idempotency-Key was used for a different request.",
		} {
			if op.Responses[status] == nil {
				op.Responses[status] = &huma.Response{Description: desc, Content: problem.Content}
			}
		}
	}
	for id := range idempotentOps {
		if !found[id] {
			panic("api: idempotent operation " + id + " is not registered")
		}
	}
}
