package openwaba

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Upstream is the WhatsApp Cloud API as the gateway uses it. The Meta
// adapter (internal/meta) implements it over HTTP, against graph.facebook.com
// or the built-in sandbox.
type Upstream interface {
	// Send hands a message to WhatsApp and returns its WhatsApp id, and
	// the status WhatsApp gave it at once if it is held or paused.
	Send(ctx context.Context, from Sender, m Message) (Submission, error)
	// MarkRead marks an inbound message as read, optionally showing the
	// typing indicator.
	MarkRead(ctx context.Context, from Sender, wamid string, typing bool) error
	// React sends (or, with an empty emoji, removes) a reaction to the
	// message with WhatsApp id wamid in the chat with user to.
	React(ctx context.Context, from Sender, to, wamid, emoji string) error
	// Templates lists the templates of a WhatsApp Business Account.
	Templates(ctx context.Context, wabaID string) ([]Template, error)
	// CreateTemplate submits a template for review and returns it as
	// WhatsApp took it (its id, status and category).
	CreateTemplate(ctx context.Context, wabaID string, d TemplateDraft) (Template, error)
	// EditTemplate submits new components (and category) of a template.
	EditTemplate(ctx context.Context, templateID string, d TemplateDraft) error
	// DeleteTemplate deletes a template: every language of name, or only
	// templateID when given.
	DeleteTemplate(ctx context.Context, wabaID, name, templateID string) error
}

// UpstreamError is an error WhatsApp answered with, classified by its code.
type UpstreamError struct {
	Code       int
	HTTPStatus int
	Title      string
	Details    string
	// Retryable errors are worth another attempt after a backoff; others
	// fail the message for good.
	Retryable bool
	// PerRecipient marks a limit that concerns only this recipient (pair
	// rate limit): other recipients may go on.
	PerRecipient bool
	// RetryAfter is a hint for the earliest next attempt, if WhatsApp gave one.
	RetryAfter time.Duration
	// SenderBlocked marks an error that stops the whole sender until an
	// operator acts (an invalid or expired access token).
	SenderBlocked bool
}

func (e *UpstreamError) Error() string {
	if e.Details != "" {
		return fmt.Sprintf("(#%d) %s: %s", e.Code, e.Title, e.Details)
	}
	return fmt.Sprintf("(#%d) %s", e.Code, e.Title)
}

// AsUpstreamError returns the UpstreamError in err's chain, if any.
func AsUpstreamError(err error) (*UpstreamError, bool) {
	var ue *UpstreamError
	ok := errors.As(err, &ue)
	return ue, ok
}

// MediaUploader uploads files to WhatsApp: the Meta adapter implements it
// (POST /{phone-number-id}/media). It returns WhatsApp's media id, valid
// for MetaMediaLifetime.
type MediaUploader interface {
	Upload(ctx context.Context, from Sender, mimeType, filename string, r io.Reader) (string, error)
}

// MetaMediaLifetime is how long WhatsApp keeps an uploaded file's id; the
// gateway re-uploads a day before, so that a message never names an id
// that expires on its way.
const MetaMediaLifetime = 30 * 24 * time.Hour
