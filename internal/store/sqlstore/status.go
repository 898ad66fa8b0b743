package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// journal records that message id reached status. A status the journal
// already has for the message is not recorded again: WhatsApp repeats
// webhooks it thinks were not received, and the first report is the one
// that counts.
//
// A status recorded for the first time also puts its webhook deliveries in
// the outbox, in the same transaction: a status is never reported twice,
// and never lost. Every path that journals comes through here.
func journal(ctx context.Context, tx *db, id int64, status openwaba.Status, at time.Time, code int, text string) error {
	return journalOwned(ctx, tx, id, func() (int64, string, error) {
		var accountID int64
		var sender string
		err := tx.row(ctx, `SELECT account_id, sender FROM messages WHERE id = ?`, id).Scan(&accountID, &sender)
		return accountID, sender, err
	}, status, at, code, text)
}

// journalOwned is journal with the message's account and sender from
// owner, called only when a webhook is to be queued: a caller that read
// the message already passes what it read.
func journalOwned(ctx context.Context, tx *db, id int64, owner func() (int64, string, error),
	status openwaba.Status, at time.Time, code int, text string) error {
	var w statusWrite
	w.journal(journalRow{id: id, status: status, at: at, code: code, text: text, owner: owner})
	return w.flush(ctx, tx)
}

// setStatus moves message id to status if status follows the message's
// (openwaba.Status.Follows, applied in the WHERE by rank) and reports
// whether it did. A non-empty error replaces the message's last error; an
// empty one leaves it.
func setStatus(ctx context.Context, tx *db, id int64, status openwaba.Status, at time.Time, code int, text string) (bool, error) {
	n, err := affected(setStatusWhere(ctx, tx, `id = ?7`, id, status, at, code, text))
	return n > 0, err
}

// setStatusWhere is setStatus for the messages where picks by target, its
// ?7: one id, or a list argument of them (promote).
func setStatusWhere(ctx context.Context, tx *db, where string, target any, status openwaba.Status, at time.Time, code int, text string) (sql.Result, error) {
	keepError := code == 0 && text == ""
	return tx.exec(ctx, `UPDATE messages SET `+setStatusSet("?1", "?2", "?3", "?4", "?5", "?6")+`
		WHERE `+where+` AND status_rank < ?2`,
		status, status.Rank(), ms(at), keepError, code, text, target)
}

// journalSilent is journal for each message of list (a listArg) at once,
// for a status that makes no webhook events (openwaba.Status.HookEvents):
// for such a status the journal's row is all that journal does.
func journalSilent(ctx context.Context, tx *db, list any, status openwaba.Status, at time.Time) error {
	if len(status.HookEvents()) > 0 {
		return fmt.Errorf("journal %s of many messages at once: it makes webhook events, journal each", status)
	}
	_, err := tx.exec(ctx, `
		INSERT INTO message_statuses (message_id, status, at, error_code, error_text)
		SELECT id, ?, ?, 0, '' FROM messages WHERE id `+tx.d.in("?")+` ORDER BY id
		ON CONFLICT (message_id, status) DO NOTHING`, status, ms(at), list)
	return err
}

// settle sets what message id costs to what openwaba.Charge says, with
// the pricing an earlier report kept on the message, and books the
// difference: a refund when the message failed or ended, a settlement
// otherwise. Settling again with nothing new books nothing, so every path
// (cancel, fail, a failed report, repeated reports) refunds at most once
// together. The caller serialises the writes to the message (the wamid
// lock, or the queue row's); the row lock here orders them against the
// balance.
func settle(ctx context.Context, tx *db, id int64, at time.Time) error {
	m, err := readReported(ctx, tx, `id = ?`, id)
	if err != nil {
		return err
	}
	return settleRead(ctx, tx, &m, nil, at, nil)
}

