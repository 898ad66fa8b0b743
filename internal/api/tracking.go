package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/tracking"
)

// followLink answers GET /s/{code}: a redirect to the link's URL, after
// the click (or a link preview's view) is counted and its tracking webhook
// stored. It needs no key: it is what users tap.
func (s *Server) followLink(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !tracking.ValidCode(code) {
		http.NotFound(w, r)
		return
	}
	ua := r.UserAgent()
	c, err := s.cfg.Store.RecordClick(r.Context(), code, s.now(), truncate(ua, 512), tracking.IsPreviewBot(ua))
	if errors.Is(err, openwaba.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.log.Error("recording a click", "err", err)
		// The user still gets where they wanted to go; the link is
		// looked up without counting.
		l, lerr := s.cfg.Store.Link(r.Context(), code)
		if lerr != nil {
			writeServerError(w)
			return
		}
		c.Link = l
	} else {
		s.cfg.NotifyHooks()
	}
	w.Header().Set("Cache-Control", "no-store") // every click must reach us
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, c.Link.URL, http.StatusFound)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// analyticsRow is one group of GET /api/analytics, seven style: the
// group's key under its name (date, label or subaccount), then the counts.
type analyticsRow map[string]any

// analytics answers GET /api/analytics: the account's messages counted
// per date (default), label or subaccount, between start and end
// (YYYY-MM-DD, inclusive, UTC), optionally for one label.
func (s *Server) analytics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkQuery(q); err != nil {
		s.writeError(w, err, false)
		return
	}
	f := openwaba.AnalyticsFilter{Label: q.Get("label"), GroupBy: openwaba.AnalyticsGroup(q.Get("group_by"))}
	switch f.GroupBy {
	case "":
		f.GroupBy = openwaba.GroupByDate
	case openwaba.GroupByDate, openwaba.GroupByLabel, openwaba.GroupBySubaccount:
	default:
		s.writeError(w, badField("group_by", "must be date, label or subaccount, got %q", q.Get("group_by")), false)
		return
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
			s.writeError(w, badField(p.name, "must be a date YYYY-MM-DD, got %q", v), false)
			return
		}
		if p.end {
			d = d.AddDate(0, 0, 1) // the end day counts
		}
		*p.dst = d
	}
	if !f.Start.IsZero() && !f.End.IsZero() && !f.Start.Before(f.End) {
		s.writeError(w, badField("end", "must not be before start"), false)
		return
	}
	rows, err := s.cfg.Store.Analytics(r.Context(), principalFrom(r.Context()).AccountID, f)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	out := make([]analyticsRow, 0, len(rows))
	for _, row := range rows {
		out = append(out, analyticsRow{
			string(f.GroupBy): row.Key,
			"messages":        row.Messages,
			"sent":            row.Sent,
			"delivered":       row.Delivered,
			"read":            row.Read,
			"played":          row.Played,
			"held":            row.Held,
			"paused":          row.Paused,
			"failed":          row.Failed,
			"expired":         row.Expired,
			"cost":            row.Cost.Float(),
			"clicks":          row.Clicks,
			"views":           row.Views,
		})
	}
	writeJSON(w, http.StatusOK, out)
}
