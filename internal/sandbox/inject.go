package sandbox

import (
	"slices"
	"time"
)

// defaultKeepSent bounds the requests Sent keeps: a sandbox serving a
// demo gateway for days must not grow without end (Config.KeepSent).
const defaultKeepSent = 10000

// SentRequest is a request the messages endpoint received, kept so tests
// can assert what a client sent and how the sandbox answered.
type SentRequest struct {
	PhoneNumberID string
	Body          []byte // raw, as received
	Status        int    // HTTP status answered
	WAMID         string // the wamid given, for accepted messages
	At            time.Time
}

// InjectError makes the next times requests to the messages endpoint fail
// with Meta error code (and the HTTP status Meta uses for it), after the
// token check. Injections queue up in call order.
func (s *Sandbox) InjectError(code, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.inject = append(s.inject, code)
	}
}

// nextInjected pops the next injected error code.
func (s *Sandbox) nextInjected() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.inject) == 0 {
		return 0, false
	}
	code := s.inject[0]
	s.inject = s.inject[1:]
	return code, true
}

// Sent returns the requests received by the messages endpoint, oldest
// first (the last Config.KeepSent of them).
func (s *Sandbox) Sent() []SentRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

func (s *Sandbox) record(r SentRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := s.cfg.KeepSent
	if keep <= 0 {
		keep = defaultKeepSent
	}
	if len(s.sent) >= keep {
		s.sent = slices.Delete(s.sent, 0, max(keep/10, 1))
	}
	s.sent = append(s.sent, r)
}