// reported is what the status paths read of a message, in one read: who
// it went to and what it costs.
type reported struct {
	id, accountID     int64
	wamid             string
	sender, recipient string
	waba              string // of the sender, the scope of the recipient's user (scopeOf)
	user              openwaba.User
	category          openwaba.PriceCategory
	status            openwaba.Status
	price, list       openwaba.Micros
	charge            openwaba.Micros
	billable          sql.NullBool
	stored            openwaba.Pricing
	// What the message's journal holds, for the settlement
	// (openwaba.ChargeFacts): a delivered (or read) status, a failed
	// (or paused) one. journaled keeps them in step with what the
	// caller journals after the read.
	delivered, failed bool
}

// journaled records in m that its journal now holds status.
func (m *reported) journaled(status openwaba.Status) {
	m.delivered = m.delivered || isDelivered(status)
	m.failed = m.failed || status.Unbilled()
}

// isDelivered is what makes reported.delivered: one of
// openwaba.DeliveredStatuses.
func isDelivered(status openwaba.Status) bool {
	return slices.Contains(openwaba.DeliveredStatuses(), status)
}

// journalFacts are the columns of readReported that read m.delivered and
// m.failed from the journal with the message, in the same statement.
var journalFacts = func() string {
	in := func(keep func(openwaba.Status) bool) string {
		var quoted []string
		for _, st := range openwaba.Statuses() {
			if keep(st) {
				quoted = append(quoted, "'"+string(st)+"'")
			}
		}
		return strings.Join(quoted, ", ")
	}
	// LIMIT 1 OFFSET 0 keeps PostgreSQL from turning the EXISTS into a
	// hashed subplan, which reads the whole journal once per statement:
	// with the table's statistics missing or stale (autovacuum off, or not
	// yet run) it chose that, and a status group read every journal row
	// ever written. So each message is one probe of the (message_id,
	// status) index, whatever the planner knows (TestJournalFactsProbeIndex).
	exists := func(keep func(openwaba.Status) bool) string {
		return `EXISTS (SELECT 1 FROM message_statuses j WHERE j.message_id = messages.id AND j.status IN (` + in(keep) + `) LIMIT 1 OFFSET 0)`
	}
	return exists(isDelivered) + `, ` + exists(openwaba.Status.Unbilled)
}()

// readReported reads the newest message where (id = ? or wamid = ?),
// with what its journal says for the settlement (journalFacts), its row
// locked for the settlement's update (the caller holds the message's
// wamid lock or its queue row's).
func readReported(ctx context.Context, tx *db, where string, arg any) (reported, error) {
	return scanReported(tx.row(ctx, `SELECT `+reportedColumns+` FROM messages WHERE `+where+` ORDER BY id DESC LIMIT 1`+tx.d.lockRows, arg))
}

// reportedAllSQL reads what readReportedAll reads, for the wamids of the
// list argument.
func reportedAllSQL(d *dialect) string {
	return `SELECT ` + reportedColumns + ` FROM messages WHERE wamid ` + d.in("?") + ` ORDER BY id` + d.lockRows
}

// readReportedAll is readReported of the newest message of each of
// wamids, in one statement.
func readReportedAll(ctx context.Context, tx *db, wamids []string) (map[string]reported, error) {
	arg, err := tx.d.listArg(wamids)
	if err != nil {
		return nil, err
	}
	ms, err := all(ctx, tx, scanReported, reportedAllSQL(tx.d), arg)
	byWAMID := make(map[string]reported, len(ms))
	for _, m := range ms {
		byWAMID[m.wamid] = m // ascending ids: the newest stays
	}
	return byWAMID, err
}

// reportedColumns are what scanReported reads.
var reportedColumns = `id, coalesce(wamid, ''), account_id, sender, recipient, user_wa_id, user_id, parent_user_id, username,
	category, status, price, list_price, charge, billable, pricing_model, pricing_type, pricing_category, ` + journalFacts + `,
	` + scopeSQL("messages.sender", "messages.account_id")

func scanReported(sc scanner) (reported, error) {
	var m reported
	err := sc.Scan(&m.id, &m.wamid, &m.accountID, &m.sender, &m.recipient, &m.user.WaID, &m.user.UserID, &m.user.ParentUserID, &m.user.Username,
		&m.category, &m.status, &m.price, &m.list, &m.charge, &m.billable, &m.stored.Model, &m.stored.Type, &m.stored.Category,
		&m.delivered, &m.failed, &m.waba)
	return m, err
}

