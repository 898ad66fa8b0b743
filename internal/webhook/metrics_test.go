package webhook_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/webhook"
)

// recordedMetrics keeps "event outcome" per attempt.
type recordedMetrics struct {
	mu  sync.Mutex
	got []string
}

func (r *recordedMetrics) Delivery(event openwaba.HookEvent, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, string(event)+" "+outcome)
}

func (r *recordedMetrics) outcomes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// TestMetricsOfDeliveries: every attempt is counted once with its outcome.
func TestMetricsOfDeliveries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answers []int
		want    []string
	}{
		{"delivered", nil, []string{"dlr delivered"}},
		{"retried, then delivered", []int{503}, []string{"dlr retry", "dlr delivered"}},
		{"refused", []int{http.StatusGone}, []string{"dlr refused"}},
		// Three retries in the test environment: the fourth failure gives up.
		{"out of retries", []int{500, 500, 500, 500}, []string{"dlr retry", "dlr retry", "dlr retry", "dlr dead"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recordedMetrics{}
			e := newEnv(t, func(c *webhook.Config) { c.Metrics = rec })
			r := newReceiver(t, tc.answers...)
			e.hook(r.URL, openwaba.HookDLR, "JSON", "")
			e.message("wamid.m", openwaba.StatusSent)
			got := waitFor(t, strings.Join(tc.want, ", "), func() ([]string, bool) {
				got := rec.outcomes()
				return got, len(got) >= len(tc.want)
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("outcomes %v, want %v", got, tc.want)
			}
		})
	}
}
