package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// serveNoop answers every request with a small JSON, as a handler that
// does nothing would: the floor a gateway's cost per message is compared
// with, measured on the same machine in the same run.
func serveNoop(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("noop", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9100", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return serve(ctx, *addr, noopHandler(), out, "no-op handler")
}

func noopHandler() http.Handler {
	body := []byte(`{"success":"100","total_price":0,"balance":1,"messages":[{"id":"1","status":"queued"}]}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// serveGraph is a fake Graph API for Meta mode: every send is accepted with
// a new wamid after latency, the template list is hello_world (de, en),
// everything else answers success. With -webhook it plays the full
// pipeline: Meta's sent, delivered and read webhooks for every send
// (reporter).
func serveGraph(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9200", "listen address")
	latency := fs.Duration("latency", 0, "how long each answer takes (Meta's real round trip is tens to hundreds of ms)")
	hook := fs.String("webhook", "", "the gateway's Meta webhook URL (http://127.0.0.1:8080/webhooks/meta): post sent, delivered and read for every send")
	secret := fs.String("app-secret", "", "the app secret the webhooks are signed with (the gateway's --meta-app-secret)")
	phoneID := fs.String("phone-number-id", "", "the sender's phone number id, as the gateway knows it")
	display := fs.String("display-number", "", "the sender's number")
	batch := fs.Int("batch", 1, "messages whose reports of one status share a webhook")
	posters := fs.Int("posters", 16, "webhooks posted at once (Meta posts many at once; each waits for the gateway's durable answer)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var rep *reporter
	if *hook != "" {
		rep = newReporter(*hook, *secret, *phoneID, *display, *batch)
		rep.run(ctx, max(*posters, 1))
	}
	return serve(ctx, *addr, graphHandler(*latency, rep), out, "fake Graph API")
}

// templateList is what the fake Graph answers a template sync.
const templateList = `{"data":[` +
	`{"id":"1000000000000001","name":"hello_world","language":"de","status":"APPROVED","category":"MARKETING","parameter_format":"POSITIONAL","components":[{"type":"BODY","text":"Hallo Welt!"}]},` +
	`{"id":"1000000000000002","name":"hello_world","language":"en","status":"APPROVED","category":"MARKETING","parameter_format":"POSITIONAL","components":[{"type":"BODY","text":"Hello World!"}]}` +
	`],"paging":{}}`

func graphHandler(latency time.Duration, rep *reporter) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var send struct {
			To        string `json:"to"`
			Recipient string `json:"recipient"`
		}
		_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&send)
		_, _ = io.Copy(io.Discard, r.Body)
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") {
			id := "wamid.load" + strconv.FormatInt(n.Add(1), 10)
			fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":%q}]}`, id)
			if rep != nil {
				rep.sends <- sent{wamid: id, to: send.To + send.Recipient}
			}
			return
		}
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/message_templates") {
			_, _ = w.Write([]byte(templateList))
			return
		}
		_, _ = w.Write([]byte(`{"success":true}`))
	})
}

func serve(ctx context.Context, addr string, h http.Handler, out io.Writer, what string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "%s on http://%s\n", what, ln.Addr())
	go func() {
		<-ctx.Done()
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(c)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