// settleRead is settle on the message as m has it, report being the
// pricing a status report just gave (nil: none), which w writes to the
// message; it leaves in m what it wrote.
func settleRead(ctx context.Context, tx *db, m *reported, report *openwaba.Pricing, at time.Time, w *statusWrite) error {
	id, accountID, category, recipient, status := m.id, m.accountID, m.category, m.recipient, m.status
	price, list, charge, billable, stored := m.price, m.list, m.charge, m.billable, m.stored
	f := openwaba.ChargeFacts{Accepted: price, List: list, Category: category, Pricing: report,
		Ended: status == openwaba.StatusExpired || status == openwaba.StatusDeleted}
	if report == nil && billable.Valid {
		stored.Billable = billable.Bool
		f.Pricing = &stored
	}
	f.Delivered, f.Failed = m.delivered, m.failed
	target, refund, err := openwaba.Charge(f, func(c openwaba.PriceCategory) (openwaba.Micros, error) {
		return listPrice(ctx, tx, accountID, c, recipient)
	})
	if err != nil {
		return err
	}
	if report != nil {
		w.price(id, *report)
		m.billable = sql.NullBool{Bool: report.Billable, Valid: true}
		m.stored = openwaba.Pricing{Model: report.Model, Type: report.Type, Category: report.Category}
	}
	diff := target - charge
	if diff == 0 && !refund {
		return nil
	}
	// refunded says whether the price was given back: a refund sets it, a
	// later charge (a delivered report after a failed one) clears it.
	if _, err := tx.exec(ctx, `
		UPDATE messages SET charge = ?, settled = TRUE,
			refunded = CASE WHEN ? THEN TRUE WHEN ? THEN FALSE ELSE refunded END
		WHERE id = ?`, target, refund && diff < 0, target > 0, id); err != nil {
		return err
	}
	m.charge = target
	if diff == 0 {
		return nil
	}
	reason := openwaba.ReasonSettlement
	if refund {
		reason = openwaba.ReasonRefund
	}
	_, err = credit(ctx, tx, accountID, -diff, reason, id, at)
	return err
}

// end takes a message that never reached WhatsApp out of the queue and ends
// it with status, one that openwaba.Status.Ends: journal, webhooks, refund
// (settle).
// The caller holds the queue row's lock.
func end(ctx context.Context, tx *db, id int64, status openwaba.Status, at time.Time, code int, text string) error {
	if !status.Ends() {
		return fmt.Errorf("status %q does not end a message", status)
	}
	if _, err := tx.exec(ctx, `DELETE FROM dispatch_queue WHERE message_id = ?`, id); err != nil {
		return err
	}
	if _, err := setStatus(ctx, tx, id, status, at, code, text); err != nil {
		return err
	}
	if err := journal(ctx, tx, id, status, at, code, text); err != nil {
		return err
	}
	return settle(ctx, tx, id, at)
}

// wamidLock is the class of the transaction locks on wamids. It serialises
// everything that touches one wamid, ApplyStatus and MarkSubmitted, where
// writers run concurrently. Without it a report could look for its message
// just before MarkSubmitted commits the wamid, and be set aside just after
// MarkSubmitted looked for reports set aside: then it would wait in
// early_statuses forever. There is no row to lock before the wamid is
// stored, hence this lock.
const wamidLock = 0x0a3a1d

// ApplyStatus records a status report for the message with u.WAMID: it
// is ApplyStatuses of one report.
func (s *Store) ApplyStatus(ctx context.Context, u openwaba.StatusUpdate) (bool, error) {
	changed, err := s.ApplyStatuses(ctx, []openwaba.StatusUpdate{u})
	if err != nil {
		return false, err
	}
	return changed[0], nil
}

