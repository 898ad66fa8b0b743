package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/signature"
)

// outcome is what one attempt came to.
type outcome struct {
	done       bool          // delivered
	final      bool          // not worth retrying
	sent       bool          // it reached the network: what the receiver did tells of it
	held       bool          // not sent: its receiver's circuit is open (circuits)
	retryAfter time.Duration // the receiver's Retry-After (or the circuit's pause), if any
	reason     string        // why it was not delivered
}

// result is what the outcome tells the receiver's circuit.
func (o outcome) result() result {
	switch {
	case !o.sent:
		return unsent
	case o.done || o.final:
		return answered
	}
	return failed
}

// attempt tries one delivery once and records the outcome.
func (d *Deliverer) attempt(ctx context.Context, del openwaba.Delivery) {
	out := d.guarded(ctx, del)
	log := d.log.With("delivery", del.ID, "hook", del.Hook.ID, "event", del.Event, "attempt", del.Attempts)
	var err error
	switch {
	case out.done:
		err = d.cfg.Store.DeliveryDone(ctx, del.ID)
		d.metrics().Delivery(del.Event, OutcomeDelivered)
		log.Debug("webhook delivered")
	case out.final:
		err = d.cfg.Store.KillDelivery(ctx, del.ID, out.reason)
		d.metrics().Delivery(del.Event, OutcomeRefused)
		log.Warn("webhook refused; dead-lettered, replay it once the receiver is fixed", "target", del.Hook.TargetURL, "reason", out.reason)
	default:
		wait, ok := retryWait(d.cfg.Retries, del.Attempts, out.retryAfter)
		if !ok {
			reason := fmt.Sprintf("gave up after %d attempts: %s", del.Attempts, out.reason)
			err = d.cfg.Store.KillDelivery(ctx, del.ID, reason)
			d.metrics().Delivery(del.Event, OutcomeDead)
			log.Warn("webhook dead-lettered", "target", del.Hook.TargetURL, "reason", reason)
			break
		}
		err = d.cfg.Store.RetryDelivery(ctx, del.ID, d.now().Add(wait), out.reason)
		if out.held { // one line when the circuit opened, not one per delivery
			d.metrics().Delivery(del.Event, OutcomeHeld)
			log.Debug("webhook held back; will retry", "target", del.Hook.TargetURL, "in", wait.Round(time.Second))
			break
		}
		d.metrics().Delivery(del.Event, OutcomeRetry)
		log.Info("webhook not delivered; will retry", "target", del.Hook.TargetURL, "reason", out.reason, "in", wait.Round(time.Second))
	}
	if err != nil && !errors.Is(err, openwaba.ErrNotFound) { // NotFound: the hook was deleted meanwhile
		log.Error("recording webhook outcome; it will be retried when its lease ends", "err", err)
	}
}

// guarded sends del unless its receiver's circuit holds it back, and
// tells the circuit what the attempt found.
func (d *Deliverer) guarded(ctx context.Context, del openwaba.Delivery) outcome {
	if d.circuits == nil {
		return d.send(ctx, del)
	}
	now := d.now()
	t := d.circuits.allow(del.Hook.ID, del.Hook.TargetURL, now)
	if !t.ok {
		return outcome{held: true, reason: t.held, retryAfter: t.until.Sub(now)}
	}
	out := d.send(ctx, del)
	opened, closed := d.circuits.done(t, out.result(), out.retryAfter, d.now())
	switch {
	case opened > 0:
		d.log.Warn("webhook receiver failing: its webhooks are held back, then probed with one", "hook", del.Hook.ID,
			"target", del.Hook.TargetURL, "reason", out.reason, "for", opened.Round(time.Second))
	case closed:
		d.log.Info("webhook receiver answers again: its webhooks go out", "hook", del.Hook.ID, "target", del.Hook.TargetURL)
	}
	return out
}

