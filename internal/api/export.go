package api

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/openwaba/openwaba"
)

// exportChunk is how many rows go out between flushes and write-deadline
// extensions: an export takes as long as it takes, the server's write
// timeout applies to each chunk.
const exportChunk = 1000

// exportRow is an NDJSON line of GET /api/waba/export.
type exportRow struct {
	Direction string  `json:"direction"`
	ID        string  `json:"id"`
	Time      string  `json:"time"`
	Sender    string  `json:"sender"`
	User      string  `json:"user"`
	UserID    *string `json:"user_id"`
	Type      string  `json:"type"`
	Text      string  `json:"text"`
	Status    *string `json:"status"`
	Price     float64 `json:"price"`
	Label     *string `json:"label"`
	ForeignID *string `json:"foreign_id"`
	WAMID     *string `json:"wamid"`
}

// exportAnswer answers GET /api/waba/export?format=csv|ndjson&from=&to=:
// the account's messages in and out, by time, streamed from the store's
// cursor as they are read (openwaba.ExportStore): memory does not grow
// with the export. An error once rows went out cannot become an error
// answer; the connection is cut instead, so that a cut export is never
// taken for a whole one (CSV and NDJSON have no end mark).
func (s *Server) exportMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkQuery(q); err != nil {
		s.writeError(w, err, false)
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "ndjson" {
		s.writeError(w, badField("format", "must be csv or ndjson, got %q", format), false)
		return
	}
	from, to, err := listRange(q)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, 64<<10)
	var write func(openwaba.ExportRow) error
	flush := bw.Flush
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		cw := csv.NewWriter(bw)
		write = func(e openwaba.ExportRow) error {
			return cw.Write([]string{e.Direction, strconv.FormatInt(e.ID, 10), timeString(e.At), e.Sender, e.User, e.UserID,
				e.Type, e.Text, e.Status, e.Price.String(), e.Label, e.ForeignID, e.WAMID})
		}
		flush = func() error {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
			return bw.Flush()
		}
		if err := cw.Write(openwaba.ExportColumns); err != nil {
			return
		}
	default:
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		write = func(e openwaba.ExportRow) error {
			return enc.Encode(exportRow{Direction: e.Direction, ID: strconv.FormatInt(e.ID, 10), Time: timeString(e.At),
				Sender: e.Sender, User: e.User, UserID: nullable(e.UserID), Type: e.Type, Text: e.Text, Status: nullable(e.Status),
				Price: e.Price.Float(), Label: nullable(e.Label), ForeignID: nullable(e.ForeignID), WAMID: nullable(e.WAMID)})
		}
	}
	w.Header().Set("Content-Disposition", `attachment; filename="openwaba-export.`+format+`"`)
	w.Header().Set("Cache-Control", "no-store")
	n := 0
	err = s.cfg.Store.Export(r.Context(), principalFrom(r.Context()).AccountID, from, to, func(e openwaba.ExportRow) error {
		if err := write(e); err != nil {
			return err
		}
		if n++; n%exportChunk == 0 {
			_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
			if err := flush(); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		s.log.Warn("export cut", "err", err, "rows", n)
		panic(http.ErrAbortHandler)
	}
}
