package api

import (
	"net/http"
	"time"

	"github.com/openwaba/openwaba"
)

// queueView is the caller's backlog: what waits for WhatsApp per sender,
// and what waits for the caller's webhooks per hook. Under a burst the
// accept path outruns the dispatch (docs/performance.md): this is where
// that shows, as it does in the openwaba_dispatch_* metrics.
type queueView struct {
	At      string            `json:"at"`
	Senders []senderQueueView `json:"senders"`
	Hooks   []hookQueueView   `json:"hooks"`
}

type senderQueueView struct {
	Sender    string  `json:"sender"`
	MPS       int     `json:"mps"`
	Due       int     `json:"due"`        // queued messages due now, not handed to WhatsApp yet
	OldestDue *string `json:"oldest_due"` // null when none is due
	// LagSeconds is how late the oldest due message is; DrainSeconds how
	// long the due ones take at the sender's pace.
	LagSeconds   float64 `json:"lag_seconds"`
	DrainSeconds float64 `json:"drain_seconds"`
}

type hookQueueView struct {
	HookID        int64   `json:"hook_id"`
	Pending       int     `json:"pending"`
	OldestPending *string `json:"oldest_pending"`
	Dead          int     `json:"dead"`
	// HeldUntil is when this node next probes the hook's receiver, whose
	// webhooks it holds back (docs/webhooks.md); null when it does not.
	HeldUntil *string `json:"held_until"`
}

// getQueue answers GET /api/waba/queue: the backlog of the caller's
// senders (every one of them, with nothing due too) and hooks.
func (s *Server) getQueue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	accountID := principalFrom(ctx).AccountID
	now := s.now()
	stats, err := s.cfg.Store.QueueStats(ctx, now)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	senders, err := s.cfg.Store.Senders(ctx, accountID)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	hooks, err := s.cfg.Store.Hooks(ctx, accountID)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	due := map[string]openwaba.SenderQueue{}
	for _, q := range stats.Senders {
		due[q.Sender] = q
	}
	out := queueView{At: timeString(now), Senders: []senderQueueView{}, Hooks: []hookQueueView{}}
	for _, sd := range senders {
		q := due[sd.Number]
		v := senderQueueView{Sender: sd.Number, MPS: sd.PaceMPS(), Due: q.Due}
		if q.Due > 0 {
			v.OldestDue = nullable(timeString(q.OldestDue))
			v.LagSeconds = max(0, now.Sub(q.OldestDue).Seconds())
			v.DrainSeconds = float64(q.Due) / float64(v.MPS)
		}
		out.Senders = append(out.Senders, v)
	}
	pending := map[int64]openwaba.HookQueue{}
	for _, q := range stats.Hooks {
		pending[q.HookID] = q
	}
	for _, h := range hooks {
		q := pending[h.ID]
		v := hookQueueView{HookID: h.ID, Pending: q.Pending, Dead: q.Dead}
		if !q.OldestPending.IsZero() {
			v.OldestPending = nullable(timeString(q.OldestPending.UTC().Truncate(time.Millisecond)))
		}
		if until, held := s.cfg.HookHeld(h.ID, h.TargetURL); held {
			v.HeldUntil = nullable(timeString(until))
		}
		out.Hooks = append(out.Hooks, v)
	}
	writeJSON(w, http.StatusOK, out)
}
