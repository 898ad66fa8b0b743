package openwaba

import (
	"context"
	"encoding/json"
	"time"
)

// InboundFilter selects an account's inbound messages for listing. Zero
// fields do not filter. Results come newest first (by id, the order they
// were stored); Before pages: only messages with a smaller id.
type InboundFilter struct {
	Sender string // our number the user wrote to
	// User is any id of the user: phone number, BSUID or parent BSUID. The
	// messages of every id linked to it are listed (within the WABA of
	// Sender when it is given, else within any of the account's WABAs: a
	// BSUID linked to a number in one WABA finds what that number wrote
	// in another, since a number is the same person everywhere).
	User     string
	Type     string    // text, image, ..., reaction, button, interactive
	From, To time.Time // sent (WhatsApp's time) at or after From, before To
	// Replies keeps only messages that answer the account: from a user
	// the sender number had written to before (seven's journal of
	// replies).
	Replies bool
	Before  int64
	Limit   int // 100 when zero
	Offset  int // skip this many first (seven's journal pages by offset)
}

// ConversationFilter selects one conversation: the messages between our
// number Sender and one user, both ways. Sender and User are required.
type ConversationFilter struct {
	AccountID int64
	Sender    string
	User      string // any id of the user, as in InboundFilter
	// Before pages back in time: only entries before this one (the
	// previous page's Conversation.Next). The zero cursor starts at the
	// newest entry.
	Before ConversationCursor
	Limit  int // entries per page; 50 when zero
}

// ConversationCursor names a place in a conversation: an entry's time,
// direction and id. Entries are ordered by At, then outbound before
// inbound, then id.
type ConversationCursor struct {
	At      time.Time
	Inbound bool
	ID      int64
}

// Zero reports whether c is the start (the newest end) of a conversation.
func (c ConversationCursor) Zero() bool { return c == ConversationCursor{} }

// Less reports whether c comes before d in a conversation.
func (c ConversationCursor) Less(d ConversationCursor) bool {
	switch {
	case !c.At.Equal(d.At):
		return c.At.Before(d.At)
	case c.Inbound != d.Inbound:
		return !c.Inbound // outbound first: an answer is created after what it answers
	}
	return c.ID < d.ID
}

// ConversationEntry is one message of a conversation: inbound or outbound,
// never both.
type ConversationEntry struct {
	Inbound  *InboundMessage
	Outbound *Message
	// Statuses are the outbound message's status journal, in order.
	Statuses []StatusEvent
}

// Cursor is where e stands in its conversation: an inbound message by
// WhatsApp's time, an outbound one by the time it was accepted.
func (e ConversationEntry) Cursor() ConversationCursor {
	if e.Inbound != nil {
		return ConversationCursor{At: e.Inbound.SentAt, Inbound: true, ID: e.Inbound.ID}
	}
	return ConversationCursor{At: e.Outbound.CreatedAt, ID: e.Outbound.ID}
}

// Conversation is one page of the messages between a sender number and a
// user, oldest first, with the state of their customer service window.
type Conversation struct {
	Sender string
	User   User // as the store knows them (their linked ids)
	// Entries are the page's messages in order, oldest first. The page is
	// the newest Limit entries before the filter's cursor.
	Entries []ConversationEntry
	// Next is the cursor of the page before this one (older entries);
	// zero when there are none.
	Next ConversationCursor
	// WindowOpenUntil is when the user's customer service window with
	// Sender closes (under any of their ids); zero if they never wrote.
	WindowOpenUntil time.Time
}

// WindowOpen reports whether the conversation's window is open at now.
func (c Conversation) WindowOpen(now time.Time) bool { return now.Before(c.WindowOpenUntil) }

// MergeConversation puts the newest limit entries of inbound and outbound
// (each newest first, each already before the cursor) in order, oldest
// first, and says whether older ones remain: more is true when either list
// had entries that did not fit.
func MergeConversation(inbound []InboundMessage, outbound []Message, limit int) (entries []ConversationEntry, more bool) {
	entries = make([]ConversationEntry, 0, min(limit, len(inbound)+len(outbound)))
	i, o := 0, 0
	for len(entries) < limit && (i < len(inbound) || o < len(outbound)) {
		var e ConversationEntry
		switch {
		case o == len(outbound):
			e = ConversationEntry{Inbound: &inbound[i]}
			i++
		case i == len(inbound):
			e = ConversationEntry{Outbound: &outbound[o]}
			o++
		default:
			in, out := ConversationEntry{Inbound: &inbound[i]}, ConversationEntry{Outbound: &outbound[o]}
			if out.Cursor().Less(in.Cursor()) {
				e = in
				i++
			} else {
				e = out
				o++
			}
		}
		entries = append(entries, e)
	}
	more = i < len(inbound) || o < len(outbound)
	for l, r := 0, len(entries)-1; l < r; l, r = l+1, r-1 {
		entries[l], entries[r] = entries[r], entries[l]
	}
	return entries, more
}

// HistoryStore lists what was written both ways.
type HistoryStore interface {
	// InboundMessages lists the account's inbound messages that match f,
	// newest first.
	InboundMessages(ctx context.Context, accountID int64, f InboundFilter) ([]InboundMessage, error)
	// Conversation returns one page of the conversation f names, with
	// the outbound messages' statuses and the window's state. A user who
	// never wrote and was never written to is an empty conversation, not
	// an error.
	Conversation(ctx context.Context, f ConversationFilter) (Conversation, error)
}

// RepliesTo is the WhatsApp id (wamid) of the message m answers, as Meta's
// message object names it: the quoted message of a reply (context.id) or
// the message a reaction is to (reaction.message_id); "" when it answers
// none, or the payload cannot be read.
func (m InboundMessage) RepliesTo() string {
	var p struct {
		Context *struct {
			ID string `json:"id"`
		} `json:"context"`
		Reaction *struct {
			MessageID string `json:"message_id"`
		} `json:"reaction"`
	}
	if json.Unmarshal(m.Payload, &p) != nil {
		return ""
	}
	switch {
	case p.Reaction != nil && p.Reaction.MessageID != "":
		return p.Reaction.MessageID
	case p.Context != nil:
		return p.Context.ID
	}
	return ""
}
