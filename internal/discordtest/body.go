package discordtest

import (
	"encoding/json"
	"net/http"

	"github.com/nexusmon/nexusmon/internal/discordtest/internal/payload"
)

// parseBody fills rec.PayloadJSON, rec.Files and c.payload (see
// payload.Decode). It returns a 400 response when the body cannot be a
// Discord request at all.
func (c *call) parseBody() *response {
	rec := c.rec
	b, perr := payload.Decode(c.r.Header.Get("Content-Type"), rec.Body)
	rec.PayloadJSON = b.JSON
	for _, f := range b.Files {
		rec.Files = append(rec.Files, File(f))
	}
	if perr != nil {
		r := badRequest(perr)
		return &r
	}
	if len(b.JSON) > 0 {
		c.raw = json.RawMessage(b.JSON)
		c.payload = b.Object
	}
	return nil
}

// checkPayload validates a message payload when validation is on.
func (s *Server) checkPayload(c *call, kept []string) *response {
	if c.raw != nil && c.payload == nil {
		r := formError(fieldError(nil, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"))
		return &r
	}
	if !s.opts.Validate {
		return nil
	}
	if errs := payload.Message(c.payload, uploads(c.rec.Files), kept); len(errs) > 0 {
		r := formError(errs...)
		return &r
	}
	return nil
}

// uploads returns files as the payload checks take them.
func uploads(files []File) []payload.File {
	if len(files) == 0 {
		return nil
	}
	out := make([]payload.File, len(files))
	for i, f := range files {
		out[i] = payload.File(f)
	}
	return out
}

// badRequest is the 400 answer of e.
func badRequest(e *payload.Error) response {
	return response{status: http.StatusBadRequest, body: e.Body()}
}

// formError is Discord's 400 50035 "Invalid Form Body" with errs.
func formError(errs ...payload.FieldError) response {
	return badRequest(payload.Invalid(errs...))
}

// fieldError is one entry of a 50035 error tree; a nil path is the body
// itself.
func fieldError(path []string, code, msg string) payload.FieldError {
	return payload.FieldError{Path: path, Code: code, Message: msg}
}
