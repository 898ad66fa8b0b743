package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// statusJob is the status webhooks of one accepted message.
type statusJob struct {
	num          number
	wamid        string
	user         user // the recipient
	toBSUID      bool // sent to user.userID (recipient), not to a number
	callbackData string
	category     string // service, marketing, utility, authentication
	inWindow     bool
	failCode     int      // when set, a single failed status instead
	steps        []string // the statuses to report; sent, delivered, read when empty
	taken        int      // webhooks of steps already taken (a resumed job)
}

// Test recipients of template pacing. A marketing template to one of them
// is answered with message_status held_for_quality_assessment, as Meta
// answers a send its template pacing holds, and reported held; then
// HeldRecipient's is released (sent, delivered, read) and PausedRecipient's
// paused (not delivered, not charged). Other templates and message types
// to them go out as to anyone.
const (
	HeldRecipient   = "4917699900001"
	PausedRecipient = "4917699900002"
)

// steps are the statuses the sandbox reports for a message: Meta's usual
// sent, delivered, read; played after read for audio (the user listened
// to it: Meta reports played for voice messages, the sandbox for every
// audio message); held, then paused or sent, for a paced marketing
// template (the test recipients above).
func steps(typ, category, waID string) []string {
	switch {
	case typ == "template" && category == "marketing" && waID == HeldRecipient:
		return []string{"held_for_quality_assessment", "sent", "delivered", "read"}
	case typ == "template" && category == "marketing" && waID == PausedRecipient:
		return []string{"held_for_quality_assessment", "paused"}
	case typ == "audio":
		return []string{"sent", "delivered", "read", "played"}
	}
	return []string{"sent", "delivered", "read"}
}

const errorHref = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"

// asyncErrorDetails are the details Meta gives with asynchronous failures.
var asyncErrorDetails = map[int]string{
	131047: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
}

// schedule starts the status webhooks of a message. Each message gets its
// own goroutine, so its statuses go out strictly in order; the worker
// slots bound how many deliveries run at once.
func (s *Sandbox) schedule(j statusJob) {
	if s.cfg.WebhookURL == "" {
		return
	}
	s.spawn(func() { s.runJob(j) })
}

func (s *Sandbox) runJob(j statusJob) {
	steps := j.steps
	if len(steps) == 0 {
		steps = []string{"sent", "delivered", "read"}
	}
	if j.failCode != 0 {
		steps = []string{"failed"}
	}
	conv := conversationID()
	for i := j.taken; i < len(steps); i++ {
		st := steps[i]
		if !s.sleep(s.cfg.StatusDelay) {
			return
		}
		body, err := marshal(newEnvelope(j.num, value{Statuses: []whStatus{j.status(st, s.now(), conv)}, Contacts: j.contacts(st)}))
		if err != nil {
			s.log.Error("encoding status webhook failed", "err", err)
			return
		}
		if !s.deliver(j.wamid, st, body) {
			return
		}
		j.taken = i + 1
		s.progress(j, j.taken == len(steps))
	}
}

// progress notes a webhook taken in the ledger, if there is one. It does
// not wait for the save: were it lost, the webhook would be sent again
// after a restart, which changes nothing for its receiver.
func (s *Sandbox) progress(j statusJob, done bool) {
	if s.owed == nil {
		return
	}
	if done {
		s.owed.drop(j.wamid)
	} else {
		s.owed.put(owedOf(j))
	}
	select {
	case s.saveSoon <- struct{}{}:
	default: // a save is due already and will include this
	}
}

// owe saves a job's webhooks before its send is answered; without a
// ledger (New) there is nothing to save.
func (s *Sandbox) owe(j statusJob) error {
	if s.owed == nil || s.cfg.WebhookURL == "" {
		return nil
	}
	err := s.owed.save(s.owed.put(owedOf(j)))
	if err != nil {
		s.owed.drop(j.wamid)
	}
	return err
}

// saver writes the ledger's progress when asked, until Close (which
// saves a last time itself).
func (s *Sandbox) saver() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.saveSoon:
			if err := s.owed.save(s.owed.latest()); err != nil {
				s.log.Warn("saving the progress of status webhooks", "err", err)
			}
		}
	}
}

// status builds one status report at time now.
func (j statusJob) status(st string, now time.Time, conv string) whStatus {
	ws := whStatus{
		ID:                    j.wamid,
		Status:                st,
		Timestamp:             strconv.FormatInt(now.Unix(), 10),
		RecipientID:           j.user.waID, // none for a username user
		RecipientUserID:       j.user.userID,
		BizOpaqueCallbackData: j.callbackData,
	}
	if st == "failed" && !j.toBSUID {
		ws.RecipientUserID = "" // Meta leaves it out of failed reports of sends to a number
	}
	switch st {
	case "sent", "delivered":
		// Per-message pricing (since 2025-07-01): templates are charged,
		// except utility inside the window; service messages are free.
		billable, typ := true, "regular"
		if j.category == "service" || (j.category == "utility" && j.inWindow) {
			billable, typ = false, "free_customer_service"
		}
		ws.Pricing = &whPricing{Billable: billable, PricingModel: "PMP", Category: j.category, Type: typ}
		ws.Conversation = &whConversation{ID: conv}
		ws.Conversation.Origin.Type = j.category
		if st == "sent" {
			ws.Conversation.ExpirationTimestamp = strconv.FormatInt(now.Add(24*time.Hour).Unix(), 10)
		}
	case "failed":
		e := whError{Code: j.failCode, Title: title(j.failCode), Message: title(j.failCode), Href: errorHref}
		e.ErrorData.Details = asyncErrorDetails[j.failCode]
		ws.Errors = []whError{e}
	}
	return ws
}

// contacts is the recipient as status reports name them since 2026: the
// number (when the business may see it) and the BSUID, with the username
// on delivered and read; failed reports have no contacts.
func (j statusJob) contacts(st string) []whContact {
	if st == "failed" {
		return nil
	}
	c := whContact{WaID: j.user.waID, UserID: j.user.userID}
	if j.user.username != "" && (st == "delivered" || st == "read") {
		c.Profile = &whProfile{Username: j.user.username}
	}
	return []whContact{c}
}

// deliver posts a webhook until the receiver answers 200, backing off
// exponentially; it gives up only when the sandbox closes, because Meta
// does not drop webhooks either (it retries for days).
func (s *Sandbox) deliver(wamid, status string, body []byte) bool {
	backoff := s.backoffStart
	for attempt := 1; ; attempt++ {
		err := s.postSlot(body)
		if err == nil {
			s.log.Debug("status webhook delivered", "wamid", wamid, "status", status, "attempt", attempt)
			return true
		}
		if s.ctx.Err() != nil {
			return false
		}
		s.log.Warn("status webhook not taken, retrying", "wamid", wamid, "status", status,
			"attempt", attempt, "retry_in", backoff, "err", err)
		if !s.sleep(backoff) {
			return false
		}
		backoff = min(backoff*2, s.backoffMax)
	}
}

// postSlot posts a webhook holding one of the worker slots.
func (s *Sandbox) postSlot(body []byte) error {
	select {
	case s.slots <- struct{}{}:
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
	defer func() { <-s.slots }()
	return s.post(s.ctx, body)
}

// post sends one signed webhook and wants a 200 back.
func (s *Sandbox) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", sign(s.cfg.AppSecret, body))
	req.Header.Set("User-Agent", "facebookexternalua")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook receiver answered %s", resp.Status)
	}
	return nil
}

// sleep waits d, or reports false when the sandbox closes first.
func (s *Sandbox) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}