// send renders, signs and sends a delivery.
func (d *Deliverer) send(ctx context.Context, del openwaba.Delivery) outcome {
	env, err := d.body(ctx, del)
	if errors.Is(err, openwaba.ErrNotFound) {
		return outcome{final: true, reason: "cannot render: " + err.Error()}
	}
	if err != nil {
		return outcome{reason: "cannot render: " + err.Error()}
	}
	req, body, err := newRequest(ctx, del.Hook, env)
	if err != nil {
		return outcome{final: true, reason: err.Error()}
	}
	if err := setHeaders(req.Header, del.Hook.Headers); err != nil {
		return outcome{final: true, reason: err.Error()}
	}
	req.Header.Set("User-Agent", d.cfg.UserAgent)
	req.Header.Set("X-Webhook-Id", EventID(del.ID))
	req.Header.Set("X-Webhook-Event", string(del.Event))
	req.Header.Set("X-Webhook-Attempt", strconv.Itoa(del.Attempts))
	if req.URL.Path == "" {
		req.URL.Path = "/" // what goes on the wire, and so what the receiver verifies
	}
	if d.cfg.Secret != nil {
		secret, err := d.cfg.Secret(ctx, del.Hook.AccountID)
		if err != nil {
			return outcome{reason: "reading the signing secret: " + err.Error()}
		}
		if secret != "" {
			signature.SetHeaders(req.Header, secret, req.Method, req.URL.String(), body, d.now())
		}
	}
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		if errors.Is(err, ErrPrivateAddress) { // refused here, not by the receiver
			return outcome{final: true, reason: err.Error()}
		}
		return outcome{sent: true, reason: err.Error()}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	out := classify(resp)
	out.sent = true
	return out
}

// classify reads the receiver's answer: 2xx is delivered; 408, 429 and
// 5xx are worth retrying; anything else (a redirect, another 4xx such as
// 410 Gone) is final.
func classify(resp *http.Response) outcome {
	code := resp.StatusCode
	reason := fmt.Sprintf("HTTP %d", code)
	switch {
	case code >= 200 && code < 300:
		return outcome{done: true}
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		return outcome{reason: reason, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"))}
	case code >= 300 && code < 400:
		return outcome{final: true, reason: reason + " redirect to " + resp.Header.Get("Location") + "; set the hook's target_url to the final URL"}
	}
	return outcome{final: true, reason: reason}
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// EventID is the stable id of a delivery, the same in every attempt and
// replay, for receivers to drop duplicates by (X-Webhook-Id).
func EventID(deliveryID int64) string { return "owh_" + strconv.FormatInt(deliveryID, 10) }

// newRequest builds the request a hook's request_method asks for: JSON
// posts the envelope as JSON; POST posts it form-encoded; GET puts the
// form in the query string.
func newRequest(ctx context.Context, h openwaba.Hook, env Envelope) (*http.Request, []byte, error) {
	switch strings.ToUpper(h.RequestMethod) {
	case "JSON", "":
		body, err := json.Marshal(env)
		if err != nil {
			return nil, nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.TargetURL, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, body, err
	case "POST":
		body := []byte(form(env).Encode())
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.TargetURL, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return req, body, err
	case "GET":
		u, err := url.Parse(h.TargetURL)
		if err != nil {
			return nil, nil, err
		}
		q := u.Query()
		for k, vs := range form(env) {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		return req, nil, err
	}
	return nil, nil, fmt.Errorf("request method %q: use JSON, POST or GET", h.RequestMethod)
}

// form flattens the envelope: webhook_event, webhook_timestamp and
// data[field] for each field of data; a field that is an object or a list
// is given as its JSON text, a null as the empty string.
func form(env Envelope) url.Values {
	v := url.Values{"webhook_event": {string(env.Event)}, "webhook_timestamp": {env.Timestamp}}
	var fields map[string]json.RawMessage
	if json.Unmarshal(env.Data, &fields) != nil {
		v.Set("data", string(env.Data))
		return v
	}
	for k, raw := range fields {
		var s string
		switch {
		case string(raw) == "null":
		case json.Unmarshal(raw, &s) == nil:
		default:
			s = string(raw) // numbers, booleans, objects and lists as JSON
		}
		v.Set("data["+k+"]", s)
	}
	return v
}

// setHeaders adds a hook's own headers ("Name: value", one a line). Each
// line is checked as ParseHeaders checks it at creation, so that a hook
// stored before those checks, whose header can never be sent, is dead at
// once (an error here is final) instead of failing every retry for days.
func setHeaders(h http.Header, lines string) error {
	for _, line := range strings.Split(lines, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, err := parseHeaderLine(line)
		if err != nil {
			return fmt.Errorf("hook header: %w; fix the hook's headers", err)
		}
		h.Set(name, value)
	}
	return nil
}
