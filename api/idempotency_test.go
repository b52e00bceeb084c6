package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"supportline/api"
	"supportline/auth"
	"supportline/store"
	"supportline/store/storetest"
)

// send is harness.do with extra request headers, and errors (not fatal)
// so that it may run in goroutines.
func (h *harness) send(method, path, token string, body any, header map[string]string) response {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			h.t.Error(err)
			return response{}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.http.URL+api.Prefix+path, rd)
	if err != nil {
		h.t.Error(err)
		return response{}
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Error(err)
		return response{}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Error(err)
	}
	out := response{Status: res.StatusCode, Header: res.Header, Body: raw}
	h.validate(req, out)
	return out
}

// count is the number of rows of table.
func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	_, rows := storetest.Rows(t, db, table)
	return len(rows)
}

func key(k string) map[string]string { return map[string]string{api.IdempotencyHeader: k} }

func TestIdempotencyReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		acme := map[string]any{"name": "Acme Corp", "plan": "enterprise"}
		first := h.send("POST", "/accounts", h.admin, acme, key("crm-create-1")).want(t, http.StatusCreated)
		if first.Header.Get(api.ReplayedHeader) != "" {
			t.Errorf("a first answer is marked replayed")
		}
		events := count(t, db, "audit_events")

		t.Run("replay returns the first answer and creates nothing", func(t *testing.T) {
			again := h.send("POST", "/accounts", h.admin, acme, key("crm-create-1")).want(t, http.StatusCreated)
			if !bytes.Equal(again.Body, first.Body) {
				t.Errorf("replay body %s, want the first %s", again.Body, first.Body)
			}
			if again.Header.Get(api.ReplayedHeader) != "true" {
				t.Errorf("replay not marked %s: %v", api.ReplayedHeader, again.Header)
			}
			if n := count(t, db, "accounts"); n != 1 {
				t.Errorf("%d accounts after a replay, want 1", n)
			}
			if n := count(t, db, "audit_events"); n != events {
				t.Errorf("a replay recorded %d audit events", n-events)
			}
		})
		t.Run("same key with another body is 422", func(t *testing.T) {
			before := h.rows()
			p := h.send("POST", "/accounts", h.admin, map[string]any{"name": "Other Corp", "plan": "enterprise"}, key("crm-create-1")).
				want(t, http.StatusUnprocessableEntity).Problem(t)
			if !strings.Contains(p.Detail, "different request") {
				t.Errorf("detail %q", p.Detail)
			}
			h.unchanged(before, "a reused key")
		})
		t.Run("same key on another path is 422", func(t *testing.T) {
			h.send("POST", "/engineers", h.admin, map[string]any{"handle": "bob", "name": "Bob", "phone": "+17205550112"}, key("crm-create-1")).
				want(t, http.StatusUnprocessableEntity)
		})
		t.Run("another token's same key is another request", func(t *testing.T) {
			other := h.token("crm2", auth.Admin, "")
			res := h.send("POST", "/accounts", other, acme, key("crm-create-1")).want(t, http.StatusCreated)
			if bytes.Equal(res.Body, first.Body) || res.Header.Get(api.ReplayedHeader) != "" {
				t.Errorf("another token got the first token's answer: %s", res.Body)
			}
			if n := count(t, db, "accounts"); n != 2 {
				t.Errorf("%d accounts, want 2", n)
			}
		})
		t.Run("a refused request frees its key", func(t *testing.T) {
			before := h.rows()
			h.send("POST", "/accounts", h.admin, map[string]any{"name": "Beta", "plan": "no-such-plan"}, key("crm-create-2")).
				want(t, http.StatusBadRequest)
			h.unchanged(before, "a refused request with a key")
			h.send("POST", "/accounts", h.admin, map[string]any{"name": "Beta", "plan": "enterprise"}, key("crm-create-2")).
				want(t, http.StatusCreated)
		})
		t.Run("without a key every request creates", func(t *testing.T) {
			n := count(t, db, "accounts")
			h.send("POST", "/accounts", h.admin, acme, nil).want(t, http.StatusCreated)
			h.send("POST", "/accounts", h.admin, acme, nil).want(t, http.StatusCreated)
			if got := count(t, db, "accounts"); got != n+2 {
				t.Errorf("%d accounts, want %d", got, n+2)
			}
		})
		t.Run("a key is forgotten after 24 h (2026-11-19 15:00 UTC)", func(t *testing.T) {
			n := count(t, db, "accounts")
			storetest.ClockOf(db).Advance(api.IdempotencyTTL)
			res := h.send("POST", "/accounts", h.admin, acme, key("crm-create-1")).want(t, http.StatusCreated)
			if bytes.Equal(res.Body, first.Body) || res.Header.Get(api.ReplayedHeader) != "" {
				t.Errorf("an expired key replayed: %s", res.Body)
			}
			if got := count(t, db, "accounts"); got != n+1 {
				t.Errorf("%d accounts, want %d", got, n+1)
			}
			// The old keys were pruned: only the new one is left.
			if got := count(t, db, "api_idempotency_keys"); got != 1 {
				t.Errorf("%d keys after 24 h, want 1 (the new one): %s", got, storetest.DumpTable(t, db, "api_idempotency_keys"))
			}
		})
	})
}

