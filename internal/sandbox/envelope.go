package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Webhook shapes, as Meta posts them.

type envelope struct {
	Object string  `json:"object"`
	Entry  []entry `json:"entry"`
}

type entry struct {
	ID      string   `json:"id"` // WABA id
	Changes []change `json:"changes"`
}

type change struct {
	Value value  `json:"value"`
	Field string `json:"field"`
}

type value struct {
	MessagingProduct string      `json:"messaging_product"`
	Metadata         metadata    `json:"metadata"`
	Contacts         []whContact `json:"contacts,omitempty"`
	Messages         []whMessage `json:"messages,omitempty"`
	Statuses         []whStatus  `json:"statuses,omitempty"`
}

type metadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

// whContact names a user: wa_id only when the business may see the
// number, user_id (the BSUID) always, the profile's username for users
// who have one.
type whContact struct {
	Profile *whProfile `json:"profile,omitempty"`
	WaID    string     `json:"wa_id,omitempty"`
	UserID  string     `json:"user_id,omitempty"`
}

type whProfile struct {
	Name     string `json:"name,omitempty"`
	Username string `json:"username,omitempty"`
}

// whMessage is an inbound message; exactly one of the type objects is set.
type whMessage struct {
	From        string          `json:"from,omitempty"`         // the number; withheld for username users
	FromUserID  string          `json:"from_user_id,omitempty"` // the BSUID
	ID          string          `json:"id"`
	Timestamp   string          `json:"timestamp"`
	Type        string          `json:"type"`
	Context     *whContext      `json:"context,omitempty"`
	Text        *whText         `json:"text,omitempty"`
	Image       *whMedia        `json:"image,omitempty"`
	Video       *whMedia        `json:"video,omitempty"`
	Audio       *whMedia        `json:"audio,omitempty"`
	Document    *whMedia        `json:"document,omitempty"`
	Sticker     *whMedia        `json:"sticker,omitempty"`
	Location    *whLocation     `json:"location,omitempty"`
	Contacts    []whContactCard `json:"contacts,omitempty"`
	Button      *whButton       `json:"button,omitempty"`
	Interactive *whInteractive  `json:"interactive,omitempty"`
	Reaction    *whReaction     `json:"reaction,omitempty"`
	System      *whSystem       `json:"system,omitempty"`
	Errors      []whError       `json:"errors,omitempty"`
}

// whContext names the business message a reply or a button press is about.
type whContext struct {
	From string `json:"from"`
	ID   string `json:"id"`
}

type whText struct {
	Body string `json:"body"`
}

// whMedia is an inbound media object: Meta sends an id to download it
// with, never a link. The type-specific flags are pointers so that each
// type carries only its own (voice for audio, animated for stickers).
type whMedia struct {
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	ID       string `json:"id"`
	Voice    *bool  `json:"voice,omitempty"`
	Animated *bool  `json:"animated,omitempty"`
}

type whLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name"`
	Address   string  `json:"address"`
}

type whContactCard struct {
	Name struct {
		FormattedName string `json:"formatted_name"`
		FirstName     string `json:"first_name,omitempty"`
	} `json:"name"`
	Phones []whContactPhone `json:"phones,omitempty"`
}

type whContactPhone struct {
	Phone string `json:"phone"`
	WaID  string `json:"wa_id,omitempty"`
	Type  string `json:"type"`
}

type whButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

type whInteractive struct {
	Type        string       `json:"type"`
	ButtonReply *whReply     `json:"button_reply,omitempty"`
	ListReply   *whListReply `json:"list_reply,omitempty"`
}

type whReply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type whListReply struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

type whReaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji,omitempty"`
}

type whSystem struct {
	Body string `json:"body"`
	WaID string `json:"wa_id,omitempty"`
	Type string `json:"type"`
}

type whStatus struct {
	ID                    string          `json:"id"`
	Status                string          `json:"status"`
	Timestamp             string          `json:"timestamp"`
	RecipientID           string          `json:"recipient_id,omitempty"`
	RecipientUserID       string          `json:"recipient_user_id,omitempty"`
	BizOpaqueCallbackData string          `json:"biz_opaque_callback_data,omitempty"`
	Conversation          *whConversation `json:"conversation,omitempty"`
	Pricing               *whPricing      `json:"pricing,omitempty"`
	Errors                []whError       `json:"errors,omitempty"`
}

type whConversation struct {
	ID                  string `json:"id"`
	ExpirationTimestamp string `json:"expiration_timestamp,omitempty"`
	Origin              struct {
		Type string `json:"type"`
	} `json:"origin"`
}

type whPricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Category     string `json:"category"`
	Type         string `json:"type"`
}

type whError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
	Href string `json:"href"`
}

// newEnvelope wraps one change value of number n.
func newEnvelope(n number, v value) envelope {
	v.MessagingProduct = "whatsapp"
	v.Metadata = metadata{DisplayPhoneNumber: n.Display, PhoneNumberID: n.PhoneNumberID}
	return envelope{
		Object: "whatsapp_business_account",
		Entry:  []entry{{ID: n.WABAID, Changes: []change{{Field: "messages", Value: v}}}},
	}
}

// sign computes X-Hub-Signature-256 over the exact body bytes. The
// sandbox does it itself rather than with internal/meta, so that the
// adapter's check is tested against an independent implementation.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
