package payload

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
)

// File is one uploaded file part of a multipart body.
type File struct {
	Name, ContentType string
	Data              []byte
}

// Body is a decoded request body.
type Body struct {
	// JSON is the JSON document of the request: the body for JSON requests,
	// the payload_json part for multipart ones; nil when there is none.
	JSON []byte
	// Files are the file parts of a multipart body, in order.
	Files []File
	// Object is JSON decoded when it is an object, else nil.
	Object map[string]any
}

var badContentType = FieldError{nil, "CONTENT_TYPE_INVALID", `Expected "Content-Type" header to be one of {'application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'}.`}

// Decode reads a request body the way Discord does: JSON, multipart with a
// payload_json part and file parts (other form fields are ignored), or
// form-urlencoded (nothing read). An empty body decodes to the zero Body.
// It returns the 400 answer for a body that cannot be a Discord request at
// all; the Body then holds what was decoded before the failure.
func Decode(contentType string, body []byte) (Body, *Error) {
	var b Body
	if len(body) == 0 {
		return b, nil
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		return b, Invalid(badContentType)
	}
	switch mt {
	case "application/json":
		b.JSON = body
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return b, &Error{Code: 50035, Message: "Invalid Form Body"}
			}
			data, err := io.ReadAll(p)
			if err != nil {
				return b, &Error{Code: 50035, Message: "Invalid Form Body"}
			}
			name := p.FormName()
			switch {
			case name == "payload_json":
				b.JSON = data
			case p.FileName() != "":
				b.Files = append(b.Files, File{Name: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: data})
			}
		}
	case "application/x-www-form-urlencoded":
		// Accepted by Discord; the fake reads no fields from it.
	default:
		return b, Invalid(badContentType)
	}
	if len(b.JSON) > 0 {
		var v any
		if err := json.Unmarshal(b.JSON, &v); err != nil {
			return b, &Error{Code: 50109, Message: "The request body contains invalid JSON."}
		}
		b.Object, _ = v.(map[string]any) // arrays and scalars: no object
	}
	return b, nil
}
