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

// InboundProfileName is the profile name inbound messages carry.
const InboundProfileName = "Sandbox User"

// Inbound plays a user (from) writing text to the business number
// toDisplayNumber: it opens the 24-hour window and posts the signed
// message webhook. It returns once the receiver answered 200, with the
// message's wamid, or with an error that includes the receiver's status.
func (s *Sandbox) Inbound(ctx context.Context, from, toDisplayNumber, text string) (string, error) {
	num, ok := s.numberByDisplay(toDisplayNumber)
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrUnknownNumber, toDisplayNumber)
	}
	waID := digits(from)
	if !toRE.MatchString(waID) {
		return "", fmt.Errorf("sandbox: inbound: %q is not a phone number", from)
	}
	if s.cfg.WebhookURL == "" {
		return "", errors.New("sandbox: inbound: no WebhookURL configured")
	}
	now := s.now()
	wamid := newWAMID()
	// The user wrote, whether or not our receiver takes the webhook: the
	// window is open and the message can be marked read.
	s.openWindow(num.PhoneNumberID, waID, now)
	s.mu.Lock()
	s.inbound[wamid] = num.PhoneNumberID
	s.mu.Unlock()

	msg := whMessage{From: waID, ID: wamid, Timestamp: strconv.FormatInt(now.Unix(), 10), Type: "text"}
	msg.Text.Body = text
	contact := whContact{WaID: waID}
	contact.Profile.Name = InboundProfileName
	body, err := marshal(newEnvelope(num, value{Contacts: []whContact{contact}, Messages: []whMessage{msg}}))
	if err != nil {
		return "", fmt.Errorf("sandbox: inbound: %w", err)
	}
	if err := s.post(ctx, body); err != nil {
		return "", fmt.Errorf("sandbox: inbound: %w", err)
	}
	return wamid, nil
}
