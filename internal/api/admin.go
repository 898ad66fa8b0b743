package api

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/phone"
)

// The admin API is the operator's: a key with the admin scope manages every
// account of the installation. It does over HTTP what the openwaba
// accounts, keys, senders, balance and prices commands do on the data dir.

func (s *Server) adminRoutes(mux *http.ServeMux) {
	admin := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.auth(openwaba.ScopeAdmin, h)) }
	admin("GET /api/admin/accounts", s.adminListAccounts)
	admin("POST /api/admin/accounts", s.adminCreateAccount)
	admin("GET /api/admin/accounts/{account}", s.adminGetAccount)
	admin("GET /api/admin/accounts/{account}/ledger", s.adminLedger)
	admin("POST /api/admin/accounts/{account}/topup", s.adminTopUp)
	admin("PUT /api/admin/accounts/{account}/signing", s.adminSigning)
	admin("PUT /api/admin/accounts/{account}/media-retention", s.adminMediaRetention)
	admin("PUT /api/admin/accounts/{account}/media-mode", s.adminMediaMode)
	admin("GET /api/admin/accounts/{account}/keys", s.adminListKeys)
	admin("POST /api/admin/accounts/{account}/keys", s.adminCreateKey)
	admin("DELETE /api/admin/accounts/{account}/keys/{key}", s.adminRevokeKey)
	admin("GET /api/admin/accounts/{account}/senders", s.adminListSenders)
	admin("POST /api/admin/accounts/{account}/senders", s.adminPutSender)
	admin("DELETE /api/admin/accounts/{account}/senders/{number}", s.adminRemoveSender)
	admin("GET /api/admin/prices", s.adminListPrices)
	admin("PUT /api/admin/prices", s.adminSetPrice)
	admin("DELETE /api/admin/prices", s.adminDeletePrice)
	admin("GET /api/admin/free-rules", s.adminListFreeRules)
	admin("PUT /api/admin/free-rules", s.adminSetFreeRule)
	admin("DELETE /api/admin/free-rules", s.adminDeleteFreeRule)
}

// NewKeySecret returns a new random API key ("owk_" and 26 base32
// characters, 130 bits).
func NewKeySecret() string { return "owk_" + rand.Text() }

// NewSigningSecret returns a new random signing secret.
func NewSigningSecret() string { return "ows_" + rand.Text() }

type accountView struct {
	ID        int64       `json:"id"`
	Name      string      `json:"name"`
	Currency  string      `json:"currency"`
	Balance   json.Number `json:"balance"`
	Signing   bool        `json:"signing"`
	CreatedAt string      `json:"created_at"`
}

func viewAccount(a openwaba.Account) accountView {
	return accountView{ID: a.ID, Name: a.Name, Currency: a.Currency, Balance: money(a.Balance), Signing: a.SigningSecret != "", CreatedAt: timeString(a.CreatedAt)}
}

func money(m openwaba.Micros) json.Number { return json.Number(m.String()) }

type keyView struct {
	ID         int64    `json:"id"`
	AccountID  int64    `json:"account_id"`
	Name       string   `json:"name"`
	Scopes     []string `json:"scopes"`
	CreatedAt  string   `json:"created_at"`
	ExpiresAt  *string  `json:"expires_at"`
	RevokedAt  *string  `json:"revoked_at"`
	LastUsedAt *string  `json:"last_used_at"`
	// Key is the secret, shown in the answer to its creation only.
	Key string `json:"key,omitempty"`
}

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timeString(*t)
	return &s
}

func viewKey(k openwaba.APIKey) keyView {
	v := keyView{ID: k.ID, AccountID: k.AccountID, Name: k.Name, Scopes: []string{}, CreatedAt: timeString(k.CreatedAt),
		ExpiresAt: optTime(k.ExpiresAt), RevokedAt: optTime(k.RevokedAt), LastUsedAt: optTime(k.LastUsedAt)}
	for _, sc := range k.Scopes {
		v.Scopes = append(v.Scopes, string(sc))
	}
	return v
}

// pathAccount reads {account} and checks that the account exists.
func (s *Server) pathAccount(r *http.Request) (openwaba.Account, error) {
	id, err := strconv.ParseInt(r.PathValue("account"), 10, 64)
	if err != nil || id <= 0 {
		return openwaba.Account{}, openwaba.ErrNotFound
	}
	return s.cfg.Store.Account(r.Context(), id)
}

