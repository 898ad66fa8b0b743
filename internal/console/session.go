package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// A session is a cookie that names the account, the key and the expiry,
// signed with the console's secret. It holds no secret of its own and
// needs no table: every request looks the key up again, so that revoking
// or expiring the key ends its sessions at once.
const sessionCookie = "openwaba_session"

// preCookie carries the sign-in form's CSRF token (double submit): there
// is no session to bind it to yet.
const preCookie = "openwaba_signin"

type session struct {
	AccountID int64
	KeyID     int64
	Expires   time.Time
}

func (c *Console) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, c.secret)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

var b64 = base64.RawURLEncoding

// encodeSession is "account.key.expiry.signature".
func (c *Console) encodeSession(s session) string {
	payload := fmt.Sprintf("%d.%d.%d", s.AccountID, s.KeyID, s.Expires.Unix())
	return payload + "." + b64.EncodeToString(c.mac("session", payload))
}

// decodeSession checks a cookie's signature and expiry. The cookie comes
// from the browser, so anything may be in it.
func (c *Console) decodeSession(v string, now time.Time) (session, bool) {
	i := strings.LastIndexByte(v, '.')
	if i < 0 {
		return session{}, false
	}
	payload, sig := v[:i], v[i+1:]
	// The signature is compared as the console writes it, not decoded:
	// base64 decoding skips \r and \n, which would let other spellings of
	// one cookie through.
	if !hmac.Equal([]byte(sig), []byte(b64.EncodeToString(c.mac("session", payload)))) {
		return session{}, false
	}
	f := strings.Split(payload, ".")
	if len(f) != 3 {
		return session{}, false
	}
	var n [3]int64
	for i, s := range f {
		var err error
		if n[i], err = strconv.ParseInt(s, 10, 64); err != nil || n[i] <= 0 {
			return session{}, false
		}
	}
	s := session{AccountID: n[0], KeyID: n[1], Expires: time.Unix(n[2], 0)}
	if !now.Before(s.Expires) {
		return session{}, false
	}
	return s, true
}

// csrfToken is the session's CSRF token: an HMAC of the cookie, so that a
// page of another site, which cannot read the cookie, cannot make it.
func (c *Console) csrfToken(cookie string) string {
	return b64.EncodeToString(c.mac("csrf", cookie))
}

// user is who is signed in: the key as the store has it now.
type user struct {
	Key     openwaba.APIKey
	Account openwaba.Account
	CSRF    string
}

func (u *user) Can(scope string) bool { return u != nil && u.Key.HasScope(openwaba.Scope(scope)) }

var errNoSession = errors.New("not signed in")

// current finds the signed-in user, or errNoSession.
func (c *Console) current(r *http.Request) (*user, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errNoSession
	}
	now := c.now()
	s, ok := c.decodeSession(ck.Value, now)
	if !ok {
		return nil, errNoSession
	}
	keys, err := c.cfg.Store.APIKeys(r.Context(), s.AccountID)
	if err != nil {
		return nil, fmt.Errorf("keys of account %d: %w", s.AccountID, err)
	}
	for _, k := range keys {
		if k.ID != s.KeyID {
			continue
		}
		if !k.Usable(now) {
			return nil, errNoSession
		}
		acct, err := c.cfg.Store.Account(r.Context(), k.AccountID)
		if err != nil {
			return nil, fmt.Errorf("account %d: %w", k.AccountID, err)
		}
		return &user{Key: k, Account: acct, CSRF: c.csrfToken(ck.Value)}, nil
	}
	return nil, errNoSession
}

// page finds the user of a GET page; without one it sends the browser to
// sign in and reports false.
func (c *Console) page(w http.ResponseWriter, r *http.Request) (*user, bool) {
	u, err := c.current(r)
	switch {
	case errors.Is(err, errNoSession):
		http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
		return nil, false
	case err != nil:
		c.log.Error("console session", "err", err)
		c.renderError(w, r, nil, http.StatusInternalServerError, "The gateway could not read its database; try again.")
		return nil, false
	}
	return u, true
}

// form finds the user of a POST and checks the form's CSRF token.
func (c *Console) form(w http.ResponseWriter, r *http.Request) (*user, bool) {
	u, ok := c.page(w, r)
	if !ok {
		return nil, false
	}
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, u, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return nil, false
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(u.CSRF)) != 1 {
		c.renderError(w, r, u, http.StatusForbidden, "The form's security token is missing or stale; reload the page and try again.")
		return nil, false
	}
	return u, true
}

// setCookie sets one of the console's cookies: never readable by script,
// never sent by another site's page, and Secure when the browser came over
// HTTPS (to the gateway, or to a proxy in front of it that says so; a
// forged header only makes the cookie stricter).
func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	secure := r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure,
	})
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if _, err := c.current(r); err == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	c.renderSignIn(w, r, http.StatusOK, "")
}

func (c *Console) renderSignIn(w http.ResponseWriter, r *http.Request, status int, problem string) {
	token := make([]byte, 24)
	_, _ = rand.Read(token)
	t := b64.EncodeToString(token)
	c.setCookie(w, r, preCookie, t, time.Time{})
	c.render(w, r, status, "signin", &view{Title: "Sign in", CSRF: t, Problem: problem})
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	pre, err := r.Cookie(preCookie)
	if err := r.ParseForm(); err != nil {
		c.renderSignIn(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	if err != nil || pre.Value == "" || subtle.ConstantTimeCompare([]byte(pre.Value), []byte(r.PostForm.Get("csrf"))) != 1 {
		c.renderSignIn(w, r, http.StatusForbidden, "The sign-in form was stale; please try again.")
		return
	}
	secret := strings.TrimSpace(r.PostForm.Get("key"))
	if secret == "" {
		c.renderSignIn(w, r, http.StatusBadRequest, "key: enter an API key.")
		return
	}
	key, err := c.cfg.API.Authenticate(r.Context(), secret)
	if errors.Is(err, openwaba.ErrUnauthorized) {
		c.renderSignIn(w, r, http.StatusUnauthorized, "key: this API key is wrong, revoked or expired.")
		return
	}
	if err != nil {
		c.log.Error("console sign-in", "err", err)
		c.renderSignIn(w, r, http.StatusInternalServerError, "The gateway could not check the key; try again.")
		return
	}
	expires := c.now().Add(c.cfg.SessionTTL)
	if key.ExpiresAt != nil && key.ExpiresAt.Before(expires) {
		expires = *key.ExpiresAt
	}
	c.setCookie(w, r, sessionCookie, c.encodeSession(session{AccountID: key.AccountID, KeyID: key.ID, Expires: expires}), expires)
	c.setCookie(w, r, preCookie, "", time.Unix(1, 0))
	c.log.Info("console sign-in", "account_id", key.AccountID, "key_id", key.ID)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.form(w, r); !ok {
		return
	}
	c.setCookie(w, r, sessionCookie, "", time.Unix(1, 0))
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}
