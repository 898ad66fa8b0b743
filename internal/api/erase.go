package api

import (
	"net/http"

	"github.com/openwaba/openwaba"
)

// eraseView is what DELETE /api/waba/users/{user} answers: how many rows
// of each kind went (openwaba.Erasure).
type eraseView struct {
	Success    bool     `json:"success"`
	User       string   `json:"user"`
	IDs        []string `json:"ids"` // the user's ids that were erased
	Messages   int      `json:"messages"`
	Inbound    int      `json:"inbound"`
	Windows    int      `json:"windows"`
	Identities int      `json:"identities"`
	Suppressed int      `json:"suppressions"`
	Deliveries int      `json:"deliveries"`
	Replays    int      `json:"replays"`
	Ledger     int      `json:"ledger_rows_anonymised"`
}

// EraseAnswer is what the API answers for an erasure (and `openwaba
// erase --json` prints).
func EraseAnswer(user string, e openwaba.Erasure) any {
	ids := e.User.IDs()
	if ids == nil {
		ids = []string{}
	}
	return eraseView{Success: true, User: user, IDs: ids, Messages: e.Messages, Inbound: e.Inbound, Windows: e.Windows,
		Identities: e.Identities, Suppressed: e.Suppressed, Deliveries: e.Deliveries, Replays: e.Replays, Ledger: e.Ledger}
}

// eraseUser answers DELETE /api/waba/users/{user}: a GDPR erasure of
// everything the account holds about the user (docs/api.md).
func (s *Server) eraseUser(w http.ResponseWriter, r *http.Request) {
	user, err := userID("user", r.PathValue("user"))
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	e, err := s.cfg.Store.EraseUser(r.Context(), principalFrom(r.Context()).AccountID, user, s.now())
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	s.log.Info("user erased", "account", principalFrom(r.Context()).AccountID, "messages", e.Messages, "inbound", e.Inbound)
	writeJSON(w, http.StatusOK, EraseAnswer(user, e))
}
