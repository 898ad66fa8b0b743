package api

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/webhook"
)

// The answers below are the bodies the API writes; the handlers build
// them here, and so does the CLI for --json: `openwaba accounts list
// --json` prints what GET /api/admin/accounts answers, byte for byte.

// EncodeJSON writes v as the API writes its answers: compact, HTML
// characters unescaped, a newline at the end.
func EncodeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// AccountAnswer is the answer of GET /api/admin/accounts/{id}.
func AccountAnswer(a openwaba.Account) any { return viewAccount(a) }

// AccountsAnswer is the answer of GET /api/admin/accounts.
func AccountsAnswer(as []openwaba.Account) any {
	out := make([]accountView, 0, len(as))
	for _, a := range as {
		out = append(out, viewAccount(a))
	}
	return out
}

// LedgerAnswer is the answer of GET /api/admin/accounts/{id}/ledger.
func LedgerAnswer(a openwaba.Account, entries []openwaba.LedgerEntry) any {
	type entryView struct {
		ID        int64       `json:"id"`
		Time      string      `json:"time"`
		Amount    json.Number `json:"amount"`
		Reason    string      `json:"reason"`
		MessageID *string     `json:"message_id"`
	}
	out := make([]entryView, 0, len(entries))
	for _, e := range entries {
		v := entryView{ID: e.ID, Time: timeString(e.CreatedAt), Amount: money(e.Amount), Reason: e.Reason}
		if e.MessageID != 0 {
			v.MessageID = nullable(strconv.FormatInt(e.MessageID, 10))
		}
		out = append(out, v)
	}
	return map[string]any{"balance": money(a.Balance), "currency": a.Currency, "entries": out}
}

// KeyAnswer is the answer of DELETE /api/admin/accounts/{id}/keys/{key},
// and with secret that of POST /api/admin/accounts/{id}/keys (the only
// answer that shows the key).
func KeyAnswer(k openwaba.APIKey, secret string) any {
	v := viewKey(k)
	v.Key = secret
	return v
}

// KeysAnswer is the answer of GET /api/admin/accounts/{id}/keys.
func KeysAnswer(keys []openwaba.APIKey) any {
	out := make([]keyView, 0, len(keys))
	for _, k := range keys {
		out = append(out, viewKey(k))
	}
	return out
}

// SenderAnswer is the answer of POST /api/admin/accounts/{id}/senders:
// the number with the health Meta reported as of now (senders.go).
func SenderAnswer(sd openwaba.Sender, now time.Time) any { return viewSender(sd, now) }

// SendersAnswer is the answer of GET /api/admin/accounts/{id}/senders and
// GET /api/waba/senders.
func SendersAnswer(senders []openwaba.Sender, now time.Time) any { return viewSenders(senders, now) }

type priceView struct {
	Currency  string      `json:"currency"`
	Prefix    string      `json:"prefix"`
	Category  string      `json:"category"`
	Amount    json.Number `json:"amount"`
	UpdatedAt string      `json:"updated_at"`
}

func viewPrice(p openwaba.Price) priceView {
	return priceView{p.Currency, p.Prefix, string(p.Category), money(p.Amount), timeString(p.UpdatedAt)}
}

// PriceAnswer is the answer of PUT /api/admin/prices.
func PriceAnswer(p openwaba.Price) any { return viewPrice(p) }

// PricesAnswer is the answer of GET /api/admin/prices.
func PricesAnswer(prices []openwaba.Price) any {
	out := make([]priceView, 0, len(prices))
	for _, p := range prices {
		out = append(out, viewPrice(p))
	}
	return out
}

// balanceView is seven's answer to GET /api/balance.
type balanceView struct {
	Amount   json.Number `json:"amount"`
	Currency string      `json:"currency"`
}

// BalanceAnswer is the answer of GET /api/balance (the account's key) and
// of POST /api/admin/accounts/{id}/topup.
func BalanceAnswer(balance openwaba.Micros, currency string) any {
	return balanceView{Amount: money(balance), Currency: currency}
}

type hookView struct {
	ID            string `json:"id"`
	TargetURL     string `json:"target_url"`
	Headers       string `json:"headers"`
	EventType     string `json:"event_type"`
	EventFilter   string `json:"event_filter"`
	RequestMethod string `json:"request_method"`
	Enabled       bool   `json:"enabled"`
	Created       string `json:"created"`
}

// HooksAnswer is the answer of GET /api/hooks, seven's shape.
func HooksAnswer(hooks []openwaba.Hook) any {
	views := make([]hookView, 0, len(hooks))
	for _, h := range hooks {
		views = append(views, hookView{
			ID: strconv.FormatInt(h.ID, 10), TargetURL: h.TargetURL, Headers: h.Headers, EventType: string(h.EventType),
			EventFilter: h.EventFilter, RequestMethod: h.RequestMethod, Enabled: true, Created: h.CreatedAt.UTC().Format(webhook.TimeLayout),
		})
	}
	return struct {
		Success bool       `json:"success"`
		Hooks   []hookView `json:"hooks"`
	}{true, views}
}

// DeadAnswer is the answer of GET /api/hooks/dead.
func DeadAnswer(ds []openwaba.Delivery) any {
	return struct {
		Success    bool           `json:"success"`
		Deliveries []DeliveryView `json:"deliveries"`
	}{true, DeliveryViews(ds)}
}

// TemplatesAnswer is the answer of GET /api/waba/templates.
func TemplatesAnswer(ts []openwaba.Template) any {
	return struct {
		Templates []TemplateView `json:"templates"`
	}{TemplateViews(ts)}
}