func TestIdempotencyBadKey(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	before := h.rows()
	for name, k := range map[string]string{"too long": strings.Repeat("k", 256), "not ASCII": "clé"} {
		t.Run(name, func(t *testing.T) {
			h.send("POST", "/accounts", h.admin, map[string]any{"name": "Acme", "plan": "enterprise"}, key(k)).want(t, http.StatusBadRequest)
		})
	}
	h.unchanged(before, "a bad key")
	h.send("POST", "/accounts", h.admin, map[string]any{"name": "Acme", "plan": "enterprise"}, key(strings.Repeat("k", 255))).
		want(t, http.StatusCreated)
}

func TestIdempotencyPinRotateNotReplayed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.send("POST", "/accounts", h.admin, map[string]any{"name": "Acme", "plan": "enterprise", "number": "100100"}, nil).want(t, http.StatusCreated)
		var c struct {
			SupportID string `json:"support_id"`
		}
		h.send("POST", "/accounts/100100/contacts", h.admin, map[string]any{"name": "Dana", "phone": "+17205550100"}, key("c1")).
			want(t, http.StatusCreated).JSON(t, &c)
		path := "/contacts/" + c.SupportID + "/pin/rotate"
		var rotated struct {
			PIN string `json:"pin"`
		}
		h.send("POST", path, h.admin, nil, key("rotate-1")).want(t, http.StatusOK).JSON(t, &rotated)
		if rotated.PIN == "" {
			t.Fatal("no PIN in the first answer")
		}
		pins := storetest.DumpTable(t, db, "pin_credentials")
		p := h.send("POST", path, h.admin, nil, key("rotate-1")).want(t, http.StatusConflict).Problem(t)
		if strings.Contains(p.Detail, rotated.PIN) || !strings.Contains(p.Detail, "shown only once") {
			t.Errorf("repeat detail %q", p.Detail)
		}
		if got := storetest.DumpTable(t, db, "pin_credentials"); got != pins {
			t.Errorf("a repeated rotate changed the PIN:\n%s\n%s", pins, got)
		}
		if keys := storetest.DumpTable(t, db, "api_idempotency_keys"); strings.Contains(keys, rotated.PIN) {
			t.Errorf("the PIN was stored with its key: %s", keys)
		}
		// A new key rotates again.
		h.send("POST", path, h.admin, nil, key("rotate-2")).want(t, http.StatusOK)
	})
}

func TestIdempotencyPending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		body := `{"name":"Acme","plan":"enterprise"}`
		sum := sha256.Sum256([]byte("POST\n" + api.Prefix + "/accounts?\n" + body))
		// The first request's row while it runs (or after its process died).
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Exec(context.Background(), `INSERT INTO api_idempotency_keys (token_id, key, request_hash, created_at, state)
				SELECT id, 'k1', ?, ?, 'pending' FROM api_tokens WHERE name = 'crm'`, hex.EncodeToString(sum[:]), tx.At())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var in map[string]any
		_ = json.Unmarshal([]byte(body), &in)
		h.send("POST", "/accounts", h.admin, in, key("k1")).want(t, http.StatusConflict)
		if n := count(t, db, "accounts"); n != 0 {
			t.Errorf("%d accounts while the key is pending", n)
		}
		storetest.ClockOf(db).Advance(5 * time.Minute)
		h.send("POST", "/accounts", h.admin, in, key("k1")).want(t, http.StatusCreated)
		h.send("POST", "/accounts", h.admin, in, key("k1")).want(t, http.StatusCreated)
		if n := count(t, db, "accounts"); n != 1 {
			t.Errorf("%d accounts after taking over an abandoned key, want 1", n)
		}
	})
}

func TestIdempotencyConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		const n = 6
		var wg sync.WaitGroup
		answers := make([]response, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = h.send("POST", "/engineers", h.admin,
					map[string]any{"handle": "bob", "name": "Bob", "phone": "+17205550112"}, key("eng-bob"))
			}()
		}
		wg.Wait()
		fresh := 0
		for _, a := range answers {
			switch {
			case a.Status == http.StatusCreated && a.Header.Get(api.ReplayedHeader) == "":
				fresh++
			case a.Status == http.StatusCreated, a.Status == http.StatusConflict:
			default:
				t.Errorf("a duplicate answered %d: %s", a.Status, a.Body)
			}
		}
		if fresh != 1 {
			t.Errorf("%d requests created, want 1", fresh)
		}
		if got := count(t, db, "engineers"); got != 2 { // alice and bob
			t.Errorf("%d engineers, want 2", got)
		}
	})
}

func TestIdempotencyDocument(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	doc := h.srv.OpenAPI()
	want := map[string]bool{"create-account": true, "add-contact": true, "add-engineer": true, "add-schedule": true,
		"add-override": true, "note-ticket": true, "rotate-pin": true}
	for path, item := range doc.Paths {
		if item.Post == nil {
			continue
		}
		has := false
		for _, p := range item.Post.Parameters {
			if p.Name == api.IdempotencyHeader && p.In == "header" {
				has = true
			}
		}
		if has != want[item.Post.OperationID] {
			t.Errorf("POST %s (%s): declares %s %v, want %v", path, item.Post.OperationID, api.IdempotencyHeader, has, !has)
		}
		if has && (item.Post.Responses["409"] == nil || item.Post.Responses["422"] == nil) {
			t.Errorf("POST %s: no 409 or 422 answer declared", path)
		}
		delete(want, item.Post.OperationID)
	}
	for id, w := range want {
		if w {
			t.Errorf("operation %s not in the document", id)
		}
	}
}
