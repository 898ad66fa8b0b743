package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// reporter plays Meta's side of the full pipeline: for every send the
// fake Graph accepted it posts the status webhooks Meta would (sent,
// delivered, read) to the gateway's /webhooks/meta, signed with the app
// secret as Meta signs them (X-Hub-Signature-256). Up to batch messages'
// reports of one status go in one POST, as Meta batches busy numbers.
type reporter struct {
	url, secret   string
	phoneNumberID string
	display       string
	batch         int
	client        *http.Client
	sends         chan sent
}

// sent is one send the fake Graph answered.
type sent struct{ wamid, to string }

func newReporter(url, secret, phoneNumberID, display string, batch int) *reporter {
	if batch < 1 {
		batch = 1
	}
	return &reporter{
		url: url, secret: secret, phoneNumberID: phoneNumberID, display: display, batch: batch,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		sends:  make(chan sent, 1<<16),
	}
}

// run reports until ctx ends, with workers posting in parallel; a
// message's three reports go in order from one worker.
func (r *reporter) run(ctx context.Context, workers int) {
	for range workers {
		go func() {
			for {
				var group []sent
				select {
				case <-ctx.Done():
					return
				case s := <-r.sends:
					group = append(group, s)
				}
			more:
				for len(group) < r.batch {
					select {
					case s := <-r.sends:
						group = append(group, s)
					default:
						break more
					}
				}
				for _, st := range []string{"sent", "delivered", "read"} {
					r.post(ctx, r.envelope(group, st))
				}
			}
		}()
	}
}

// envelope is Meta's webhook body for the reports of status st.
func (r *reporter) envelope(group []sent, st string) []byte {
	type pricing struct {
		Billable bool   `json:"billable"`
		Model    string `json:"pricing_model"`
		Type     string `json:"type"`
		Category string `json:"category"`
	}
	type status struct {
		ID          string   `json:"id"`
		Status      string   `json:"status"`
		Timestamp   string   `json:"timestamp"`
		RecipientID string   `json:"recipient_id"`
		Pricing     *pricing `json:"pricing,omitempty"`
	}
	statuses := make([]status, len(group))
	now := strconv.FormatInt(time.Now().Unix(), 10)
	for i, s := range group {
		statuses[i] = status{ID: s.wamid, Status: st, Timestamp: now, RecipientID: s.to}
		if st == "sent" || st == "delivered" {
			// Meta's per-message pricing (since 2025-07-01), as the
			// sandbox reports it; the load's template is a marketing one.
			statuses[i].Pricing = &pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"}
		}
	}
	body, _ := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []any{map[string]any{"id": "load-waba", "changes": []any{map[string]any{
			"field": "messages",
			"value": map[string]any{
				"messaging_product": "whatsapp",
				"metadata":          map[string]string{"display_phone_number": r.display, "phone_number_id": r.phoneNumberID},
				"statuses":          statuses,
			},
		}}}},
	})
	return body
}

// post delivers one webhook until the gateway takes it (as Meta retries),
// or ctx ends.
func (r *reporter) post(ctx context.Context, body []byte) {
	mac := hmac.New(sha256.New, []byte(r.secret))
	mac.Write(body)
	signature := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	for backoff := 10 * time.Millisecond; ctx.Err() == nil; backoff = min(2*backoff, time.Second) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature-256", signature)
		resp, err := r.client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
	}
}
