package sandbox

import (
	"time"

	"github.com/openwaba/openwaba"
)

// windowKey identifies a customer service window: a business number and
// a user.
type windowKey struct {
	phoneNumberID string
	waID          string
}

// openWindow opens or refreshes the 24-hour window, as a user message does.
func (s *Sandbox) openWindow(phoneNumberID, waID string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.windows[windowKey{phoneNumberID, waID}] = at.Add(openwaba.ConversationWindow)
}

// inWindow reports whether the window is open at time at.
func (s *Sandbox) inWindow(phoneNumberID, waID string, at time.Time) bool {
	s.mu.Lock()
	until, ok := s.windows[windowKey{phoneNumberID, waID}]
	s.mu.Unlock()
	if !ok && s.cfg.WindowSource != nil {
		until = s.cfg.WindowSource(phoneNumberID, waID)
	}
	return at.Before(until)
}