// parseMoney reads an amount given as a JSON number or string, with the
// one parser of amounts (openwaba.ParseMicros): a JSON number arrives as
// its literal text, so 1e13 is refused like the string "1e13".
func parseMoney(field string, v flexString, allowNegative bool) (openwaba.Micros, error) {
	if v.Invalid {
		return 0, badField(field, "must be an amount of money such as 10 or 0.0735 (a JSON number or a string)")
	}
	m, err := openwaba.ParseMicros(strings.TrimSpace(v.Value))
	if err != nil {
		return 0, badField(field, "%v", err)
	}
	if !allowNegative && m < 0 {
		return 0, badField(field, "must not be negative, got %q", v.Value)
	}
	return m, nil
}

func parseCurrency(v string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(v))
	if c == "" {
		return "EUR", nil
	}
	if len(c) != 3 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return "", badField("currency", "must be a three-letter ISO 4217 code such as EUR, got %q", v)
	}
	return c, nil
}

func (s *Server) adminListAccounts(w http.ResponseWriter, r *http.Request) {
	as, err := s.cfg.Store.Accounts(r.Context())
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, AccountsAnswer(as))
}

func (s *Server) adminCreateAccount(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name     flexString `json:"name"`
		Currency flexString `json:"currency"`
		Balance  flexString `json:"balance"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	if strings.TrimSpace(req.Name.Value) == "" {
		s.writeError(w, badField("name", "is required"), false)
		return
	}
	cur, err := parseCurrency(req.Currency.Value)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	var balance openwaba.Micros
	if req.Balance.Value != "" {
		if balance, err = parseMoney("balance", req.Balance, false); err != nil {
			s.writeError(w, err, false)
			return
		}
	}
	a, err := s.cfg.Store.CreateAccount(r.Context(), openwaba.Account{Name: strings.TrimSpace(req.Name.Value), Currency: cur, Balance: balance, CreatedAt: s.now()})
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusCreated, viewAccount(a))
}

func (s *Server) adminGetAccount(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, viewAccount(a))
}

func (s *Server) adminLedger(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	entries, err := s.cfg.Store.Ledger(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, LedgerAnswer(a, entries))
}

func (s *Server) adminTopUp(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	var req struct {
		Amount flexString `json:"amount"`
		Reason flexString `json:"reason"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	amount, err := parseMoney("amount", req.Amount, true)
	if err == nil && amount == 0 {
		err = badField("amount", "must not be zero")
	}
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	balance, err := s.cfg.Store.Credit(r.Context(), a.ID, amount, strings.TrimSpace(req.Reason.Value))
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, BalanceAnswer(balance, a.Currency))
}

// adminSigning turns request signing on (a new secret, shown once in the
// answer) or off.
func (s *Server) adminSigning(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	var req struct {
		Enabled flexBool `json:"enabled"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	secret := ""
	if req.Enabled.Value {
		secret = NewSigningSecret()
	}
	if err := s.cfg.Store.SetSigningSecret(r.Context(), a.ID, secret); err != nil {
		s.writeError(w, err, false)
		return
	}
	resp := map[string]any{"signing": secret != ""}
	if secret != "" {
		resp["secret"] = secret
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) adminListKeys(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	keys, err := s.cfg.Store.APIKeys(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, KeysAnswer(keys))
}

func (s *Server) adminCreateKey(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	var req struct {
		Name      flexString   `json:"name"`
		Scopes    []flexString `json:"scopes"`
		ExpiresAt flexString   `json:"expires_at"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	if len(req.Scopes) == 0 {
		s.writeError(w, badField("scopes", "is required: one or more of waba, analytics, journal, hooks, admin"), false)
		return
	}
	k := openwaba.APIKey{AccountID: a.ID, Name: req.Name.Value, CreatedAt: s.now()}
	for _, v := range req.Scopes {
		sc, ok := openwaba.ParseScope(v.Value)
		if !ok {
			s.writeError(w, badField("scopes", "unknown scope %q: use waba, analytics, journal, hooks or admin", v.Value), false)
			return
		}
		k.Scopes = append(k.Scopes, sc)
	}
	if req.ExpiresAt.Value != "" {
		t, err := time.Parse(time.RFC3339, req.ExpiresAt.Value)
		if err != nil || !t.After(s.now()) {
			s.writeError(w, badField("expires_at", "must be a future RFC 3339 time, got %q", req.ExpiresAt.Value), false)
			return
		}
		k.ExpiresAt = &t
	}
	secret := NewKeySecret()
	k.Hash = HashKey(secret)
	if k, err = s.cfg.Store.CreateAPIKey(r.Context(), k); err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusCreated, KeyAnswer(k, secret))
}

