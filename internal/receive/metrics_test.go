package receive

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
)

// fakeStore knows one sender and the inbound messages it stored.
type fakeStore struct {
	openwaba.Store
	seen      map[string]bool
	statusErr error
	singles   int // ApplyStatus calls
}

func (f *fakeStore) ApplyStatus(ctx context.Context, u openwaba.StatusUpdate) (bool, error) {
	f.singles++
	return f.statusErr == nil, f.statusErr
}

func (f *fakeStore) ApplyStatuses(ctx context.Context, us []openwaba.StatusUpdate) ([]bool, error) {
	if f.statusErr != nil {
		return nil, f.statusErr
	}
	return make([]bool, len(us)), nil
}

func (f *fakeStore) SenderByPhoneNumberID(ctx context.Context, id string) (openwaba.Sender, error) {
	if id != "100" {
		return openwaba.Sender{}, openwaba.ErrNotFound
	}
	return openwaba.Sender{Number: "4915112345678", AccountID: 1, PhoneNumberID: id}, nil
}

func (f *fakeStore) RecordInbound(ctx context.Context, m openwaba.InboundMessage) (bool, error) {
	dup := f.seen[m.WAMID]
	f.seen[m.WAMID] = true
	return dup, nil
}

type recordedMetrics struct{ got []string }

func (r *recordedMetrics) StatusReport(s openwaba.Status) { r.got = append(r.got, "status "+string(s)) }
func (r *recordedMetrics) Inbound(t string)               { r.got = append(r.got, "inbound "+t) }

// TestMetricsOfNotifications: stored status reports are counted by
// status, inbound messages once each (not Meta's repeats), and nothing of
// a webhook the store refused, which Meta sends again.
func TestMetricsOfNotifications(t *testing.T) {
	t.Parallel()
	statuses := []openwaba.StatusUpdate{{WAMID: "wamid.1", Status: openwaba.StatusSent}, {WAMID: "wamid.1", Status: openwaba.StatusRead}}
	inbound := []openwaba.InboundMessage{{WAMID: "wamid.in1", Type: "text"}, {WAMID: "wamid.in1", Type: "text"}, {WAMID: "wamid.in2", Type: "image"}}
	tests := []struct {
		name      string
		change    meta.Change
		statusErr error
		want      []string
		wantErr   bool
	}{
		{"statuses", meta.Change{PhoneNumberID: "100", Statuses: statuses}, nil, []string{"status sent", "status read"}, false},
		{"inbound with a repeat", meta.Change{PhoneNumberID: "100", Messages: inbound}, nil, []string{"inbound text", "inbound image"}, false},
		{"unknown number", meta.Change{PhoneNumberID: "999", Messages: inbound}, nil, nil, false},
		{"store down", meta.Change{PhoneNumberID: "100", Statuses: statuses}, errors.New("down"), nil, true},
		// A report the store finds nothing for is skipped, one by one,
		// not the webhook refused (Meta would send it again for a week).
		{"not found", meta.Change{PhoneNumberID: "100", Statuses: statuses}, openwaba.ErrNotFound, []string{"status sent", "status read"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recordedMetrics{}
			store := &fakeStore{seen: map[string]bool{}, statusErr: tc.statusErr}
			s := &Sink{Store: store, Metrics: rec}
			err := s.HandleNotification(t.Context(), meta.Notification{Changes: []meta.Change{tc.change}})
			if (err != nil) != tc.wantErr {
				t.Fatalf("HandleNotification: %v, want an error %v", err, tc.wantErr)
			}
			if !slices.Equal(rec.got, tc.want) {
				t.Errorf("counted %v, want %v", rec.got, tc.want)
			}
			// A change's reports go to the store in one call; only a batch
			// with a report the store cannot place is retried one by one.
			wantSingles := 0
			if errors.Is(tc.statusErr, openwaba.ErrNotFound) {
				wantSingles = len(tc.change.Statuses)
			}
			if store.singles != wantSingles {
				t.Errorf("%d ApplyStatus calls, want %d", store.singles, wantSingles)
			}
		})
	}
}
