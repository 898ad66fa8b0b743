package meta

import (
	"context"
	"fmt"
	"net/http"

	"github.com/openwaba/openwaba"
)

// Send hands m to WhatsApp as sender from and returns the wamid Meta gave
// it, with the message_status of the answer when it says more than
// accepted: held_for_quality_assessment or paused (template pacing).
func (c *Client) Send(ctx context.Context, from openwaba.Sender, m openwaba.Message) (openwaba.Submission, error) {
	if err := checkSender(from); err != nil {
		return openwaba.Submission{}, fmt.Errorf("meta: send: %w", err)
	}
	body, err := buildMessage(m)
	if err != nil {
		// The content can never be sent as it is: fail it, do not retry.
		return openwaba.Submission{}, fmt.Errorf("meta: send: %w", &openwaba.UpstreamError{Title: "cannot encode message", Details: err.Error()})
	}
	var resp sendResponse
	if err := c.do(ctx, "send", http.MethodPost, c.endpoint(from.PhoneNumberID, "messages"), body, &resp); err != nil {
		return openwaba.Submission{}, err
	}
	if len(resp.Messages) == 0 || resp.Messages[0].ID == "" {
		return openwaba.Submission{}, fmt.Errorf("meta: send: %w", unexpectedResponse(http.StatusOK, "no messages[0].id in the answer"))
	}
	sub := openwaba.Submission{WAMID: resp.Messages[0].ID, Status: openwaba.SubmissionStatus(resp.Messages[0].MessageStatus)}
	c.log.DebugContext(ctx, "message sent", "message_id", m.ID, "wamid", sub.WAMID, "type", m.Content.Type,
		"message_status", resp.Messages[0].MessageStatus)
	return sub, nil
}

// MarkRead marks the inbound message wamid as read, and with typing shows
// the typing indicator (until the reply or for 25 s).
func (c *Client) MarkRead(ctx context.Context, from openwaba.Sender, wamid string, typing bool) error {
	if err := checkSender(from); err != nil {
		return fmt.Errorf("meta: mark read: %w", err)
	}
	body := outMessage{MessagingProduct: "whatsapp", Status: "read", MessageID: wamid}
	if typing {
		body.TypingIndicator = &typingIndicator{Type: "text"}
	}
	var resp successResponse
	if err := c.do(ctx, "mark read", http.MethodPost, c.endpoint(from.PhoneNumberID, "messages"), body, &resp); err != nil {
		return err
	}
	if !resp.Success {
		return fmt.Errorf("meta: mark read: %w", unexpectedResponse(http.StatusOK, `no "success":true in the answer`))
	}
	return nil
}

// React sends emoji as a reaction to the message wamid in the chat with
// user to (a number or a BSUID); an empty emoji removes the reaction.
func (c *Client) React(ctx context.Context, from openwaba.Sender, to, wamid, emoji string) error {
	if err := checkSender(from); err != nil {
		return fmt.Errorf("meta: react: %w", err)
	}
	body := outMessage{
		MessagingProduct: "whatsapp",
		RecipientType:    "individual",
		Type:             "reaction",
		Reaction:         &outReaction{MessageID: wamid, Emoji: emoji},
	}
	address(&body, to)
	var resp sendResponse
	return c.do(ctx, "react", http.MethodPost, c.endpoint(from.PhoneNumberID, "messages"), body, &resp)
}

// checkSender refuses a sender without Meta id. That is a configuration
// problem no retry fixes, so it blocks the sender like a bad token does.
func checkSender(s openwaba.Sender) error {
	if s.PhoneNumberID == "" {
		return &openwaba.UpstreamError{
			Title:         "sender has no phone_number_id",
			Details:       "sender " + s.Number + " is not linked to a WhatsApp phone number id",
			SenderBlocked: true,
		}
	}
	return nil
}
