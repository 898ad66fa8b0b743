package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// owedJob is a statusJob as the state file keeps it, with how many of its
// webhooks were already taken.
type owedJob struct {
	PhoneNumberID string   `json:"phone_number_id"`
	WABAID        string   `json:"waba_id"`
	Display       string   `json:"display_phone_number"`
	WAMID         string   `json:"wamid"`
	WaID          string   `json:"wa_id"`
	UserID        string   `json:"user_id,omitempty"`
	Username      string   `json:"username,omitempty"`
	ToBSUID       bool     `json:"to_bsuid,omitempty"`
	CallbackData  string   `json:"biz_opaque_callback_data,omitempty"`
	Category      string   `json:"category"`
	InWindow      bool     `json:"in_window,omitempty"`
	FailCode      int      `json:"fail_code,omitempty"`
	Steps         []string `json:"steps,omitempty"`
	Taken         int      `json:"taken,omitempty"`
}

func owedOf(j statusJob) owedJob {
	return owedJob{
		PhoneNumberID: j.num.PhoneNumberID, WABAID: j.num.WABAID, Display: j.num.Display,
		WAMID: j.wamid, WaID: j.user.waID, UserID: j.user.userID, Username: j.user.username, ToBSUID: j.toBSUID,
		CallbackData: j.callbackData, Category: j.category,
		InWindow: j.inWindow, FailCode: j.failCode, Steps: j.steps, Taken: j.taken,
	}
}

func (o owedJob) job() statusJob {
	return statusJob{
		num:   number{PhoneNumberID: o.PhoneNumberID, WABAID: o.WABAID, Display: o.Display},
		wamid: o.WAMID, user: user{waID: o.WaID, userID: o.UserID, username: o.Username}, toBSUID: o.ToBSUID,
		callbackData: o.CallbackData, category: o.Category,
		inWindow: o.InWindow, failCode: o.FailCode, steps: o.Steps, taken: o.Taken,
	}
}

// stateFile is the file's content.
type stateFile struct {
	Version int       `json:"version"`
	Owed    []owedJob `json:"owed"`
}

const stateVersion = 1

// ledger keeps the status webhooks the sandbox owes in a file, as Meta
// keeps them across anything that happens to the gateway. A job is saved
// before its send is answered (a wamid the gateway was given always has
// its statuses coming) and dropped once its last webhook was taken; how
// far a job got is saved along the way but need not be, since a status
// sent twice changes nothing. Saves are grouped: whoever saves writes
// every change made so far, and those who wait for a later save than the
// file holds are served by it.
type ledger struct {
	path string

	mu    sync.Mutex
	jobs  map[string]owedJob // by wamid
	gen   uint64             // changes made to jobs
	saved uint64             // the gen the file holds

	saveMu sync.Mutex // one write at a time
}

// openLedger reads the jobs a previous sandbox left in path (none when
// there is no file yet).
func openLedger(path string) (*ledger, []owedJob, error) {
	l := &ledger{path: path, jobs: make(map[string]owedJob)}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading owed status webhooks: %w", err)
	}
	var f stateFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, nil, fmt.Errorf("reading owed status webhooks from %s: %w", path, err)
	}
	if f.Version != stateVersion {
		return nil, nil, fmt.Errorf("reading owed status webhooks from %s: version %d, want %d", path, f.Version, stateVersion)
	}
	for _, j := range f.Owed {
		l.jobs[j.WAMID] = j
	}
	return l, f.Owed, nil
}

// put records a job or its progress and returns the change's number, for
// save.
func (l *ledger) put(j owedJob) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.jobs[j.WAMID] = j
	l.gen++
	return l.gen
}

// drop forgets a job whose webhooks were all taken.
func (l *ledger) drop(wamid string) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.jobs, wamid)
	l.gen++
	return l.gen
}

// latest is the number of the last change.
func (l *ledger) latest() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gen
}

// save returns once the file holds change gen or a later one.
func (l *ledger) save(gen uint64) error {
	l.saveMu.Lock()
	defer l.saveMu.Unlock()
	l.mu.Lock()
	if l.saved >= gen {
		l.mu.Unlock()
		return nil
	}
	f := stateFile{Version: stateVersion, Owed: make([]owedJob, 0, len(l.jobs))}
	for _, j := range l.jobs {
		f.Owed = append(f.Owed, j)
	}
	upTo := l.gen
	l.mu.Unlock()
	slices.SortFunc(f.Owed, func(a, b owedJob) int { return strings.Compare(a.WAMID, b.WAMID) })
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("saving owed status webhooks: %w", err)
	}
	if err := writeFileAtomic(l.path, b); err != nil {
		return fmt.Errorf("saving owed status webhooks: %w", err)
	}
	l.mu.Lock()
	l.saved = upTo
	l.mu.Unlock()
	return nil
}

// writeFileAtomic replaces path with data so that a crash leaves either
// the old file or the new one: a synced temporary file in the same
// directory, renamed over path, and the directory synced so that the
// rename is durable too.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be synced there; renames are durable
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