func (s *Server) adminRevokeKey(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("key"), 10, 64)
	if err != nil {
		writeNotFound(w)
		return
	}
	k, err := s.cfg.Store.RevokeAPIKey(r.Context(), a.ID, id, s.now())
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, KeyAnswer(k, ""))
}

func (s *Server) adminListSenders(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	senders, err := s.cfg.Store.Senders(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, SendersAnswer(senders, s.now()))
}

// adminPutSender adds a number to the account, or updates its Meta ids. A
// number of another account is a conflict (openwaba.ErrSenderTaken).
func (s *Server) adminPutSender(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	var req struct {
		Number        flexString `json:"number"`
		PhoneNumberID flexString `json:"phone_number_id"`
		WABAID        flexString `json:"waba_id"`
		MPS           flexString `json:"mps"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	number, err := requiredPhone("number", req.Number)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	if req.PhoneNumberID.Value == "" || req.WABAID.Value == "" {
		s.writeError(w, badField("phone_number_id", "and waba_id are required"), false)
		return
	}
	mps := 0
	if req.MPS.Value != "" {
		if mps, err = strconv.Atoi(req.MPS.Value); err != nil || mps < 0 || mps > 1000 {
			s.writeError(w, badField("mps", "must be between 0 and 1000"), false)
			return
		}
	}
	// The store refuses a number of another account (ErrSenderTaken), in
	// the statement that writes it: no check here that could race.
	sd := openwaba.Sender{Number: number, AccountID: a.ID, PhoneNumberID: req.PhoneNumberID.Value, WABAID: req.WABAID.Value, MPS: mps}
	if err := s.cfg.Store.PutSender(r.Context(), sd); err != nil {
		s.writeError(w, err, false)
		return
	}
	// Read back: an update keeps the health Meta reported.
	if sd, err = s.cfg.Store.Sender(r.Context(), a.ID, number); err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, SenderAnswer(sd, s.now()))
}

func (s *Server) adminRemoveSender(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	number, err := phone.Normalize(r.PathValue("number"))
	if err != nil {
		writeNotFound(w)
		return
	}
	if _, err := s.cfg.Store.Sender(r.Context(), a.ID, number); err != nil {
		s.writeError(w, err, false)
		return
	}
	if err := s.cfg.Store.RemoveSender(r.Context(), number); err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (s *Server) adminListPrices(w http.ResponseWriter, r *http.Request) {
	cur := r.URL.Query().Get("currency")
	if cur != "" {
		var err error
		if cur, err = parseCurrency(cur); err != nil {
			s.writeError(w, err, false)
			return
		}
	}
	prices, err := s.cfg.Store.Prices(r.Context(), cur)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, PricesAnswer(prices))
}

// priceRow reads the currency, prefix and category of a price row.
func priceRow(currency, prefix, category string) (openwaba.Price, error) {
	cur, err := parseCurrency(currency)
	if err != nil {
		return openwaba.Price{}, err
	}
	prefix = strings.TrimPrefix(strings.TrimSpace(prefix), "+")
	if !phone.ValidPrefix(prefix) {
		return openwaba.Price{}, badField("prefix", "must be empty (the default row) or start with a country calling code such as 49, got %q", prefix)
	}
	switch c := openwaba.PriceCategory(category); c {
	case openwaba.CategoryMarketing, openwaba.CategoryUtility, openwaba.CategoryAuthentication, openwaba.CategoryService:
		return openwaba.Price{Currency: cur, Prefix: prefix, Category: c}, nil
	}
	return openwaba.Price{}, badField("category", "must be marketing, utility, authentication or service, got %q", category)
}

func (s *Server) adminSetPrice(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Currency flexString `json:"currency"`
		Prefix   flexString `json:"prefix"`
		Category flexString `json:"category"`
		Amount   flexString `json:"amount"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	p, err := priceRow(req.Currency.Value, req.Prefix.Value, req.Category.Value)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	if p.Amount, err = parseMoney("amount", req.Amount, false); err != nil {
		s.writeError(w, err, false)
		return
	}
	p.UpdatedAt = s.now()
	if err := s.cfg.Store.SetPrice(r.Context(), p); err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, PriceAnswer(p))
}

func (s *Server) adminDeletePrice(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := priceRow(q.Get("currency"), q.Get("prefix"), q.Get("category"))
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	if err := s.cfg.Store.DeletePrice(r.Context(), p.Currency, p.Prefix, p.Category); err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}