// ApplyStatuses records status reports, in their order, in one write (a
// webhook's reports, with those of the webhooks that arrive meanwhile:
// batch.Group), and reports for each whether its message's status
// changed. A report for a wamid the store does not know yet is kept aside
// and applied when MarkSubmitted stores that wamid: false. The journal
// gets every status once; a message moves only forward; what it costs
// follows the report (settle): its pricing, a refund for a failure or a
// pause before delivery (openwaba.Status.Unbilled). An error applies none
// of them.
func (s *Store) ApplyStatuses(ctx context.Context, us []openwaba.StatusUpdate) ([]bool, error) {
	if len(us) == 0 {
		return []bool{}, nil
	}
	r := &statusReq{us: slices.Clone(us), now: s.now(), changed: make([]bool, len(us))}
	for i, u := range r.us {
		if !u.Status.Valid() {
			return nil, fmt.Errorf("apply status %q to %s: invalid status", u.Status, u.WAMID)
		}
		if u.At.IsZero() {
			r.us[i].At = r.now
		}
		if u.WAMID != "" {
			r.wamids = append(r.wamids, u.WAMID)
		}
	}
	if len(r.wamids) == 0 {
		return r.changed, nil // reports of no message: nothing to write
	}
	err := s.statusGroup.Do(ctx, r)
	if err != nil && r.failed.WAMID == "" {
		return nil, fmt.Errorf("apply %d status reports: %w", len(us), err)
	} else if err != nil {
		return nil, fmt.Errorf("apply status %s to %s: %w", r.failed.Status, r.failed.WAMID, err)
	}
	return r.changed, nil
}

// statusReq is one ApplyStatuses in a group.
type statusReq struct {
	us      []openwaba.StatusUpdate
	wamids  []string // of us, in order, with repeats
	now     time.Time
	changed []bool                // per report, once written
	failed  openwaba.StatusUpdate // the report being applied when the write failed
}

// flushStatuses applies a group of ApplyStatuses in one write. If the
// write fails, each request is applied alone (writeGroup), so that one
// webhook's report the database refuses does not fail the others. The
// write may run more than once (a retried deadlock): it starts from
// scratch.
func (s *Store) flushStatuses(reqs []*statusReq) []error {
	return writeGroup(reqs, func(reqs []*statusReq, _ []error) error {
		return s.write(context.Background(), func(ctx context.Context, tx *db) error {
			return s.applyGroup(ctx, tx, reqs)
		})
	})
}

// applyGroup takes the wamid locks of a group's reports and applies each
// request's reports.
func (s *Store) applyGroup(ctx context.Context, tx *db, reqs []*statusReq) error {
	// One lock order for every writer: two webhooks naming the same
	// messages in different orders must not wait on each other.
	var wamids []string
	for _, r := range reqs {
		r.failed = openwaba.StatusUpdate{}
		wamids = append(wamids, r.wamids...)
	}
	slices.Sort(wamids)
	wamids = slices.Compact(wamids)
	if err := s.lockAll(ctx, tx, wamidLock, wamids); err != nil {
		return err
	}
	read, err := readReportedAll(ctx, tx, wamids)
	if err != nil {
		return err
	}
	msgs := make(map[string]*reported, len(read))
	for w, m := range read {
		msgs[w] = &m
	}
	var us []openwaba.StatusUpdate
	for _, r := range reqs {
		us = append(us, r.us...)
	}
	if err := s.lockRecipients(ctx, tx, us, msgs); err != nil {
		return err
	}
	deferOutbox(tx)
	var w statusWrite
	for _, r := range reqs {
		if err := s.applyReports(ctx, tx, r, msgs, &w); err != nil {
			return err
		}
	}
	if err := w.flush(ctx, tx); err != nil {
		return err
	}
	return flushOutbox(ctx, tx)
}

