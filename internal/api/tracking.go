package api

import (
	"errors"
	"net/http"

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
