package api

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/phone"
)

// Analytics: GET /api/analytics?group_by= (openwaba's counts per group)
// and seven's paths GET /api/analytics/{date,label,subaccount,country}
// (seven's AnalyticsBase fields, which its official JS client's
// AnalyticsResource reads, with openwaba's counts beside them).

// analyticsRow is one group, seven style: the group's key under its name,
// then the counts.
type analyticsRow map[string]any

// analyticsFilter reads start and end (YYYY-MM-DD, inclusive, UTC) and
// label; on seven's paths the label "all" is every label, as seven's
// ANALYTICS_LABELS say.
func analyticsFilter(q url.Values, seven bool) (openwaba.AnalyticsFilter, error) {
	if err := checkQuery(q); err != nil {
		return openwaba.AnalyticsFilter{}, err
	}
	f := openwaba.AnalyticsFilter{Label: q.Get("label")}
	if seven && f.Label == "all" {
		f.Label = ""
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
		end  bool
	}{{"start", &f.Start, false}, {"end", &f.End, true}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return f, badField(p.name, "must be a date YYYY-MM-DD, got %q", v)
		}
		if p.end {
			d = d.AddDate(0, 0, 1) // the end day counts
		}
		*p.dst = d
	}
	if !f.Start.IsZero() && !f.End.IsZero() && !f.Start.Before(f.End) {
		return f, badField("end", "must not be before start")
	}
	return f, nil
}

// analyticsRows asks the store for f's groups; by country, it groups by
// recipient and sums the rows per country (recipientCountry).
func (s *Server) analyticsRows(r *http.Request, f openwaba.AnalyticsFilter) ([]openwaba.AnalyticsRow, error) {
	country := f.GroupBy == openwaba.GroupByCountry
	if country {
		f.GroupBy = openwaba.GroupByRecipient
	}
	rows, err := s.cfg.Store.Analytics(r.Context(), principalFrom(r.Context()).AccountID, f)
	if err != nil || !country {
		return rows, err
	}
	return openwaba.Regroup(rows, recipientCountry), nil
}

// recipientCountry is the ISO 3166 country of a recipient: a number's
// region, the country a BSUID starts with; "" when unknown.
func recipientCountry(recipient string) string {
	if c := openwaba.BSUIDCountry(recipient); c != "" {
		return c
	}
	return phone.Region(recipient)
}

// analytics answers GET /api/analytics: the account's messages counted
// per date (default), label, subaccount or country, between start and
// end, optionally for one label.
func (s *Server) analytics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := analyticsFilter(q, false)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	switch f.GroupBy = openwaba.AnalyticsGroup(q.Get("group_by")); f.GroupBy {
	case "":
		f.GroupBy = openwaba.GroupByDate
	case openwaba.GroupByDate, openwaba.GroupByLabel, openwaba.GroupBySubaccount, openwaba.GroupByCountry:
	default:
		s.writeError(w, badField("group_by", "must be date, label, subaccount or country, got %q", q.Get("group_by")), false)
		return
	}
	rows, err := s.analyticsRows(r, f)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	out := make([]analyticsRow, 0, len(rows))
	for _, row := range rows {
		out = append(out, counts(analyticsRow{string(f.GroupBy): row.Key}, row))
	}
	writeJSON(w, http.StatusOK, out)
}

// counts adds openwaba's counts of row to out.
func counts(out analyticsRow, row openwaba.AnalyticsRow) analyticsRow {
	out["messages"] = row.Messages
	out["sent"] = row.Sent
	out["delivered"] = row.Delivered
	out["read"] = row.Read
	out["played"] = row.Played
	out["held"] = row.Held
	out["paused"] = row.Paused
	out["failed"] = row.Failed
	out["expired"] = row.Expired
	out["cost"] = row.Cost.Float()
	out["clicks"] = row.Clicks
	out["views"] = row.Views
	return out
}

// sevenAnalyticsKeys are seven's paths and the field each names its
// group by: seven's subaccount rows name it "account".
var sevenAnalyticsKeys = map[openwaba.AnalyticsGroup]string{
	openwaba.GroupByDate:       "date",
	openwaba.GroupByLabel:      "label",
	openwaba.GroupBySubaccount: "account",
	openwaba.GroupByCountry:    "country",
}

// sevenAnalytics answers GET /api/analytics/{group}: seven's shape, the
// group's key and AnalyticsBase (sms, rcs, voice, hlr, mnp: none through
// a WhatsApp gateway; inbound: what users wrote; usage_eur: what the
// messages cost), then whatsapp (the messages sent) and openwaba's
// counts. subaccounts may be only_main, all, or the account's own id: an
// openwaba account has no subaccounts.
func (s *Server) sevenAnalytics(w http.ResponseWriter, r *http.Request) {
	group := openwaba.AnalyticsGroup(r.PathValue("group"))
	key, ok := sevenAnalyticsKeys[group]
	if !ok {
		writeNotFound(w)
		return
	}
	q := r.URL.Query()
	f, err := analyticsFilter(q, true)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	switch v := q.Get("subaccounts"); v {
	case "", "only_main", "all", strconv.FormatInt(principalFrom(r.Context()).AccountID, 10):
	default:
		s.writeError(w, badField("subaccounts", "must be only_main, all or this account's id: an openwaba account has no subaccounts; got %q", v), false)
		return
	}
	f.GroupBy = group
	rows, err := s.analyticsRows(r, f)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	out := make([]analyticsRow, 0, len(rows))
	for _, row := range rows {
		o := analyticsRow{key: row.Key, "sms": 0, "rcs": 0, "voice": 0, "hlr": 0, "mnp": 0,
			"inbound": row.Inbound, "usage_eur": row.Cost.Float(), "whatsapp": row.Messages}
		out = append(out, counts(o, row))
	}
	writeJSON(w, http.StatusOK, out)
}
