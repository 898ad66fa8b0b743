package api

import (
	"net/http"
)

// balance answers GET /api/balance with the account's balance; any key of
// the account may ask.
func (s *Server) balance(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	acct, err := s.cfg.Store.Account(r.Context(), p.AccountID)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, BalanceAnswer(acct.Balance, acct.Currency))
}