// applyReports applies one request's reports in order; the caller holds
// their wamids' locks. msgs has the messages of the group's wamids as
// read at the write's start, and each report applied leaves its message
// there as it made it, for the next (applyStatus); w collects their
// writes.
func (s *Store) applyReports(ctx context.Context, tx *db, r *statusReq, msgs map[string]*reported, w *statusWrite) error {
	clear(r.changed)
	r.failed = openwaba.StatusUpdate{}
	for i, u := range r.us {
		if u.WAMID == "" {
			continue
		}
		r.failed = u
		m, ok := msgs[u.WAMID]
		if !ok {
			if err := keepEarly(ctx, tx, u, r.now); err != nil {
				return err
			}
			continue
		}
		var err error
		if r.changed[i], err = s.applyStatus(ctx, tx, m, u, r.now, w); err != nil {
			return err
		}
	}
	r.failed = openwaba.StatusUpdate{}
	return nil
}

// applyStatus records u for message m, as read under the wamid's lock
// and changed by the reports before u, and leaves m as u made it. The
// journal row, the status move, the recipient and the pricing go to w; the rarer
// writes (a user's new identity, a settlement, consent) are made at once.
func (s *Store) applyStatus(ctx context.Context, tx *db, m *reported, u openwaba.StatusUpdate, now time.Time, w *statusWrite) (bool, error) {
	if err := s.recordRecipient(ctx, tx, m, u.User, now, w); err != nil {
		return false, err
	}
	accountID, sender := m.accountID, m.sender
	w.journal(journalRow{id: m.id, status: u.Status, at: u.At, code: u.ErrorCode, text: u.ErrorText,
		owner: func() (int64, string, error) { return accountID, sender, nil }})
	m.journaled(u.Status)
	code, text := 0, ""
	if u.Status.Unbilled() {
		code, text = u.ErrorCode, u.ErrorText
	}
	// The rule of setStatus, decided here on the message as it stands.
	changed := m.status.Rank() < u.Status.Rank()
	if changed {
		w.move(m.id, u.Status, u.At, code, text)
		m.status = u.Status
	}
	// What the message costs changes with a price reported, a failure
	// (Meta bills delivered messages only), or a delivery after one.
	if u.Pricing != nil || u.Status.Unbilled() || isDelivered(u.Status) {
		if err := settleRead(ctx, tx, m, u.Pricing, now, w); err != nil {
			return changed, err
		}
	}
	// Meta's 131050: the recipient stopped marketing messages.
	return changed, statusConsent(ctx, tx, m.id, u)
}

// keepEarly sets aside a report for a wamid no message has yet, and drops
// the reports that waited in vain for longer than openwaba.EarlyStatusKeep.
func keepEarly(ctx context.Context, tx *db, u openwaba.StatusUpdate, now time.Time) error {
	if _, err := tx.exec(ctx, `DELETE FROM early_statuses WHERE received_at < ?`,
		ms(now.Add(-openwaba.EarlyStatusKeep))); err != nil {
		return err
	}
	details, err := json.Marshal(statusDetails{User: u.User, Pricing: u.Pricing})
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `
		INSERT INTO early_statuses (wamid, status, at, error_code, error_text, details, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (wamid, status) DO NOTHING`,
		u.WAMID, u.Status, ms(u.At), u.ErrorCode, u.ErrorText, storedJSON(details), ms(now))
	return err
}

// statusDetails is what a report set aside keeps besides its status.
type statusDetails struct {
	User    openwaba.User     `json:",omitzero"`
	Pricing *openwaba.Pricing `json:",omitempty"`
}

// takeEarly removes the reports set aside for wamids and returns them by
// wamid. The caller holds the wamids' locks.
func takeEarly(ctx context.Context, tx *db, wamids []string) (map[string][]openwaba.StatusUpdate, error) {
	if len(wamids) == 0 {
		return nil, nil
	}
	arg, err := tx.d.listArg(wamids)
	if err != nil {
		return nil, err
	}
	early, err := all(ctx, tx, func(sc scanner) (openwaba.StatusUpdate, error) {
		var u openwaba.StatusUpdate
		var at int64
		var details string
		err := sc.Scan(&u.WAMID, &u.Status, &at, &u.ErrorCode, &u.ErrorText, &details)
		u.At = fromMS(at)
		if err == nil && details != "" {
			var d statusDetails
			if err := json.Unmarshal([]byte(details), &d); err != nil {
				return u, fmt.Errorf("details of an early %s report of %s: %w", u.Status, u.WAMID, err)
			}
			u.User, u.Pricing = d.User, d.Pricing
		}
		return u, err
	}, `DELETE FROM early_statuses WHERE wamid `+tx.d.in("?")+` RETURNING wamid, status, at, error_code, error_text, details`, arg)
	if err != nil {
		return nil, err
	}
	byWAMID := map[string][]openwaba.StatusUpdate{}
	for _, u := range early {
		byWAMID[u.WAMID] = append(byWAMID[u.WAMID], u)
	}
	return byWAMID, nil
}

