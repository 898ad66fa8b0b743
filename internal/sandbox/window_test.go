package sandbox

import (
	"testing"
	"time"
)

func TestWindowSourceRemembersWindows(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := New(Config{AccessToken: "t", AppSecret: "s", Now: func() time.Time { return now },
		WindowSource: func(phoneNumberID, waID string) time.Time {
			if phoneNumberID == "1" && waID == "49176" {
				return now.Add(time.Hour)
			}
			return time.Time{}
		}})
	t.Cleanup(s.Close)
	if !s.inWindow("1", "49176", now) {
		t.Error("window known to the source is closed")
	}
	if s.inWindow("1", "49177", now) {
		t.Error("unknown window is open")
	}
	s.openWindow("1", "49177", now)
	if !s.inWindow("1", "49177", now.Add(23*time.Hour)) || s.inWindow("1", "49177", now.Add(25*time.Hour)) {
		t.Error("a window opened in memory does not last 24 hours")
	}
}
