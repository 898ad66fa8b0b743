package batch

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeDB models a transaction with savepoints closely enough to check what
// the batcher commits: ops append values to their transaction, ROLLBACK TO
// drops what was appended since the savepoint, Commit publishes the rest.
type fakeDB struct {
	mu        sync.Mutex
	committed []string
	batches   []int // ops (savepoints) per committed transaction
	commitErr error
	// failExec, when set, makes Exec fail for the n-th SAVEPOINT of the
	// next transaction (1-based), once.
	failSavepoint int
	begins        int
}

type fakeTx struct {
	values []string
	mark   int
	ops    int
}

func (tx *fakeTx) write(v string) { tx.values = append(tx.values, v) }

func (db *fakeDB) Begin(context.Context) (*fakeTx, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.begins++
	return &fakeTx{}, nil
}

func (db *fakeDB) Exec(_ context.Context, tx *fakeTx, query string) error {
	switch query {
	case "SAVEPOINT op":
		tx.ops++
		db.mu.Lock()
		fail := db.failSavepoint == tx.ops
		if fail {
			db.failSavepoint = 0
		}
		db.mu.Unlock()
		if fail {
			return errors.New("disk I/O error")
		}
		tx.mark = len(tx.values)
	case "ROLLBACK TO SAVEPOINT op":
		tx.values = tx.values[:tx.mark]
	case "RELEASE SAVEPOINT op":
	default:
		return errors.New("unexpected statement " + query)
	}
	return nil
}

func (db *fakeDB) Commit(tx *fakeTx) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.commitErr != nil {
		return db.commitErr
	}
	db.committed = append(db.committed, tx.values...)
	db.batches = append(db.batches, tx.ops)
	return nil
}

func (db *fakeDB) Rollback(*fakeTx) error { return nil }

func (db *fakeDB) state() (committed []string, batches []int) {
	db.mu.Lock()
	defer db.mu.Unlock()
	return slices.Clone(db.committed), slices.Clone(db.batches)
}

func write(v string) Op[*fakeTx] {
	return func(_ context.Context, tx *fakeTx) error { tx.write(v); return nil }
}

func newBatcher(t *testing.T, db *fakeDB, max int) *Batcher[*fakeTx] {
	t.Helper()
	b := New[*fakeTx](db, Options{MaxBatch: max})
	t.Cleanup(func() { b.Close() })
	return b
}

// hold occupies the writer with an op until the returned release is
// called, so that the test can queue ops that will form the next batch.
func hold(t *testing.T, b *Batcher[*fakeTx]) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- b.Do(context.Background(), func(context.Context, *fakeTx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("holding op: %v", err)
		}
	}
}

