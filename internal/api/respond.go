package api

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/httplog"
	"github.com/openwaba/openwaba/internal/templates"
)

// writeJSON writes v without HTML escaping: message texts are shown back
// verbatim, and "&" must not become "\u0026".
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	_ = EncodeJSON(&buf, v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeBareCode answers with a bare seven code (900, 902) as the body.
func writeBareCode(w http.ResponseWriter, status, code int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(strconv.Itoa(code)))
}

type errorBody struct {
	Success      *bool  `json:"success,omitempty"`
	ErrorCode    int    `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

func writeBadRequest(w http.ResponseWriter, msg string, withSuccess bool) {
	body := errorBody{ErrorCode: openwaba.CodeBadRequest, ErrorMessage: msg}
	if withSuccess {
		f := false
		body.Success = &f
	}
	writeJSON(w, http.StatusBadRequest, body)
}

func writeNotFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Errors  []any  `json:"errors"`
	}{404, "Page not found", []any{}})
}

func writeServerError(w http.ResponseWriter) {
	writeJSON(w, http.StatusInternalServerError, errorBody{ErrorCode: 500, ErrorMessage: "internal error; the request was not carried out"})
}

// writeError is the one table that maps errors to seven's answers.
// withSuccess adds "success":false, as the events endpoint answers.
func (s *Server) writeError(w http.ResponseWriter, err error, withSuccess bool) {
	var fe *fieldError
	var te *templates.Error
	var de *openwaba.DraftError
	var se *signatureError
	var rl *rateLimitError
	switch {
	case errors.As(err, &se):
		writeJSON(w, http.StatusUnauthorized, errorBody{ErrorCode: openwaba.CodeAuthFailed, ErrorMessage: se.Error()})
	case errors.As(err, &rl):
		writeJSON(w, http.StatusTooManyRequests, errorBody{ErrorCode: http.StatusTooManyRequests, ErrorMessage: rl.Error()})
	case errors.Is(err, errIdempotencyMismatch), errors.Is(err, errIdempotencyRunning), errors.Is(err, errIdempotencyLost):
		writeJSON(w, http.StatusConflict, errorBody{ErrorCode: http.StatusConflict, ErrorMessage: err.Error()})
	case errors.Is(err, openwaba.ErrSenderTaken):
		writeJSON(w, http.StatusConflict, errorBody{ErrorCode: http.StatusConflict, ErrorMessage: openwaba.ErrSenderTaken.Error()})
	case errors.Is(err, openwaba.ErrConflict):
		writeJSON(w, http.StatusConflict, errorBody{ErrorCode: http.StatusConflict, ErrorMessage: "conflicts with what is stored: " + err.Error()})
	case errors.As(err, &fe):
		writeBadRequest(w, fe.Error(), withSuccess)
	case errors.Is(err, openwaba.ErrBalanceLimit):
		writeBadRequest(w, "amount: "+openwaba.ErrBalanceLimit.Error()+" (at most "+openwaba.MaxAmount.String()+" at once, a balance within ±"+openwaba.MaxBalance.String()+")", withSuccess)
	case errors.As(err, &te):
		writeBadRequest(w, te.Error(), withSuccess)
	case errors.As(err, &de):
		writeBadRequest(w, de.Error(), withSuccess)
	case errors.Is(err, errInvalidSender):
		writeBadRequest(w, openwaba.TextInvalidSender, withSuccess)
	case errors.Is(err, openwaba.ErrAlreadySent):
		writeBadRequest(w, openwaba.TextAlreadySent, withSuccess)
	case errors.Is(err, openwaba.ErrNotFound):
		writeNotFound(w)
	default:
		if ue, ok := openwaba.AsUpstreamError(err); ok {
			body := errorBody{ErrorCode: openwaba.CodeBadRequest, ErrorMessage: "WhatsApp refused the request: " + ue.Error()}
			if withSuccess {
				f := false
				body.Success = &f
			}
			status := http.StatusBadRequest
			if ue.Retryable {
				status, body.ErrorCode = http.StatusServiceUnavailable, http.StatusServiceUnavailable
			}
			writeJSON(w, status, body)
			return
		}
		if httplog.Abandoned(err) {
			s.log.Debug("request abandoned by the client", "err", err)
			writeJSON(w, httplog.StatusClientClosed, errorBody{ErrorCode: httplog.StatusClientClosed, ErrorMessage: "the client closed the request"})
			return
		}
		s.log.Error("request failed", "err", err)
		writeServerError(w)
	}
}

var errInvalidSender = errors.New("invalid sender")
