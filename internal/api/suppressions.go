package api

import (
	"net/http"

	"github.com/openwaba/openwaba"
)

// The suppression list of the account (consent.go): GET, POST and DELETE
// /api/waba/suppressions, and the keywords that fill and clear it
// (PUT /api/waba/suppressions/keywords).

type suppressionView struct {
	User    string `json:"user"`
	Reason  string `json:"reason"`
	Note    string `json:"note"`
	Created string `json:"created"`
}

type suppressionsView struct {
	Suppressions   []suppressionView `json:"suppressions"`
	OptOutKeywords []string          `json:"opt_out_keywords"`
	OptInKeywords  []string          `json:"opt_in_keywords"`
}

// listSuppressions answers GET /api/waba/suppressions: the entries,
// newest first, and the keywords in force.
func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	es, err := s.cfg.Store.Suppressions(r.Context(), p.AccountID)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	a, err := s.cfg.Store.Account(r.Context(), p.AccountID)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	optOut, optIn := a.OptKeywords()
	writeJSON(w, http.StatusOK, SuppressionsAnswer(es, optOut, optIn))
}

// SuppressionsAnswer is what GET /api/waba/suppressions answers (and
// `openwaba suppressions list --json` prints).
func SuppressionsAnswer(es []openwaba.Suppression, optOut, optIn []string) any {
	out := suppressionsView{Suppressions: make([]suppressionView, 0, len(es)), OptOutKeywords: optOut, OptInKeywords: optIn}
	for _, e := range es {
		out.Suppressions = append(out.Suppressions, suppressionView{User: e.User, Reason: string(e.Reason), Note: e.Note, Created: timeString(e.CreatedAt)})
	}
	return out
}

type consentAnswer struct {
	Success bool `json:"success"`
	// Changed is false when the user was on the list already (POST) or
	// was not on it (DELETE).
	Changed bool `json:"changed"`
}

// addSuppression answers POST /api/waba/suppressions {"user","note",
// "sender"}: the user (every id of theirs the gateway knows, in the WABA
// of sender when it is given) goes on the list, and their pending
// marketing messages are cancelled and refunded.
func (s *Server) addSuppression(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User   flexString `json:"user"`
		Note   flexString `json:"note"`
		Sender flexString `json:"sender"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	if req.User.Invalid || req.Note.Invalid || req.Sender.Invalid {
		s.writeError(w, badField(firstInvalid(map[string]bool{"user": req.User.Invalid, "note": req.Note.Invalid, "sender": req.Sender.Invalid}), "must be a string"), false)
		return
	}
	user, err := userID("user", req.User.Value)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	sender, err := optionalPhone("sender", req.Sender.Value)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	if err := openwaba.CheckSuppressionNote(req.Note.Value); err != nil {
		s.writeError(w, err, false)
		return
	}
	s.applyConsent(w, r, sender, user, openwaba.ConsentChange{OptOut: true, Reason: openwaba.ConsentAPI, Note: req.Note.Value})
}

// removeSuppression answers DELETE /api/waba/suppressions/{user}: the
// user is off the list, under every id of theirs.
func (s *Server) removeSuppression(w http.ResponseWriter, r *http.Request) {
	user, err := userID("user", r.PathValue("user"))
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	sender, err := optionalPhone("sender", r.URL.Query().Get("sender"))
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	s.applyConsent(w, r, sender, user, openwaba.ConsentChange{OptIn: true, Reason: openwaba.ConsentAPI})
}

func (s *Server) applyConsent(w http.ResponseWriter, r *http.Request, sender, user string, c openwaba.ConsentChange) {
	changed, err := s.cfg.Store.ApplyConsent(r.Context(), principalFrom(r.Context()).AccountID, sender, user, c, s.now())
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	if changed {
		s.cfg.NotifyHooks() // the opt_out or opt_in event
	}
	writeJSON(w, http.StatusOK, consentAnswer{Success: true, Changed: changed})
}

// setOptKeywords answers PUT /api/waba/suppressions/keywords
// {"opt_out":[…],"opt_in":[…]}: the whole messages that put a user on
// the list and take them off; an empty list is the defaults.
func (s *Server) setOptKeywords(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OptOut []string `json:"opt_out"`
		OptIn  []string `json:"opt_in"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	if err := openwaba.CheckOptKeywords(req.OptOut, req.OptIn); err != nil {
		s.writeError(w, err, false)
		return
	}
	p := principalFrom(r.Context())
	if err := s.cfg.Store.SetOptKeywords(r.Context(), p.AccountID, req.OptOut, req.OptIn); err != nil {
		s.writeError(w, err, false)
		return
	}
	s.listSuppressions(w, r)
}