// waitQueued waits until n requests wait in the writer's channel.
func waitQueued(t *testing.T, b *Batcher[*fakeTx], n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(b.reqs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d ops queued, want %d", len(b.reqs), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// doAsync starts Do in a goroutine and returns a channel with its result.
func doAsync(ctx context.Context, b *Batcher[*fakeTx], op Op[*fakeTx]) <-chan error {
	c := make(chan error, 1)
	go func() { c <- b.Do(ctx, op) }()
	return c
}

func TestDoCommits(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := newBatcher(t, db, 0)
	if err := b.Do(context.Background(), write("a")); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.state(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("committed %q, want [a]", got)
	}
}

func TestWaitingOpsShareOneCommit(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := newBatcher(t, db, 0)
	release := hold(t, b)
	var results []<-chan error
	for _, v := range []string{"a", "b", "c", "d"} {
		results = append(results, doAsync(context.Background(), b, write(v)))
	}
	waitQueued(t, b, 4)
	release()
	for _, r := range results {
		if err := <-r; err != nil {
			t.Fatal(err)
		}
	}
	committed, batches := db.state()
	if !slices.Equal(batches, []int{1, 4}) {
		t.Errorf("ops per commit %v, want [1 4]", batches)
	}
	slices.Sort(committed)
	if !slices.Equal(committed, []string{"a", "b", "c", "d"}) {
		t.Errorf("committed %q", committed)
	}
}

func TestMaxBatchBoundsATransaction(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := newBatcher(t, db, 3)
	release := hold(t, b)
	var results []<-chan error
	for range 3 {
		results = append(results, doAsync(context.Background(), b, write("x")))
	}
	waitQueued(t, b, 3) // the channel holds MaxBatch
	for range 4 {
		results = append(results, doAsync(context.Background(), b, write("y")))
	}
	release()
	for _, r := range results {
		if err := <-r; err != nil {
			t.Fatal(err)
		}
	}
	_, batches := db.state()
	total := 0
	for _, n := range batches[1:] {
		if n > 3 {
			t.Errorf("a transaction carried %d ops, more than MaxBatch 3", n)
		}
		total += n
	}
	if total != 7 {
		t.Errorf("%d ops committed after the holding one, want 7", total)
	}
}

func TestFailingOpRollsBackOnlyItself(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := newBatcher(t, db, 0)
	errBroke := errors.New("insufficient balance")
	release := hold(t, b)
	ok1 := doAsync(context.Background(), b, write("ok1"))
	waitQueued(t, b, 1)
	bad := doAsync(context.Background(), b, func(_ context.Context, tx *fakeTx) error {
		tx.write("bad")
		return errBroke
	})
	waitQueued(t, b, 2)
	ok2 := doAsync(context.Background(), b, write("ok2"))
	waitQueued(t, b, 3)
	release()

	if err := <-bad; !errors.Is(err, errBroke) {
		t.Errorf("failing op got %v, want its own error", err)
	}
	for _, r := range []<-chan error{ok1, ok2} {
		if err := <-r; err != nil {
			t.Errorf("other op got %v", err)
		}
	}
	committed, batches := db.state()
	if !slices.Equal(committed, []string{"ok1", "ok2"}) {
		t.Errorf("committed %q, want [ok1 ok2]", committed)
	}
	if !slices.Equal(batches, []int{1, 3}) {
		t.Errorf("ops per commit %v, want [1 3]", batches)
	}
}

func TestPanickingOpFailsAlone(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := newBatcher(t, db, 0)
	release := hold(t, b)
	bad := doAsync(context.Background(), b, func(_ context.Context, tx *fakeTx) error {
		tx.write("bad")
		panic("boom")
	})
	waitQueued(t, b, 1)
	good := doAsync(context.Background(), b, write("good"))
	waitQueued(t, b, 2)
	release()
	if err := <-bad; err == nil {
		t.Error("panicking op reported success")
	}
	if err := <-good; err != nil {
		t.Error(err)
	}
	if got, _ := db.state(); !slices.Equal(got, []string{"good"}) {
		t.Errorf("committed %q, want [good]", got)
	}
}

func TestCommitFailureReachesEveryOp(t *testing.T) {
	t.Parallel()
	errDisk := errors.New("disk full")
	db := &fakeDB{commitErr: errDisk}
	b := newBatcher(t, db, 0)
	errOwn := errors.New("own")
	started, gate := make(chan struct{}), make(chan struct{})
	first := doAsync(context.Background(), b, func(context.Context, *fakeTx) error {
		close(started)
		<-gate
		return nil
	})
	<-started
	second := doAsync(context.Background(), b, write("b"))
	third := doAsync(context.Background(), b, func(context.Context, *fakeTx) error { return errOwn })
	waitQueued(t, b, 2)
	close(gate)
	for _, r := range []<-chan error{first, second} {
		if err := <-r; !errors.Is(err, errDisk) {
			t.Errorf("got %v, want the commit error", err)
		}
	}
	if err := <-third; !errors.Is(err, errOwn) {
		t.Errorf("failed op got %v, want its own error", err)
	}
	if got, _ := db.state(); len(got) != 0 {
		t.Errorf("committed %q despite the failure", got)
	}
}

func TestBrokenTransactionRerunsOnlyOpsThatDidNotRun(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := newBatcher(t, db, 0)
	release := hold(t, b)
	runs := map[string]int{}
	var mu sync.Mutex
	counted := func(v string) Op[*fakeTx] {
		return func(_ context.Context, tx *fakeTx) error {
			mu.Lock()
			runs[v]++
			mu.Unlock()
			tx.write(v)
			return nil
		}
	}
	a := doAsync(context.Background(), b, counted("a"))
	waitQueued(t, b, 1)
	c := doAsync(context.Background(), b, counted("c"))
	waitQueued(t, b, 2)
	d := doAsync(context.Background(), b, counted("d"))
	waitQueued(t, b, 3)
	db.mu.Lock()
	db.failSavepoint = 2 // c's savepoint breaks the next transaction
	db.mu.Unlock()
	release()

	if err := <-a; err == nil {
		t.Error("a ran in the broken transaction but reported success")
	}
	if err := <-c; err == nil {
		t.Error("c broke the transaction but reported success")
	}
	if err := <-d; err != nil {
		t.Errorf("d, which had not run, got %v; want it rerun in a new transaction", err)
	}
	committed, _ := db.state()
	if !slices.Equal(committed, []string{"d"}) {
		t.Errorf("committed %q, want [d]", committed)
	}
	if runs["a"] != 1 || runs["c"] != 0 || runs["d"] != 1 {
		t.Errorf("runs %v: a once, c never, d once", runs)
	}
}

func TestCancelledBeforeRunIsSkipped(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := newBatcher(t, db, 0)
	release := hold(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	r := doAsync(ctx, b, func(_ context.Context, tx *fakeTx) error { ran = true; tx.write("x"); return nil })
	waitQueued(t, b, 1)
	cancel()
	if err := <-r; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	release()
	if err := b.Do(context.Background(), write("after")); err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Error("the op of a caller that had given up ran")
	}
	if got, _ := db.state(); !slices.Equal(got, []string{"after"}) {
		t.Errorf("committed %q, want [after]", got)
	}
}

func TestCancelledWhileRunningWaitsForTheOutcome(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := newBatcher(t, db, 0)
	ctx, cancel := context.WithCancel(context.Background())
	var opCtxErr error
	err := b.Do(ctx, func(opCtx context.Context, tx *fakeTx) error {
		cancel()
		opCtxErr = opCtx.Err()
		tx.write("x")
		return nil
	})
	if err != nil {
		t.Errorf("Do = %v; an op that ran and committed must report success", err)
	}
	if opCtxErr != nil {
		t.Errorf("op's context was cancelled (%v); it must not be", opCtxErr)
	}
	if got, _ := db.state(); !slices.Equal(got, []string{"x"}) {
		t.Errorf("committed %q", got)
	}
}

func TestCancelledContextNeverEnqueues(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := newBatcher(t, db, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Do(ctx, write("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	b.Close()
	if db.begins != 0 {
		t.Errorf("%d transactions begun for nothing", db.begins)
	}
}

func TestOnlyFailuresRollBackWithoutCommit(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := newBatcher(t, db, 0)
	if err := b.Do(context.Background(), func(context.Context, *fakeTx) error { return errors.New("no") }); err == nil {
		t.Fatal("want the op's error")
	}
	if _, batches := db.state(); len(batches) != 0 {
		t.Errorf("committed %v transactions with nothing in them", batches)
	}
}

func TestCloseRunsQueuedOpsThenRefuses(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := New[*fakeTx](db, Options{})
	release := hold(t, b)
	queued := doAsync(context.Background(), b, write("queued"))
	waitQueued(t, b, 1)
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	release()
	<-closed
	if err := <-queued; err != nil {
		t.Errorf("op queued before Close got %v", err)
	}
	if got, _ := db.state(); !slices.Equal(got, []string{"queued"}) {
		t.Errorf("committed %q", got)
	}
	if err := b.Do(context.Background(), write("late")); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close = %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestManyConcurrentCallers(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	b := newBatcher(t, db, 16)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			if err := b.Do(context.Background(), write(string(rune('a'+i%26)))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	committed, batches := db.state()
	if len(committed) != 200 {
		t.Errorf("%d values committed, want 200", len(committed))
	}
	for _, n := range batches {
		if n > 16 {
			t.Errorf("batch of %d > MaxBatch", n)
		}
	}
}
