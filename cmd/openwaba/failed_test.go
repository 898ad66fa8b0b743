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
	if code, _ := m["error_code"].(float64); code != 131026 || !strings.Contains(m["error_text"].(string), "Message undeliverable") {
		t.Errorf("message error %v %q, want Meta's 131026", m["error_code"], m["error_text"])
	}
	statuses := m["statuses"].([]any)
	last := statuses[len(statuses)-1].(map[string]any)
	if last["status"] != "failed" || last["error_code"] != float64(131026) || last["time"] == nil || last["time"] == "" {
		t.Errorf("journal ends with %v, want failed 131026 with its time", last)
	}
	first := statuses[0].(map[string]any)
	if first["status"] != "queued" || first["time"] == nil {
		t.Errorf("journal starts with %v, want queued with its time", first)
	}
}
