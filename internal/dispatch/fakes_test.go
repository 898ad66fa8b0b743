package dispatch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// fakeUpstream is WhatsApp inside the bubble, for the tests where the
// time a send takes matters: each send takes delay of fake time, and the
// nth send of a message gets wamid.<id>.<n>, unless refuse returns an
// error for it. It only sends.
type fakeUpstream struct {
	openwaba.Upstream // nil: the other calls are not made
	delay             time.Duration
	refuse            func(m openwaba.Message, n int) error

	mu    sync.Mutex
	sends map[int64]int
}

func (f *fakeUpstream) Send(_ context.Context, _ openwaba.Sender, m openwaba.Message) (openwaba.Submission, error) {
	time.Sleep(f.delay)
	f.mu.Lock()
	if f.sends == nil {
		f.sends = map[int64]int{}
	}
	f.sends[m.ID]++
	n := f.sends[m.ID]
	f.mu.Unlock()
	if f.refuse != nil {
		if err := f.refuse(m, n); err != nil {
			return openwaba.Submission{}, err
		}
	}
	return openwaba.Submission{WAMID: fmt.Sprintf("wamid.%d.%d", m.ID, n)}, nil
}

// count is how many times m was handed to WhatsApp, taken or not.
func (f *fakeUpstream) count(id int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sends[id]
}

// errDiskFull stands for a store that cannot write.
var errDiskFull = errors.New("database or disk is full")

// faults says which store calls a faultyStore fails. A count fails that
// many calls, then lets the others through.
type faults struct {
	marks       int // MarkSubmitted calls that fail without writing
	lostMarks   int // MarkSubmitted calls that write, then answer an error (the answer was lost)
	retries     int // Retry calls that fail without writing
	lostRetries int // Retry calls that write, then answer an error
	fails       int // Fail calls that fail without writing
	renewals    int // RenewLeases calls that fail
	// Between these (fake clock) MarkSubmitted fails, and, with allDown,
	// every write.
	downFrom, downUntil time.Time
	allDown             bool
}

// faultyStore is the store with injected write failures (a full disk, a
// database away), and it notes the largest claim the dispatcher asked for.
type faultyStore struct {
	openwaba.Store
	mu       sync.Mutex
	f        faults
	maxClaim int
}

func (s *faultyStore) take(n *int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *n > 0 {
		*n--
		return true
	}
	return false
}

// down reports whether the store is down for a write; mark: MarkSubmitted.
func (s *faultyStore) down(mark bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	return (mark || s.f.allDown) && !now.Before(s.f.downFrom) && now.Before(s.f.downUntil)
}

// left returns the faults not used up.
func (s *faultyStore) left() faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f
}

func (s *faultyStore) claimed(limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxClaim = max(s.maxClaim, limit)
}

func (s *faultyStore) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]openwaba.Message, error) {
	s.claimed(limit)
	if s.down(false) {
		return nil, errDiskFull
	}
	return s.Store.ClaimDue(ctx, now, lease, limit)
}

func (s *faultyStore) MarkSubmitted(ctx context.Context, id int64, wamid string, at time.Time) error {
	if s.down(true) || s.take(&s.f.marks) {
		return errDiskFull
	}
	err := s.Store.MarkSubmitted(ctx, id, wamid, at)
	if err == nil && s.take(&s.f.lostMarks) {
		return fmt.Errorf("mark message %d submitted: %w", id, context.DeadlineExceeded)
	}
	return err
}

func (s *faultyStore) Retry(ctx context.Context, id int64, next time.Time, errCode int, errText string) error {
	if s.down(false) || s.take(&s.f.retries) {
		return errDiskFull
	}
	err := s.Store.Retry(ctx, id, next, errCode, errText)
	if err == nil && s.take(&s.f.lostRetries) {
		return fmt.Errorf("retry message %d: %w", id, context.DeadlineExceeded)
	}
	return err
}

func (s *faultyStore) Fail(ctx context.Context, id int64, status openwaba.Status, errCode int, errText string, at time.Time) error {
	if s.down(false) || s.take(&s.f.fails) {
		return errDiskFull
	}
	return s.Store.Fail(ctx, id, status, errCode, errText, at)
}

func (s *faultyStore) RenewLeases(ctx context.Context, ids []int64, until time.Time) error {
	if s.down(false) || s.take(&s.f.renewals) {
		return errDiskFull
	}
	return s.Store.RenewLeases(ctx, ids, until)
}

// syncBuffer is a log sink the dispatcher and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// checkSentOnce checks that WhatsApp took each message for which want
// holds exactly once and that the message carries the wamid of that send,
// that it took no message more than once, and that the queue is empty: no
// message is left to be sent again. It returns the duplicates.
func checkSentOnce(t *testing.T, e *env, msgs []openwaba.Message, want func(i int) bool) int {
	t.Helper()
	taken := map[int64][]string{}
	for _, r := range e.up.records() {
		if r.ok {
			taken[r.msg.ID] = append(taken[r.msg.ID], r.wamid)
		}
	}
	dups := 0
	for i, m := range msgs {
		got := e.message(m.ID)
		wamids := taken[m.ID]
		dups += max(0, len(wamids)-1)
		switch {
		case len(wamids) > 1:
			t.Errorf("message %d went to WhatsApp %d times: %v", m.ID, len(wamids), wamids)
		case !want(i):
		case len(wamids) == 0:
			t.Errorf("message %d never went to WhatsApp: %s (%d %s)", m.ID, got.Status, got.ErrorCode, got.ErrorText)
		case got.WAMID != wamids[0]:
			t.Errorf("message %d has wamid %q, want %q of its send", m.ID, got.WAMID, wamids[0])
		}
	}
	if dups > 0 {
		t.Errorf("%d duplicates in %d messages", dups, len(msgs))
	}
	if next, ok, err := e.store.NextDue(t.Context()); ok || err != nil {
		t.Errorf("the queue still has a message due at %v (err %v)", next, err)
	}
	return dups
}
