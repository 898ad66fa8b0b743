package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
)

// answer is what the API answered an in-process request.
type answer struct {
	Status int
	Body   []byte
}

// call makes a request to the API's own handlers as the signed-in key: the
// console's one way to read and change anything, so that it applies the
// API's rules and nothing else. form is sent as the API's form body
// (bracket keys, as a client could send them).
func (c *Console) call(r *http.Request, u *user, method, path string, form url.Values) answer {
	var body io.Reader = http.NoBody
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(r.Context(), method, path, body)
	if err != nil {
		return answer{Status: http.StatusBadRequest, Body: []byte(`{"error_message":` + strconv.Quote(err.Error()) + `}`)}
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.RemoteAddr = r.RemoteAddr
	rec := httptest.NewRecorder()
	c.cfg.API.ServeAs(u.Key, rec, req)
	return answer{Status: rec.Code, Body: rec.Body.Bytes()}
}

// decode reads a successful answer into v; an answer that is not 2xx is
// an *apiError with the API's own words.
func (a answer) decode(v any) error {
	if a.Status < 200 || a.Status > 299 {
		return &apiError{Status: a.Status, Message: a.message()}
	}
	d := json.NewDecoder(bytes.NewReader(a.Body))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("reading the API's answer: %w", err)
	}
	return nil
}

// apiError is an answer of the API that refused the request.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string { return e.Message }

// message is the explanation in an answer, in any of the API's error
// shapes: {error_message}, {message}, seven's send answer with
// error_text per message, or a bare code (900, 902).
func (a answer) message() string {
	var m struct {
		ErrorMessage string `json:"error_message"`
		Message      string `json:"message"`
		ErrorText    string `json:"error_text"`
		Messages     []struct {
			ErrorText *string `json:"error_text"`
		} `json:"messages"`
	}
	if json.Unmarshal(a.Body, &m) == nil {
		for _, s := range []string{m.ErrorMessage, m.ErrorText, m.Message} {
			if s != "" {
				return s
			}
		}
		for _, msg := range m.Messages {
			if msg.ErrorText != nil && *msg.ErrorText != "" {
				return *msg.ErrorText
			}
		}
	}
	switch strings.TrimSpace(string(a.Body)) {
	case "900":
		return "This key is not valid any more; sign in again."
	case "902":
		return "This key has no scope for this page."
	}
	return fmt.Sprintf("The gateway answered HTTP %d.", a.Status)
}
