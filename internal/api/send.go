package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/templates"
)

// sendResponse is seven's answer to POST /api/waba/messages.
type sendResponse struct {
	Success    string          `json:"success"`
	TotalPrice float64         `json:"total_price"`
	Balance    float64         `json:"balance"`
	Debug      string          `json:"debug"`
	SMSType    string          `json:"sms_type"`
	Messages   []messageResult `json:"messages"`
}

type messageResult struct {
	ID        *string `json:"id"`
	Sender    string  `json:"sender"`
	Recipient string  `json:"recipient"`
	Text      string  `json:"text"`
	Encoding  string  `json:"encoding"`
	Label     *string `json:"label"`
	Parts     int     `json:"parts"`
	UDH       *string `json:"udh"`
	IsBinary  bool    `json:"is_binary"`
	Price     float64 `json:"price"`
	Channel   string  `json:"channel"`
	Success   bool    `json:"success"`
	Error     *string `json:"error"`
	ErrorText *string `json:"error_text"`
}

func (s *Server) sendMessages(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := principalFrom(ctx)
	now := s.now()
	var req sendRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	loc := time.UTC
	if req.delayIsDate() {
		// Only a date needs the account's zone: no lookup on other requests.
		acct, err := s.cfg.Reads.Account(ctx, p.AccountID)
		if err == nil {
			loc, err = acct.Location()
		}
		if err != nil {
			s.writeError(w, fmt.Errorf("reading the account's time zone: %w", err), false)
			return
		}
	}
	plan, err := req.validate(now, loc)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	resp, err := s.send(ctx, p.AccountID, plan, now)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp.appendJSON(make([]byte, 0, 512)))
}

