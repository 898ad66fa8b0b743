package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
)

// newWAMID returns a fresh WhatsApp message id in Meta's "wamid." form.
func newWAMID() string {
	return "wamid." + base64.RawURLEncoding.EncodeToString(random(30))
}

// traceID returns an fbtrace_id for an error answer.
func traceID() string {
	return base64.RawURLEncoding.EncodeToString(random(12))
}

// conversationID returns an id for a status's conversation object.
func conversationID() string {
	return hex.EncodeToString(random(16))
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics instead)
	return b
}
