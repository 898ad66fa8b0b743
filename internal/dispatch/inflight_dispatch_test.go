package dispatch_test

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openwaba/openwaba"
)

// TestSendersKeepTheirPaceWhateverTheLatency: with WhatsApp answering
// after a round trip of up to a second, each sender still sends at its
// full MPS, because its sends in flight grow with the observed latency;
// no one-second window of a sender, wherever it starts (the first second
// included), carries more than its MPS; and every message goes out once.
// On the bubble's fake clock the store takes no time, so the figures are
// the dispatcher's own: exact, whatever the machine.
func TestSendersKeepTheirPaceWhateverTheLatency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		senders, mps int
		latency      time.Duration
		seconds      int // of sending at the full pace
	}{
		{1, 1000, 200 * time.Millisecond, 2},
		{1, 100, 50 * time.Millisecond, 3},
		{3, 100, 300 * time.Millisecond, 2},
		{2, 50, time.Second, 3},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%dx%d/s,%v", tc.senders, tc.mps, tc.latency), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, nil, tc.mps)
				e.up.Upstream = &fakeUpstream{delay: tc.latency}
				senders := []string{testSender}
				for i := 1; i < tc.senders; i++ {
					number := fmt.Sprintf("49151100000%02d", i)
					err := e.store.PutSender(t.Context(), openwaba.Sender{Number: number, AccountID: e.account.ID, PhoneNumberID: fmt.Sprintf("1000000000001%02d", i), WABAID: testWABAID, MPS: tc.mps})
					if err != nil {
						t.Fatal(err)
					}
					senders = append(senders, number)
				}
				perSender := tc.seconds * tc.mps
				now := time.Now()
				var msgs []openwaba.Message
				batch := make([]openwaba.Message, 0, 1000)
				for i := range perSender * tc.senders {
					m := template(i, now, openwaba.DefaultTTL)
					m.Sender = senders[i%len(senders)]
					if batch = append(batch, m); len(batch) == cap(batch) {
						msgs = append(msgs, e.accept(batch...)...)
						batch = batch[:0]
					}
				}
				if len(batch) > 0 {
					msgs = append(msgs, e.accept(batch...)...)
				}
				e.start()
				e.waitSettled(ids(msgs)...)
				e.halt()
				checkSentOnce(t, e, msgs, func(int) bool { return true })

				at := map[string][]time.Duration{}
				for _, r := range e.up.records() {
					at[r.msg.Sender] = append(at[r.msg.Sender], r.at.Sub(now))
				}
				for _, s := range senders {
					times := at[s]
					slices.Sort(times)
					if len(times) != perSender {
						t.Fatalf("sender %s: %d sends, want %d", s, len(times), perSender)
					}
					// No window of a second holds more than the MPS: the
					// send mps places after any send is a second later.
					for i := tc.mps; i < len(times); i++ {
						if d := times[i] - times[i-tc.mps]; d < time.Second {
							t.Fatalf("sender %s: %d sends within %v (from %v), more than %d in a second", s, tc.mps+1, d, times[i-tc.mps], tc.mps)
						}
					}
					// Every second is full, the first included: counted
					// from the first send, each has exactly the MPS.
					perSecond := make([]int, tc.seconds)
					for _, d := range times {
						if k := int((d - times[0]) / time.Second); k < len(perSecond) {
							perSecond[k]++
						}
					}
					for _, n := range perSecond {
						if n != tc.mps {
							t.Errorf("sender %s: sends per second from the first %v, want %d each", s, perSecond, tc.mps)
							break
						}
					}
				}
			})
		})
	}
}
