package openwaba

import (
	"fmt"
	"slices"
	"time"
)

// Account is a customer of the gateway: it owns API keys, sender numbers,
// templates and messages, and pays for what it sends.
type Account struct {
	ID        int64
	Name      string
	Currency  string
	Balance   Micros
	CreatedAt time.Time
	// SigningSecret, when set, makes the account sign every request
	// (X-Signature, X-Timestamp, X-Nonce). It is stored as given: the
	// server needs it to compute the HMAC.
	SigningSecret string
	// TimeZone is the IANA name (Europe/Berlin) of the zone in which the
	// account's delay dates without a zone are read; empty means UTC.
	TimeZone string
	// MediaRetention is how long the account's files are kept; 0 is the
	// gateway's default (--media-retention).
	MediaRetention time.Duration
	// MediaMode is how the account's media messages given by url reach
	// WhatsApp (MediaLink when empty).
	MediaMode MediaMode
	// OptOutKeywords and OptInKeywords are the whole messages that put a
	// user on the suppression list and take them off (consent.go); nil
	// means DefaultOptOutKeywords and DefaultOptInKeywords.
	OptOutKeywords, OptInKeywords []string
}

// OptKeywords are the account's keywords, the defaults where it set none.
func (a Account) OptKeywords() (optOut, optIn []string) {
	optOut, optIn = a.OptOutKeywords, a.OptInKeywords
	if len(optOut) == 0 {
		optOut = DefaultOptOutKeywords
	}
	if len(optIn) == 0 {
		optIn = DefaultOptInKeywords
	}
	return optOut, optIn
}

// MediaMode is how media given by URL is sent.
type MediaMode string

// Media modes: link hands WhatsApp the URL (WhatsApp fetches it); upload
// fetches it once at accept and uploads the file (checked against
// WhatsApp's limits before anything is charged); auto sends the link and
// uploads only when WhatsApp could not fetch it (131053).
const (
	MediaLink   MediaMode = "link"
	MediaUpload MediaMode = "upload"
	MediaAuto   MediaMode = "auto"
)

// MetaCodeMediaUpload is WhatsApp's "media upload error": it could not
// fetch or take a link's file.
const MetaCodeMediaUpload = 131053

// ParseMediaMode reads a media mode; "" is MediaLink.
func ParseMediaMode(s string) (MediaMode, error) {
	switch m := MediaMode(s); m {
	case "":
		return MediaLink, nil
	case MediaLink, MediaUpload, MediaAuto:
		return m, nil
	}
	return "", fmt.Errorf("must be link, upload or auto, got %q", s)
}

// Location is the account's time zone: TimeZone, or UTC when it is empty.
func (a Account) Location() (*time.Location, error) {
	return LoadTimeZone(a.TimeZone)
}

// LoadTimeZone loads an IANA time zone by name; the empty name is UTC.
// Binaries that must not depend on the host's zoneinfo import time/tzdata.
func LoadTimeZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	return loc, nil
}

// Scope is a permission an API key carries.
type Scope string

// Scopes of seven's API that openwaba knows.
const (
	ScopeWABA      Scope = "waba"
	ScopeAnalytics Scope = "analytics"
	ScopeJournal   Scope = "journal" // seven's journal of messages in and out
	ScopeHooks     Scope = "hooks"
	ScopeAdmin     Scope = "admin"
)

// APIKey is a stored key. Only the SHA-256 hash of the secret is kept.
type APIKey struct {
	ID         int64
	AccountID  int64
	Name       string
	Hash       []byte
	Scopes     []Scope
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// Usable reports whether the key may authenticate at time now.
func (k APIKey) Usable(now time.Time) bool {
	if k.RevokedAt != nil {
		return false
	}
	return k.ExpiresAt == nil || now.Before(*k.ExpiresAt)
}

// ParseScope reads a scope's name.
func ParseScope(s string) (Scope, bool) {
	switch sc := Scope(s); sc {
	case ScopeWABA, ScopeAnalytics, ScopeJournal, ScopeHooks, ScopeAdmin:
		return sc, true
	}
	return "", false
}

// HasScope reports whether the key carries scope s. The journal scope
// came after analytics and is implied by it: keys made before it (the
// default key's scopes, waba, analytics and hooks) read the journal as
// they read analytics, without a migration rewriting their scopes.
func (k APIKey) HasScope(s Scope) bool {
	return slices.Contains(k.Scopes, s) || (s == ScopeJournal && slices.Contains(k.Scopes, ScopeAnalytics))
}

// Sender is a registered WhatsApp Business phone number of an account, with
// the ids Meta knows it by.
type Sender struct {
	Number        string // international format, digits only
	AccountID     int64
	PhoneNumberID string
	WABAID        string
	// MPS is the sender's throughput in messages per second (Meta: 80 by
	// default, up to 1000). Zero means the default.
	MPS       int
	CreatedAt time.Time
	// Health is what Meta last reported about the number (quality rating,
	// messaging limit, restrictions); the dispatcher holds or fails
	// messages by it (SenderHealth.Gate).
	Health SenderHealth
}

// DefaultMPS is the pace of a sender whose MPS is not set: Meta's 80
// messages per second of a number's start.
const DefaultMPS = 80

// PaceMPS is the pace the sender is dispatched at: its MPS, or DefaultMPS.
func (s Sender) PaceMPS() int {
	if s.MPS > 0 {
		return s.MPS
	}
	return DefaultMPS
}

// LedgerEntry is one movement of an account's balance.
type LedgerEntry struct {
	ID        int64
	AccountID int64
	Amount    Micros // positive credits, negative debits
	Reason    string
	MessageID int64 // zero when not tied to a message
	CreatedAt time.Time
}

// Ledger reasons.
const (
	ReasonTopUp  = "topup"
	ReasonDebit  = "message"
	ReasonRefund = "refund"
)