// send prices and stores one validated request.
func (s *Server) send(ctx context.Context, accountID int64, plan *sendPlan, now time.Time) (*sendResponse, error) {
	if _, err := s.cfg.Reads.Sender(ctx, accountID, plan.from); err != nil {
		if errors.Is(err, openwaba.ErrNotFound) {
			return nil, errInvalidSender
		}
		return nil, fmt.Errorf("looking up sender: %w", err)
	}
	mediaField := "media_id"
	if md := plan.content.Media; md != nil && md.URL != "" {
		mediaField = "url"
		if err := s.uploadByMode(ctx, accountID, md, now); err != nil {
			return nil, err
		}
	}
	if md := plan.content.Media; md != nil && md.FileID != 0 {
		// Before anything is priced or charged: the file must be the
		// account's and fit WhatsApp's limits for the type.
		f, err := s.mediaFor(ctx, accountID, mediaField, plan.content.Type, strconv.FormatInt(md.FileID, 10))
		if err != nil {
			return nil, err
		}
		if plan.content.Type == openwaba.TypeDocument && md.Filename == "" {
			md.Filename = f.Filename
		}
	}
	category := openwaba.CategoryService
	if plan.template != nil {
		t, err := s.template(ctx, accountID, plan.template)
		if err != nil {
			return nil, err
		}
		send, err := templates.Prepare(t, plan.template.values)
		if err != nil {
			return nil, err
		}
		for i, h := range send.Header {
			if h.FileID != 0 {
				// The header's file must be the account's and fit WhatsApp's
				// limits, before anything is charged.
				if _, err := s.mediaFor(ctx, accountID, fmt.Sprintf("components.header[%d].media_id", i), openwaba.MessageType(h.Type), strconv.FormatInt(h.FileID, 10)); err != nil {
					return nil, err
				}
			}
		}
		plan.content.Template = send
		category = t.PriceCategory()
		if category == openwaba.CategoryAuthentication {
			if err := s.phoneRecipients(ctx, accountID, plan); err != nil {
				return nil, err
			}
		}
	}

	// The rules that make a message free (Meta's: service messages, and
	// utility templates inside the window), as data with their dates.
	rules, err := s.cfg.Reads.FreeRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the free rules: %w", err)
	}
	text := displayText(plan.content)
	enc := encoding(readableText(plan.content))
	scheduled := now
	if !plan.scheduledAt.IsZero() {
		scheduled = plan.scheduledAt
	}

	resp := &sendResponse{Debug: strconv.FormatBool(plan.debug), SMSType: "WA"}
	var accepted []openwaba.Message
	results := make([]messageResult, len(plan.recipients))
	acceptedIdx := make([]int, 0, len(plan.recipients))
	for i, rcpt := range plan.recipients {
		content, text, links := plan.content, text, []openwaba.Link(nil)
		if plan.tracking {
			// Each recipient's message gets links of its own, so that a
			// click tells whose it was; the text shows them as sent.
			content, links = s.shortener.Shorten(plan.content)
			text = displayText(content)
		}
		results[i] = messageResult{Sender: plan.from, Recipient: rcpt, Text: text, Encoding: enc, Label: nullable(plan.label), Parts: 1, Channel: "WA", Success: true}
		if category == openwaba.CategoryMarketing {
			// A user on the suppression list gets no marketing (consent.go).
			_, suppressed, err := s.cfg.Reads.Suppressed(ctx, accountID, plan.from, rcpt)
			if err != nil {
				return nil, fmt.Errorf("checking the suppression list: %w", err)
			}
			if err := openwaba.CheckConsent(category, suppressed); err != nil {
				results[i].Success = false
				results[i].Error = nullable(strconv.Itoa(openwaba.CodeOptedOut))
				results[i].ErrorText = nullable(openwaba.TextOptedOut)
				continue
			}
		}
		inWindow := false
		if plan.content.Type != openwaba.TypeTemplate || openwaba.WindowMatters(rules, category) {
			until, err := s.cfg.Store.WindowOpenUntil(ctx, plan.from, rcpt)
			if err != nil {
				return nil, fmt.Errorf("checking conversation window: %w", err)
			}
			if plan.content.Type != openwaba.TypeTemplate && !now.Before(until) {
				results[i].Success = false
				results[i].Error = nullable(strconv.Itoa(openwaba.CodeNotInWindow))
				results[i].ErrorText = nullable(openwaba.TextNotInWindow)
				continue
			}
			// A template is priced by the window when it goes out.
			inWindow = scheduled.Before(until)
		}
		list, err := s.cfg.Pricer.Price(ctx, accountID, category, rcpt)
		if err != nil {
			return nil, fmt.Errorf("pricing: %w", err)
		}
		price := list
		if openwaba.Free(rules, category, inWindow, scheduled) {
			price = 0
		}
		results[i].Price = price.Float()
		status := openwaba.StatusQueued
		if scheduled.After(now) {
			status = openwaba.StatusScheduled
		}
		accepted = append(accepted, openwaba.Message{
			AccountID: accountID, Sender: plan.from, Recipient: rcpt, Links: links,
			Content: content, Text: text, Encoding: enc, Category: category, Price: price, ListPrice: list,
			Label: plan.label, ForeignID: plan.foreignID, PerformanceTracking: plan.tracking, TTL: plan.ttl,
			CreatedAt: now, ScheduledAt: scheduled, ExpiresAt: scheduled.Add(plan.ttl), Status: status, StatusAt: now,
		})
		acceptedIdx = append(acceptedIdx, i)
	}

	var total openwaba.Micros
	for _, m := range accepted {
		total += m.Price
	}
	switch {
	case len(accepted) == 0:
		// Nothing to store: every recipient was refused.
		acct, err := s.cfg.Store.Account(ctx, accountID)
		if err != nil {
			return nil, fmt.Errorf("reading balance: %w", err)
		}
		resp.Balance = acct.Balance.Float()
	case plan.debug:
		acct, err := s.cfg.Store.Account(ctx, accountID)
		if err != nil {
			return nil, fmt.Errorf("reading balance: %w", err)
		}
		resp.Balance = acct.Balance.Float()
		resp.TotalPrice = total.Float()
	default:
		res, err := s.cfg.Store.Accept(ctx, accountID, accepted)
		if errors.Is(err, openwaba.ErrInsufficientBalance) {
			s.metrics().BalanceRefused(accountID, len(accepted))
			return insufficient(ctx, s, accountID, results, resp)
		}
		if err != nil {
			return nil, fmt.Errorf("storing messages: %w", err)
		}
		s.cfg.Notify()
		s.metrics().Accepted(accountID, accepted)
		for j, m := range res.Messages {
			results[acceptedIdx[j]].ID = nullable(strconv.FormatInt(m.ID, 10))
		}
		resp.Balance = res.Balance.Float()
		resp.TotalPrice = total.Float()
	}
	resp.Messages = results
	resp.Success = overallCode(results)
	return resp, nil
}

