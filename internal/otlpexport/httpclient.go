package otlpexport

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/nexusmon/nexusmon/internal/otlpwire"
)

// maxResponse bounds how much of a response is read.
const maxResponse = 64 << 10

// Backoff of the retries, before jitter (Retry-After wins when given).
const (
	retryInitial = 500 * time.Millisecond
	retryMax     = 5 * time.Second
)

// httpClient sends export requests over OTLP/HTTP as the specification
// says: POST, retried on 429, 502, 503, 504 and connection errors with
// exponential backoff or the server's Retry-After, all within the export
// timeout; any other status is permanent; a partial_success in the answer is
// an error. Headers are sent, never logged or put in errors.
type httpClient struct {
	cfg     httpConfig
	what    string // "metrics", "traces": for errors
	client  *http.Client
	initial time.Duration // first backoff
	// sleep waits d or until ctx ends; tests replace it to see the waits.
	sleep func(ctx context.Context, d time.Duration) error
}

func newHTTPClient(what string, cfg httpConfig) *httpClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.tls != nil {
		tr.TLSClientConfig = cfg.tls
	}
	return &httpClient{cfg: cfg, what: what, client: &http.Client{Transport: tr}, initial: retryInitial, sleep: sleep}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryable marks a failed attempt that may be tried again.
type retryable struct {
	err   error
	after time.Duration // the server's Retry-After; 0: backoff
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// send posts body (OTLP/JSON when asJSON, else binary protobuf) and
// retries as the specification says until ctx or the export timeout ends.
func (c *httpClient) send(ctx context.Context, body []byte, asJSON bool) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	if c.cfg.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		// Writing to a bytes.Buffer does not fail, so neither do Write and Close.
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
	}
	backoff := c.initial
	for {
		err := c.attempt(ctx, body, asJSON)
		var r *retryable
		if err == nil || !errors.As(err, &r) {
			return err
		}
		wait := r.after
		if wait <= 0 {
			wait = backoff/2 + rand.N(backoff/2+1) // jitter: [backoff/2, backoff]
			backoff = min(2*backoff, retryMax)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("%w (no time left to retry)", r.err)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%w (retry: %w)", r.err, err)
		}
	}
}

// attempt is one POST; a *retryable error may be retried.
func (c *httpClient) attempt(ctx context.Context, body []byte, asJSON bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("export %s: %w", c.what, err)
	}
	for k, v := range c.cfg.headers {
		req.Header.Set(k, v)
	}
	if asJSON {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "application/x-protobuf")
	}
	if c.cfg.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		// url.Error names the URL: drop it, it may carry a user or query.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		err = fmt.Errorf("export %s to %s: %w", c.what, redactURL(c.cfg.url), err)
		if ctx.Err() != nil {
			return err
		}
		return &retryable{err: err}
	}
	defer resp.Body.Close()
	rb, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse)) // let the connection be reused
	respJSON := isJSON(resp.Header.Get("Content-Type"))
	switch code := resp.StatusCode; {
	case code/100 == 2:
		if rerr != nil {
			return fmt.Errorf("export %s: read response: %w", c.what, rerr)
		}
		ps, err := otlpwire.DecodeResponse(rb, respJSON)
		if err != nil {
			return fmt.Errorf("export %s: %w", c.what, err)
		}
		if ps != (otlpwire.PartialSuccess{}) {
			return fmt.Errorf("export %s: partial success: collector rejected %d: %q", c.what, ps.Rejected, ps.Message)
		}
		return nil
	case code == http.StatusTooManyRequests || code == http.StatusBadGateway ||
		code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		return &retryable{err: c.statusError(resp.Status, rb, respJSON), after: retryAfter(resp.Header.Get("Retry-After"))}
	default:
		return c.statusError(resp.Status, rb, respJSON)
	}
}

func (c *httpClient) statusError(status string, body []byte, asJSON bool) error {
	if msg := statusMessage(body, asJSON); msg != "" {
		return fmt.Errorf("export %s: collector answered %s: %q", c.what, status, msg)
	}
	return fmt.Errorf("export %s: collector answered %s", c.what, status)
}

func (c *httpClient) close() { c.client.CloseIdleConnections() }

func isJSON(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/json"
}

// retryAfter reads a Retry-After of seconds or an HTTP date; 0 when absent
// or unreadable.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

// maxMessage bounds a server's message quoted in an error.
const maxMessage = 256

// statusMessage is the message of a google.rpc.Status body (field 2), ""
// when there is none.
func statusMessage(b []byte, asJSON bool) string {
	var msg string
	if asJSON {
		var st struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &st) == nil {
			msg = st.Message
		}
	} else {
		for len(b) > 0 {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				return ""
			}
			b = b[n:]
			if num == 2 && typ == protowire.BytesType {
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return ""
				}
				msg = string(v)
				break
			}
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return ""
			}
			b = b[n:]
		}
	}
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "…"
	}
	return msg
}
