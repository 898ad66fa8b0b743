package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

type accountView struct {
	ID        int64       `json:"id"`
	Name      string      `json:"name"`
	Currency  string      `json:"currency"`
	Balance   json.Number `json:"balance"`
	Signing   bool        `json:"signing"`
	CreatedAt string      `json:"created_at"`
}

type priceView struct {
	Currency  string      `json:"currency"`
	Prefix    string      `json:"prefix"`
	Category  string      `json:"category"`
	Amount    json.Number `json:"amount"`
	UpdatedAt string      `json:"updated_at"`
}

type keyView struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	Scopes     []string `json:"scopes"`
	CreatedAt  string   `json:"created_at"`
	ExpiresAt  *string  `json:"expires_at"`
	RevokedAt  *string  `json:"revoked_at"`
	LastUsedAt *string  `json:"last_used_at"`
	Key        string   `json:"key"`
}

type ledgerView struct {
	Balance  json.Number `json:"balance"`
	Currency string      `json:"currency"`
	Entries  []struct {
		ID        int64       `json:"id"`
		Time      string      `json:"time"`
		Amount    json.Number `json:"amount"`
		Reason    string      `json:"reason"`
		MessageID *string     `json:"message_id"`
	} `json:"entries"`
}

type adminData struct {
	Accounts []accountView
	Prices   []priceView
}

func (c *Console) admin(w http.ResponseWriter, r *http.Request) {
	u, ok := c.page(w, r)
	if !ok || !c.requireScope(w, r, u, "admin") {
		return
	}
	var d adminData
	if err := c.call(r, u, "GET", "/api/admin/accounts", nil).decode(&d.Accounts); err != nil {
		c.refused(w, r, u, err)
		return
	}
	if err := c.call(r, u, "GET", "/api/admin/prices", nil).decode(&d.Prices); err != nil {
		c.refused(w, r, u, err)
		return
	}
	c.render(w, r, http.StatusOK, "admin", &view{Title: "Admin", Nav: "admin", User: u, Data: d})
}

type accountData struct {
	Account accountView
	Ledger  ledgerView
	Keys    []keyView
	Senders []senderView
	NewKey  *keyView // the key just created: its secret is shown once
	Scopes  []string
}

// adminAccount shows one account: balance and ledger, keys, senders.
func (c *Console) adminAccount(w http.ResponseWriter, r *http.Request) {
	u, ok := c.page(w, r)
	if !ok || !c.requireScope(w, r, u, "admin") {
		return
	}
	c.showAccount(w, r, u, http.StatusOK, "", nil)
}

func (c *Console) showAccount(w http.ResponseWriter, r *http.Request, u *user, status int, problem string, newKey *keyView) {
	id := r.PathValue("account")
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		c.renderError(w, r, u, http.StatusNotFound, "No such account.")
		return
	}
	base := "/api/admin/accounts/" + id
	d := accountData{NewKey: newKey, Scopes: []string{"waba", "hooks", "analytics", "admin"}}
	for _, get := range []struct {
		path string
		dst  any
	}{{base, &d.Account}, {base + "/ledger", &d.Ledger}, {base + "/keys", &d.Keys}, {base + "/senders", &d.Senders}} {
		if err := c.call(r, u, "GET", get.path, nil).decode(get.dst); err != nil {
			c.refused(w, r, u, err)
			return
		}
	}
	// Newest ledger entries first, at most 50 of them.
	e := d.Ledger.Entries
	for i, j := 0, len(e)-1; i < j; i, j = i+1, j-1 {
		e[i], e[j] = e[j], e[i]
	}
	d.Ledger.Entries = e[:min(len(e), 50)]
	c.render(w, r, status, "account", &view{Title: "Account " + d.Account.Name, Nav: "admin", User: u, Notice: notice(r), Problem: problem, Data: d})
}

func (c *Console) adminTopUp(w http.ResponseWriter, r *http.Request) {
	u, ok := c.form(w, r)
	if !ok || !c.requireScope(w, r, u, "admin") {
		return
	}
	id := r.PathValue("account")
	form := url.Values{"amount": {r.PostForm.Get("amount")}, "reason": {r.PostForm.Get("reason")}}
	var b balance
	if err := c.call(r, u, "POST", "/api/admin/accounts/"+url.PathEscape(id)+"/topup", form).decode(&b); err != nil {
		c.actionRefused(w, r, u, err)
		return
	}
	http.Redirect(w, r, "/console/admin/accounts/"+url.PathEscape(id)+"?done=topup", http.StatusSeeOther)
}

func (c *Console) adminCreateKey(w http.ResponseWriter, r *http.Request) {
	u, ok := c.form(w, r)
	if !ok || !c.requireScope(w, r, u, "admin") {
		return
	}
	id := r.PathValue("account")
	form := url.Values{"name": {r.PostForm.Get("name")}}
	for _, s := range r.PostForm["scopes"] {
		form.Add("scopes[]", s)
	}
	if v := strings.TrimSpace(r.PostForm.Get("expires_at")); v != "" {
		form.Set("expires_at", v)
	}
	var k keyView
	if err := c.call(r, u, "POST", "/api/admin/accounts/"+url.PathEscape(id)+"/keys", form).decode(&k); err != nil {
		c.actionRefused(w, r, u, err)
		return
	}
	// No redirect: the secret is in this answer and nowhere else.
	c.showAccount(w, r, u, http.StatusOK, "", &k)
}

func (c *Console) adminRevokeKey(w http.ResponseWriter, r *http.Request) {
	u, ok := c.form(w, r)
	if !ok || !c.requireScope(w, r, u, "admin") {
		return
	}
	id := url.PathEscape(r.PathValue("account"))
	var k keyView
	if err := c.call(r, u, "DELETE", "/api/admin/accounts/"+id+"/keys/"+url.PathEscape(r.PathValue("key")), nil).decode(&k); err != nil {
		c.actionRefused(w, r, u, err)
		return
	}
	http.Redirect(w, r, "/console/admin/accounts/"+id+"?done=revoked", http.StatusSeeOther)
}

// actionRefused shows the account page again with the API's refusal.
func (c *Console) actionRefused(w http.ResponseWriter, r *http.Request, u *user, err error) {
	if ae, ok := err.(*apiError); ok && ae.Status != http.StatusNotFound {
		c.showAccount(w, r, u, ae.Status, ae.Message, nil)
		return
	}
	c.refused(w, r, u, err)
}