// insufficient answers code 500: nothing was stored or debited.
func insufficient(ctx context.Context, s *Server, accountID int64, results []messageResult, resp *sendResponse) (*sendResponse, error) {
	acct, err := s.cfg.Store.Account(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("reading balance: %w", err)
	}
	for i := range results {
		if results[i].Success {
			results[i].Success = false
			results[i].Price = 0
			results[i].Error = nullable(strconv.Itoa(openwaba.CodeInsufficient))
			results[i].ErrorText = nullable(openwaba.TextInsufficient)
		}
	}
	resp.Balance = acct.Balance.Float()
	resp.Messages = results
	resp.Success = overallCode(results)
	return resp, nil
}

// overallCode is seven's top-level code: 100 when every message was
// accepted, 101 when some were, and the common error when none was.
func overallCode(results []messageResult) string {
	ok := 0
	var codes []string
	for _, r := range results {
		if r.Success {
			ok++
		} else if !slices.Contains(codes, *r.Error) {
			codes = append(codes, *r.Error)
		}
	}
	switch {
	case ok == len(results):
		return strconv.Itoa(openwaba.CodeSuccess)
	case ok > 0 || len(codes) > 1:
		return strconv.Itoa(openwaba.CodePartialSuccess)
	}
	return codes[0]
}

func (s *Server) template(ctx context.Context, accountID int64, ref *templateRef) (openwaba.Template, error) {
	t, err := s.cfg.Reads.Template(ctx, accountID, ref.name, ref.language)
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, openwaba.ErrNotFound) {
		return t, fmt.Errorf("looking up template: %w", err)
	}
	all, err := s.cfg.Store.Templates(ctx, accountID)
	if err != nil {
		return t, fmt.Errorf("listing templates: %w", err)
	}
	var langs []string
	for _, t := range all {
		if t.Name == ref.name {
			langs = append(langs, t.Language)
		}
	}
	if len(langs) == 0 {
		return t, badField("template", "%q is not a registered template of this account", ref.name)
	}
	return t, badField("language", "template %q is not registered in language %q; it is in: %s", ref.name, ref.language, strings.Join(langs, ", "))
}

// phoneRecipients sends authentication templates, which WhatsApp delivers
// only to phone numbers (error 131062 for a BSUID), to the number of each
// recipient named by BSUID, when openwaba has linked one; a BSUID without
// a known number is refused.
func (s *Server) phoneRecipients(ctx context.Context, accountID int64, plan *sendPlan) error {
	for i, rcpt := range plan.recipients {
		if !openwaba.IsBSUID(rcpt) {
			continue
		}
		u, err := s.cfg.Store.User(ctx, accountID, plan.from, rcpt)
		switch {
		case errors.Is(err, openwaba.ErrNotFound) || (err == nil && u.WaID == ""):
			return badField("to", "authentication templates need the user's phone number: WhatsApp does not deliver them to "+
				"a business-scoped user ID, and no number is known for %s", rcpt)
		case err != nil:
			return fmt.Errorf("looking up user %s: %w", rcpt, err)
		}
		plan.recipients[i] = u.WaID
	}
	return nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
