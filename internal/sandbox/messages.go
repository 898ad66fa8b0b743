package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// sendResponse is Meta's answer to an accepted message.
type sendResponse struct {
	MessagingProduct string        `json:"messaging_product"`
	Contacts         []respContact `json:"contacts"`
	Messages         []respMessage `json:"messages"`
}

// respContact echoes the recipient: wa_id for a send to a number,
// user_id for one to a BSUID (recipient).
type respContact struct {
	Input  string `json:"input"`
	WaID   string `json:"wa_id,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

type respMessage struct {
	ID            string `json:"id"`
	MessageStatus string `json:"message_status,omitempty"`
}

// outcome is what a valid request to the messages endpoint leads to.
type outcome struct {
	body  any
	wamid string
	job   *statusJob // status webhooks to send, if any
}

// handleMessages serves POST /{version}/{phone-number-id}/messages: sends,
// reactions and mark-as-read.
func (s *Sandbox) handleMessages(w http.ResponseWriter, r *http.Request) {
	phoneID := r.PathValue("node")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	rec := SentRequest{PhoneNumberID: phoneID, Body: body, At: s.now()}

	var out outcome
	var apiErr *apiError
	if err != nil {
		apiErr = newError(100, "request body: %v", err)
	} else {
		out, apiErr = s.processMessage(w, r, phoneID, body)
	}
	if apiErr != nil {
		rec.Status = apiErr.status()
		s.record(rec)
		s.log.DebugContext(r.Context(), "request refused", "phone_number_id", phoneID, "code", apiErr.Code, "details", apiErr.Details)
		apiErr.write(w)
		return
	}
	if out.job != nil {
		// Saved before answering: a wamid the client was given has its
		// statuses coming, even after a restart.
		if err := s.owe(*out.job); err != nil {
			s.log.Error("send refused: its status webhooks could not be saved", "err", err)
			apiErr = &apiError{Code: 131016, Details: "Sandbox: could not save the message's status webhooks; try again."}
			rec.Status = apiErr.status()
			s.record(rec)
			apiErr.write(w)
			return
		}
	}
	rec.Status, rec.WAMID = http.StatusOK, out.wamid
	// Recorded before answering, so a client that got its answer finds
	// its request in Sent.
	s.record(rec)
	writeJSON(w, http.StatusOK, out.body)
	if out.job != nil {
		s.schedule(*out.job)
	}
}

func (s *Sandbox) processMessage(w http.ResponseWriter, r *http.Request, phoneID string, body []byte) (outcome, *apiError) {
	if e := s.checkRequest(w, r); e != nil {
		return outcome{}, e
	}
	if code, ok := s.nextInjected(); ok {
		return outcome{}, &apiError{Code: code, Details: "Error injected by the sandbox."}
	}
	num, ok := s.numberByID(r.Context(), phoneID)
	if !ok {
		return outcome{}, unknownNode("post", phoneID)
	}
	var m inMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return outcome{}, newError(100, "Invalid JSON in the request body: %v", err)
	}
	switch m.MessagingProduct {
	case "whatsapp":
	case "":
		return outcome{}, missing("messaging_product")
	default:
		return outcome{}, invalid("messaging_product", "must be whatsapp, got %q", m.MessagingProduct)
	}
	if s.cfg.Spec != nil {
		if err := s.cfg.Spec.ValidateMessage(body); err != nil {
			return outcome{}, newError(100, "%v", err)
		}
	}
	if m.Status != "" {
		return s.markRead(r.Context(), num, &m)
	}
	category, e := s.validate(&m)
	if e != nil {
		return outcome{}, e
	}
	if m.To == "" && category == "authentication" {
		// One-tap, zero-tap and copy-code authentication templates need a
		// phone number (Meta's business-scoped user IDs page).
		return outcome{}, &apiError{Code: 131062, Details: "Authentication templates cannot be sent to a business-scoped user ID; send them to the user's phone number."}
	}
	u := s.recipientUser(num, m.To, m.Recipient)
	// Limits count what Meta would send, so only valid messages.
	if code, ok := s.limits.allow(num.PhoneNumberID, u.key(), s.now()); !ok {
		return outcome{}, &apiError{Code: code, Details: "Sandbox rate limit: " + limitDetails(code)}
	}
	return s.accept(num, &m, u, category), nil
}

// accept answers a valid send and plans its status webhooks. Outside the
// customer service window only templates get through: anything else is
// accepted now and fails later with 131047, as Meta does it.
func (s *Sandbox) accept(num number, m *inMessage, u user, category string) outcome {
	wamid := newWAMID()
	msg := respMessage{ID: wamid}
	isTemplate := m.Type == "template"
	job := statusJob{
		num:          num,
		wamid:        wamid,
		user:         u,
		toBSUID:      m.To == "",
		callbackData: m.BizOpaqueCallbackData,
		category:     category,
		inWindow:     s.inWindow(num.PhoneNumberID, u.key(), s.now()),
		steps:        steps(m.Type, category, u.waID),
	}
	if isTemplate {
		msg.MessageStatus = "accepted"
		if job.steps[0] == "held_for_quality_assessment" {
			msg.MessageStatus = job.steps[0]
		}
	}
	if !isTemplate && !job.inWindow {
		job.failCode = 131047
	}
	contact := respContact{Input: m.To, WaID: u.waID}
	if job.toBSUID {
		contact = respContact{Input: m.Recipient, UserID: u.userID}
	}
	return outcome{
		body: sendResponse{
			MessagingProduct: "whatsapp",
			Contacts:         []respContact{contact},
			Messages:         []respMessage{msg},
		},
		wamid: wamid,
		job:   &job,
	}
}

// markRead handles {"status":"read","message_id":...}, with or without
// typing indicator. Only messages the number received can be marked.
func (s *Sandbox) markRead(ctx context.Context, num number, m *inMessage) (outcome, *apiError) {
	if m.Status != "read" {
		return outcome{}, invalid("status", "must be read, got %q", m.Status)
	}
	if m.MessageID == "" {
		return outcome{}, missing("message_id")
	}
	if !s.received(ctx, num.PhoneNumberID, m.MessageID) {
		return outcome{}, newError(100, "message_id: %s is not a message received by phone number %s.", m.MessageID, num.PhoneNumberID)
	}
	if ti := m.TypingIndicator; ti != nil && !strings.EqualFold(ti.Type, "text") {
		return outcome{}, invalid("typing_indicator.type", "must be text, got %q", ti.Type)
	}
	return outcome{body: map[string]bool{"success": true}}, nil
}

// received reports whether phoneNumberID received the inbound message
// wamid: from the sandbox's memory, else from Config.InboundSource (the
// gateway's database knows the messages of before a restart).
func (s *Sandbox) received(ctx context.Context, phoneNumberID, wamid string) bool {
	s.mu.Lock()
	to, ok := s.inbound[wamid]
	s.mu.Unlock()
	if ok {
		return to == phoneNumberID
	}
	return s.cfg.InboundSource != nil && s.cfg.InboundSource(ctx, phoneNumberID, wamid)
}

func limitDetails(code int) string {
	if code == 131056 {
		return "too many messages to this user in a short time; try again later."
	}
	return "too many messages per second from this phone number."
}
