// Package client is the Go SDK of seven's WhatsApp API, as served by
// openwaba and by seven.io itself. It depends on the standard library only.
//
//	c := client.New("http://127.0.0.1:8080/api", os.Getenv("OPENWABA_API_KEY"))
//	resp, err := c.Send(ctx, client.SendRequest{
//		From:    "4915112345678",
//		To:      []string{"4917612345678"},
//		Message: client.Template{Name: "hello_world", Language: "de"},
//	})
//
// With an empty base URL the client talks to seven.io
// (https://gateway.seven.io/api).
//
// # Messages
//
// Every type of the API has its own struct: Template (with Components),
// Text, Image, Video, Audio, Document, Sticker, Location, Contacts, Buttons
// and List (the interactive types). Send sends one to one or more
// recipients; a refused recipient (7002001 outside the 24-hour window, 500
// without balance) is reported in its entry (SentMessage.Err), not as an
// error of Send. Delete cancels a scheduled message, Status (openwaba only)
// returns its status journal, Templates (openwaba only) lists the templates
// with their placeholders, and Read, Typing and React send the conversation
// events.
//
// The account calls of seven's API are there too: Balance, Hooks,
// CreateHook, DeleteHook and Analytics.
//
// # Errors
//
// Failed calls return an error wrapping *APIError, with seven's code and
// text. errors.Is matches it with ErrUnauthorized (900), ErrForbidden (902),
// ErrNotFound, ErrBadRequest, ErrNotInConversation (7002001) and
// ErrInsufficientBalance. HTTP 429 is a *RateLimitError with the server's
// Retry-After; network failures are a *TransportError.
//
// # Retries, idempotency, signing
//
// Calls that are safe to repeat (GET, DELETE, and sends, which carry an
// Idempotency-Key that stays the same across attempts) are retried after
// network errors, 429 and 502–504, with exponential backoff, or after the
// server's Retry-After (WithRetries, WithBackoff). openwaba answers a repeated
// key with the first answer, so a retried send is never sent twice; against
// a gateway that ignores Idempotency-Key, a send retried after a network
// error may be; use WithRetries(0) there if that matters. Events (read,
// typing, reactions) are never retried. WithSigningSecret signs each request
// the way seven documents it (see Sign).
//
// # Webhooks
//
// WebhookVerifier checks the signature of the webhooks openwaba and seven
// send (X-Signature, X-Timestamp, X-Nonce) and decodes their envelope
// {"webhook_event","webhook_timestamp","data"} into an Event; Event.Status
// and Event.Inbound decode the data of message status reports and inbound
// messages.
package client
