package openwaba

import "errors"

// Sentinel errors shared by the store, the dispatcher and the API. The API
// maps them to seven's codes in one table (writeError in internal/api/respond.go).
var (
	ErrNotFound            = errors.New("not found")
	ErrConflict            = errors.New("conflict")
	ErrInsufficientBalance = errors.New("insufficient balance")
	ErrAlreadySent         = errors.New("message already sent")
	ErrUnauthorized        = errors.New("unauthorized")
	ErrForbidden           = errors.New("forbidden")
	// ErrSenderTaken is PutSender's answer for a number another account
	// has; it is an ErrConflict.
	ErrSenderTaken error = senderTaken{}
)

type senderTaken struct{}

func (senderTaken) Error() string {
	return "the number is a sender of another account; remove it there first"
}

func (senderTaken) Is(target error) bool { return target == ErrConflict }

// Error codes of seven's API that the gateway returns.
const (
	CodeSuccess          = 100
	CodePartialSuccess   = 101
	CodeBadRequest       = 400
	CodeNotFound         = 404
	CodeInsufficient     = 500
	CodeAuthFailed       = 900
	CodeNoScope          = 902
	CodeNotInWindow      = 7002001
	CodeOptedOut         = MetaCodeMarketingStopped // a marketing template to a user on the suppression list
	TextNotInWindow      = "Not in conversation. Freetext messages can only be sent within an active 24-hour conversation window. Use a template message to initiate a conversation."
	TextInsufficient     = "Insufficient balance"
	TextInvalidSender    = "Invalid WhatsApp sender number"
	TextAlreadySent      = "Message already sent. WhatsApp does not support message revocation."
	TextPaused           = "WhatsApp paused the message: template pacing held it and found the template of low quality. It was not delivered and is not charged."
	CodeUpstreamFailed   = 131000 // Meta's "something went wrong", used when no code is known
	MetaCodeReengagement = 131047
)
