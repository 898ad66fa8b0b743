package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// runLoad posts one body to a URL from c connections for d, as fast as
// answers come (closed loop) or at a fixed total rate, and reports the
// rate, latency percentiles, the answers by status, its own CPU time per
// request and (with -pid) the target process's.
func runLoad(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080/api/waba/messages", "what to POST to")
	key := fs.String("key", os.Getenv("OPENWABA_API_KEY"), "X-Api-Key (default $OPENWABA_API_KEY; never printed)")
	bodyFile := fs.String("body", "", "file with the request body (JSON)")
	conns := fs.Int("c", 64, "concurrent connections")
	dur := fs.Duration("d", 10*time.Second, "how long")
	rate := fs.Float64("rate", 0, "requests per second in all (0: as fast as answers come)")
	pid := fs.Int("pid", 0, "the target's process id, to report its CPU time per request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The spec's template example: its sender and template are what the
	// sandbox and loadgen's fake Graph both hold (hello_world in de).
	body := []byte(`{"from":"4915112345678","to":"4917612345678","type":"template","template":"hello_world","language":"de"}`)
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return err
		}
		body = b
	}
	if *conns < 1 || *dur <= 0 || *rate < 0 {
		return fmt.Errorf("-c must be at least 1, -d positive, -rate not negative")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}}

	cpu0, err := cpuTime(*pid)
	if err != nil {
		return err
	}
	self0, err := cpuTime(os.Getpid())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *dur)
	defer cancel()
	// With a rate, permits are handed out by the clock: each tick issues
	// what is due since the start (a ticker drops the ticks its reader
	// missed, so one permit a tick fell short of the rate on a busy
	// machine); without a rate, every worker goes.
	var permits chan struct{}
	if *rate > 0 {
		permits = make(chan struct{}, *conns)
		go func() {
			begin := time.Now()
			t := time.NewTicker(max(time.Duration(float64(time.Second) / *rate), time.Millisecond))
			defer t.Stop()
			issued := 0
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-t.C:
					for due := int(now.Sub(begin).Seconds() * *rate); issued < due; issued++ {
						select {
						case permits <- struct{}{}:
						default: // all connections busy: the load falls behind, as wrk's would
						}
					}
				}
			}
		}()
	}
	var mu sync.Mutex
	var lat []time.Duration
	codes := map[string]int{}
	start := time.Now()
	var wg sync.WaitGroup
	for range *conns {
		wg.Go(func() {
			var mine []time.Duration
			mycodes := map[string]int{}
			for ctx.Err() == nil {
				if permits != nil {
					select {
					case <-ctx.Done():
						continue
					case <-permits:
					}
				}
				t0 := time.Now()
				code := post(ctx, client, *url, *key, body)
				if ctx.Err() != nil && code == "error" {
					break
				}
				mine = append(mine, time.Since(t0))
				mycodes[code]++
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range mycodes {
				codes[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, err := cpuTime(*pid)
	if err != nil {
		return err
	}
	self1, err := cpuTime(os.Getpid())
	if err != nil {
		return err
	}
	slices.Sort(lat)
	n := len(lat)
	fmt.Fprintf(out, "requests %d in %v: %.0f/s\n", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	if n > 0 {
		fmt.Fprintf(out, "latency p50 %v  p90 %v  p99 %v  max %v\n",
			pct(lat, 50), pct(lat, 90), pct(lat, 99), lat[n-1])
	}
	var keys []string
	for k := range codes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "answers %s: %d\n", k, codes[k])
	}
	if *pid > 0 && n > 0 {
		used := cpu1 - cpu0
		fmt.Fprintf(out, "target CPU %v: %v per request\n", used.Round(time.Millisecond), (used / time.Duration(n)).Round(time.Microsecond))
	}
	if n > 0 {
		// What sending cost this client: against the no-op handler, the
		// floor of the gateway's own outgoing requests (a send to Meta, a
		// webhook delivery), as the target's CPU is the floor of its
		// incoming ones.
		used := self1 - self0
		fmt.Fprintf(out, "client CPU %v: %v per request\n", used.Round(time.Millisecond), (used / time.Duration(n)).Round(time.Microsecond))
	}
	return nil
}

// post sends one request and names its outcome: the HTTP status, or
// error; for an answer with seven's "success" code, the code too ("200
// success 100"), since seven answers HTTP 200 to a send refused for the
// balance (code 500) or the window.
func post(ctx context.Context, client *http.Client, url, key string, body []byte) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "error"
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "error"
	}
	defer resp.Body.Close()
	outcome := strconv.Itoa(resp.StatusCode)
	var answer struct {
		Success json.RawMessage `json:"success"`
	}
	if b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20)); err == nil && json.Unmarshal(b, &answer) == nil && len(answer.Success) > 0 {
		outcome += " success " + strings.Trim(string(answer.Success), `"`)
	}
	return outcome
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted) - 1) * p / 100
	return sorted[i].Round(10 * time.Microsecond)
}

// cpuTime is the user and system CPU time process pid has used (Linux
// /proc); 0 for pid 0.
func cpuTime(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, nil
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("reading the target's CPU time: %w", err)
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, nil
}
