package main

import (
	"strings"
	"testing"
)

// A message WhatsApp refuses for good ends failed with Meta's code and
// text, in the message and in its journal, each status with its time.
func TestFailedKeepsMetaError(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	g.sandbox.InjectError(131026, 1)
	id := firstID(t, g.send(helloWorld))
	m := g.waitStatus(id, "failed")
	if m.ErrorCode != 131026 || !strings.Contains(m.ErrorText, "Message undeliverable") {
		t.Errorf("message error %v %q, want Meta's 131026", m.ErrorCode, m.ErrorText)
	}
	last := m.Statuses[len(m.Statuses)-1]
	if last.Status != "failed" || last.ErrorCode != 131026 || last.Time.IsZero() {
		t.Errorf("journal ends with %+v, want failed 131026 with its time", last)
	}
	if first := m.Statuses[0]; first.Status != "queued" || first.Time.IsZero() {
		t.Errorf("journal starts with %+v, want queued with its time", first)
	}
}
