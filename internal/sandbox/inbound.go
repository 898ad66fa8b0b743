package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// ErrUnknownNumber is returned by Inbound for a business number that was
// not added with AddNumber.
var ErrUnknownNumber = errors.New("sandbox: unknown business number")

// ErrInvalidUserMessage is returned for a UserMessage the sandbox cannot
// turn into one of Meta's inbound messages.
var ErrInvalidUserMessage = errors.New("sandbox: invalid user message")

// InboundProfileName is the profile name inbound messages carry.
const InboundProfileName = "Sandbox User"

// Inbound plays a user (from: a phone number, or the BSUID of a user who
// writes by username) writing text to the business number
// toDisplayNumber: it opens the 24-hour window and posts the signed
// message webhook. It returns once the receiver answered 200, with the
// message's wamid, or with an error that includes the receiver's status.
func (s *Sandbox) Inbound(ctx context.Context, from, toDisplayNumber, text string) (string, error) {
	return s.InboundMessage(ctx, from, toDisplayNumber, UserMessage{Type: InboundText, Text: text})
}

// InboundMessage is Inbound for any type of message a user can send: it
// posts the message shaped as Meta's webhook has it (see UserMessage) and
// opens the window, as every user message does. A user writing from a
// number is named by it and by their BSUID (BSUID); a user writing from a
// BSUID has a username and no number: their webhook has no wa_id and no
// from, only user_id, from_user_id and the username (um.Username).
func (s *Sandbox) InboundMessage(ctx context.Context, from, toDisplayNumber string, um UserMessage) (string, error) {
	num, ok := s.numberByDisplay(ctx, toDisplayNumber)
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrUnknownNumber, toDisplayNumber)
	}
	u, ok := s.inboundUser(num, from, um.Username)
	if !ok {
		return "", fmt.Errorf("sandbox: inbound: %q is neither a phone number nor a business-scoped user ID", from)
	}
	if s.cfg.WebhookURL == "" {
		return "", errors.New("sandbox: inbound: no WebhookURL configured")
	}
	now := s.now()
	wamid := newWAMID()
	msg, err := um.webhookMessage(whMessage{From: u.waID, FromUserID: u.userID, ID: wamid, Timestamp: strconv.FormatInt(now.Unix(), 10)}, num)
	if err != nil {
		return "", err
	}
	if m := msg.media(); m != nil {
		if err := s.userMedia(num.PhoneNumberID, m, um.MIMEType, um.Data); err != nil {
			return "", err
		}
	}
	// The user wrote, whether or not our receiver takes the webhook: the
	// window is open and the message can be marked read.
	s.openWindow(num.PhoneNumberID, u.key(), now)
	s.mu.Lock()
	s.inbound[wamid] = num.PhoneNumberID
	s.mu.Unlock()

	v := value{Messages: []whMessage{msg}}
	if um.Type != InboundSystem {
		// Meta sends the user's profile with every message but system ones.
		v.Contacts = []whContact{{
			WaID: u.waID, UserID: u.userID,
			Profile: &whProfile{Name: InboundProfileName, Username: u.username},
		}}
	}
	body, err := marshal(newEnvelope(num, v))
	if err != nil {
		return "", fmt.Errorf("sandbox: inbound: %w", err)
	}
	if err := s.post(ctx, body); err != nil {
		return "", fmt.Errorf("sandbox: inbound: %w", err)
	}
	return wamid, nil
}