// applyEarly applies the reports that arrived for message id's wamid
// before the message had it (takeEarly). They are applied in the order of
// their ranks, the order in which a message lives them (held, sent,
// delivered, read), so that the journal and the webhooks tell it so:
// their times do not order them, Meta's being whole seconds and the
// dispatcher's (for a status of the send answer) milliseconds. The caller
// holds the wamid's lock.
func (s *Store) applyEarly(ctx context.Context, tx *db, id int64, early []openwaba.StatusUpdate, now time.Time) error {
	slices.SortStableFunc(early, func(a, b openwaba.StatusUpdate) int { return a.Status.Rank() - b.Status.Rank() })
	m, err := readReported(ctx, tx, `id = ?`, id)
	if err != nil {
		return err
	}
	var w statusWrite
	for _, u := range early {
		if _, err := s.applyStatus(ctx, tx, &m, u, now, &w); err != nil { // each report sees what the one before did
			return err
		}
	}
	return w.flush(ctx, tx)
}

// recordRecipient keeps what a status report said of the recipient of
// message m (its BSUID, number, username) on the message, and links the
// ids it names together with the one the message was sent to. m is the
// message as the write has it, and has the ids after; the message's row
// is written with w's.
func (s *Store) recordRecipient(ctx context.Context, tx *db, m *reported, seen openwaba.User, now time.Time, w *statusWrite) error {
	seen, ok := linkTarget(m, seen)
	if !ok {
		return nil
	}
	u, err := s.linkUser(ctx, tx, m.accountID, m.waba, seen, now)
	if err != nil {
		return err
	}
	m.user = openwaba.User{WaID: u.WaID, UserID: u.UserID, ParentUserID: u.ParentUserID, Username: openwaba.StoredText(u.Username)}
	w.link(m.id, m.user)
	return nil
}

// linkTarget is the user recordRecipient links for a report that names
// seen as message m's recipient, with the id the message was sent to;
// false when there is nothing to link.
func linkTarget(m *reported, seen openwaba.User) (openwaba.User, bool) {
	if seen.Zero() || (!m.user.Zero() && !m.user.Tells(seen)) {
		return seen, false // nothing, or what an earlier report of the message linked
	}
	// The message went to one of the user's ids.
	sent := openwaba.UserOf(m.recipient)
	switch {
	case sent.WaID != "" && seen.WaID == "":
		seen.WaID = sent.WaID
	case sent.UserID != "" && seen.UserID == "":
		seen.UserID = sent.UserID
	case sent.ParentUserID != "" && seen.ParentUserID == "":
		seen.ParentUserID = sent.ParentUserID
	}
	return seen, true
}

// lockRecipients takes, in one statement, the user locks that linking
// the recipients of reports us will take (linkTarget, userLockKeys), for
// the messages msgs has, sorted: a group's links then take no lock of
// their own, and two groups cannot take the same users' locks in
// different orders.
func (s *Store) lockRecipients(ctx context.Context, tx *db, us []openwaba.StatusUpdate, msgs map[string]*reported) error {
	var keys []string
	for _, u := range us {
		m, ok := msgs[u.WAMID]
		if !ok {
			continue
		}
		if seen, ok := linkTarget(m, u.User); ok {
			keys = append(keys, userLockKeys(m.accountID, m.waba, seen)...)
		}
	}
	slices.Sort(keys)
	return s.lockAll(ctx, tx, userLock, slices.Compact(keys))
}
