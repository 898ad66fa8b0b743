package dispatch

import (
	"testing"
	"time"
)

// Delay doubles from Base up to Max, with ±20 % jitter that actually
// varies (so messages failing together spread out).
func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	b := Backoff{Base: time.Second, Max: 5 * time.Minute}.withDefaults()
	tests := []struct {
		attempts int
		nominal  time.Duration
	}{
		{0, time.Second},
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{5, 16 * time.Second},
		{9, 256 * time.Second},
		{10, 5 * time.Minute}, // 512 s, capped
		{60, 5 * time.Minute}, // no overflow however many
	}
	for _, tt := range tests {
		lo, hi := tt.nominal*8/10, tt.nominal*12/10
		seen := map[time.Duration]bool{}
		for range 500 {
			d := b.Delay(tt.attempts)
			if d < lo || d > hi {
				t.Fatalf("Delay(%d) = %v, want within [%v, %v]", tt.attempts, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("Delay(%d) has no jitter: always %v", tt.attempts, b.Delay(tt.attempts))
		}
	}
}

func TestBackoffDefaults(t *testing.T) {
	t.Parallel()
	b := Backoff{}.withDefaults()
	if b.Base != time.Second || b.Max != 5*time.Minute || b.MaxAttempts != 20 {
		t.Errorf("defaults %+v", b)
	}
}
