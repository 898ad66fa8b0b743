package api

import (
	"net/http"
	"time"

	"github.com/openwaba/openwaba"
)

// senderView is a sender number as the API shows it: its Meta ids and
// pace, and what Meta last reported about its health.
type senderView struct {
	Number         string            `json:"number"`
	AccountID      int64             `json:"account_id"`
	PhoneNumberID  string            `json:"phone_number_id"`
	WABAID         string            `json:"waba_id"`
	MPS            int               `json:"mps"`
	Quality        *string           `json:"quality"`         // GREEN, YELLOW, RED, UNKNOWN; null: never reported
	MessagingLimit *string           `json:"messaging_limit"` // Meta's tier, e.g. TIER_2K
	Restrictions   []restrictionView `json:"restrictions"`    // in force now
	BanState       *string           `json:"ban_state"`       // DISABLE, SCHEDULE_FOR_DISABLE, DELETED
	HealthEvent    *string           `json:"health_event"`    // Meta's event of the last report
	HealthUpdated  *string           `json:"health_updated"`
	// Marketing is what the dispatcher does now with marketing templates
	// from the number: send, held or failed (openwaba.SenderHealth.Gate).
	Marketing string `json:"marketing"`
}

type restrictionView struct {
	Type    string  `json:"type"`
	Expires *string `json:"expires"` // null: until Meta lifts it
}

func viewSender(sd openwaba.Sender, now time.Time) senderView {
	h := sd.Health
	v := senderView{
		Number: sd.Number, AccountID: sd.AccountID, PhoneNumberID: sd.PhoneNumberID, WABAID: sd.WABAID, MPS: sd.MPS,
		Quality: nullable(h.Quality), MessagingLimit: nullable(h.MessagingLimit), BanState: nullable(h.BanState),
		HealthEvent: nullable(h.Event), Restrictions: []restrictionView{}, Marketing: h.Marketing(now),
	}
	if !h.UpdatedAt.IsZero() {
		v.HealthUpdated = nullable(timeString(h.UpdatedAt))
	}
	for _, r := range h.Restrictions {
		if !r.Active(now) {
			continue
		}
		rv := restrictionView{Type: r.Type}
		if !r.Expires.IsZero() {
			rv.Expires = nullable(timeString(r.Expires))
		}
		v.Restrictions = append(v.Restrictions, rv)
	}
	return v
}

func viewSenders(ss []openwaba.Sender, now time.Time) []senderView {
	out := make([]senderView, 0, len(ss))
	for _, sd := range ss {
		out = append(out, viewSender(sd, now))
	}
	return out
}

// listSenders answers GET /api/waba/senders: the caller's own numbers
// with their health.
func (s *Server) listSenders(w http.ResponseWriter, r *http.Request) {
	senders, err := s.cfg.Store.Senders(r.Context(), principalFrom(r.Context()).AccountID)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, viewSenders(senders, s.now()))
}
