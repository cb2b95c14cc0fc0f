package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// maxResponseBody bounds what is read of one answer; Discord's message
// objects are a few KiB.
const maxResponseBody = 8 << 20

// restClient is the one Discord REST client of both senders: every request
// to a bot channel or a webhook goes through do, which encodes the body
// (JSON, or multipart with payload_json and files[n] parts), waits for the
// bucket of a shared discordgo rate limiter when there is one, charges and
// updates the sender's own rate-limit state under the request's bucket key
// (discordapi.BucketKey), sends the request once, and classifies the answer
// into a *SendError whose text holds no secret. It never retries and never
// sleeps on a 429: Delivery does. It is safe for concurrent use.
type restClient struct {
	hc   *http.Client
	auth string // the Authorization header ("Bot …"), "" for a webhook (its token is in the URL)
	ua   string // the User-Agent header
	lim  *rateLimits
	red  redactor
	log  *slog.Logger
	// shared is a discordgo session's rate limiter (the bot's own session,
	// see BotOptions.Session) whose bucket a request locks and releases,
	// as discordgo's own REST calls do; nil for none.
	shared *discordgo.RateLimiter
}

// restCall is one request of restClient.do.
type restCall struct {
	op     string // "post message", "edit message": the first words of errors
	method string
	url    string // the full request URL; its path gives the bucket key
	body   any    // the JSON body, payload_json when there are files
	files  []reportdata.File
	edit   bool   // SendError.edit: an unknown message means "post anew"
	bucket string // the shared limiter's bucket id, "" for none
}

// do sends c and returns the answer's body on 2xx. A 2xx answer whose body
// cannot be read still counts as delivered: retrying would post twice.
func (rc *restClient) do(ctx context.Context, c restCall) ([]byte, error) {
	ct, data, err := encodeBody(c.body, c.files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.op, err)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, bytes.NewReader(data))
	if err != nil {
		return nil, transportError(c.op, c.url, err, rc.red)
	}
	if rc.auth != "" {
		req.Header.Set("Authorization", rc.auth)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", rc.ua)
	route := discordapi.BucketKey(c.method, req.URL.Path)
	var shared *discordgo.Bucket
	if rc.shared != nil && c.bucket != "" {
		shared = rc.shared.LockBucket(c.bucket)
	}
	rc.lim.take(route)
	resp, err := rc.hc.Do(req)
	if err != nil {
		if shared != nil {
			_ = shared.Release(nil) // no answer: nothing to learn; Release(nil) only unlocks
		}
		return nil, transportError(c.op, c.url, err, rc.red)
	}
	if shared != nil {
		if err := shared.Release(resp.Header); err != nil {
			rc.log.Debug("shared rate limiter", "op", c.op, "err", rc.red.clean(err.Error()))
		}
	}
	ans, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	// Best effort: the body was read or failed; the connection is done with.
	_ = resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		rc.lim.update(route, resp.StatusCode, resp.Header, 0, false)
		if err != nil {
			rc.log.Debug("discord answer unreadable", "op", c.op, "status", resp.StatusCode, "err", rc.red.clean(err.Error()))
		}
		return ans, nil
	}
	if err != nil {
		return nil, transportError(c.op, c.url, err, rc.red)
	}
	se := classify(c.op, resp.StatusCode, resp.Header, ans, rc.red)
	se.edit = c.edit
	rc.lim.update(route, resp.StatusCode, resp.Header, se.RetryAfter, se.Global)
	return nil, se
}

// messageID returns the id of the message object in a 2xx answer, "" (and
// a debug line) when the answer is not one.
func (rc *restClient) messageID(op string, ans []byte) string {
	var msg struct {
		ID string `json:"id"`
	}
	if len(ans) > 0 && json.Unmarshal(ans, &msg) != nil {
		rc.log.Debug("discord answer unreadable", "op", op)
	}
	return msg.ID
}

// closeIdleConnections closes the idle connections of the client.
func (rc *restClient) closeIdleConnections() { rc.hc.CloseIdleConnections() }

// quoteEscaper escapes a file name for a quoted Content-Disposition value.
var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "")

// encodeBody returns JSON, or multipart with payload_json and files[n]
// parts when there are files.
// https://discord.com/developers/docs/reference#uploading-files
func encodeBody(body any, files []reportdata.File) (contentType string, data []byte, err error) {
	js, err := json.Marshal(body)
	if err != nil {
		return "", nil, fmt.Errorf("encode payload: %w", err)
	}
	if len(files) == 0 {
		return "application/json", js, nil
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="payload_json"`)
	h.Set("Content-Type", "application/json")
	pw, err := mw.CreatePart(h)
	if err == nil {
		_, err = pw.Write(js)
	}
	for i, f := range files {
		if err != nil {
			break
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files[%d]"; filename="%s"`, i, quoteEscaper.Replace(f.Name)))
		ctype := f.ContentType
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		h.Set("Content-Type", ctype)
		if pw, err = mw.CreatePart(h); err == nil {
			_, err = pw.Write(f.Data)
		}
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", nil, fmt.Errorf("encode payload: %w", err)
	}
	return mw.FormDataContentType(), buf.Bytes(), nil
}
