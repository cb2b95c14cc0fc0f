package payload

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/textproto"
	"reflect"
	"testing"
)

func TestError_Body(t *testing.T) {
	t.Parallel()
	e := Invalid(
		FieldError{Code: "A", Message: "at the root"},
		FieldError{Path: []string{"embeds", "0", "title"}, Code: "B", Message: "first"},
		FieldError{Path: []string{"embeds", "0", "title"}, Code: "C", Message: "second"},
		FieldError{Path: []string{"embeds"}, Code: "D", Message: "beside the index"},
	)
	var got any
	if err := json.Unmarshal(e.Body(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"code": 50035.0, "message": "Invalid Form Body",
		"errors": map[string]any{
			"_errors": []any{map[string]any{"code": "A", "message": "at the root"}},
			"embeds": map[string]any{
				"_errors": []any{map[string]any{"code": "D", "message": "beside the index"}},
				"0": map[string]any{"title": map[string]any{"_errors": []any{
					map[string]any{"code": "B", "message": "first"},
					map[string]any{"code": "C", "message": "second"},
				}}},
			},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %s", e.Body())
	}

	plain := &Error{Code: 50109, Message: "The request body contains invalid JSON."}
	if got := string(plain.Body()); got != `{"code":50109,"message":"The request body contains invalid JSON."}` {
		t.Errorf("without fields: body = %s", got)
	}
}

func multipartBody(t *testing.T, parts ...[3]string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts { // name, filename, data
		h := textproto.MIMEHeader{}
		cd := `form-data; name="` + p[0] + `"`
		if p[1] != "" {
			cd += `; filename="` + p[1] + `"`
			h.Set("Content-Type", "image/png")
		}
		h.Set("Content-Disposition", cd)
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write([]byte(p[2])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

func TestDecode(t *testing.T) {
	t.Parallel()
	ct, mp := multipartBody(t,
		[3]string{"payload_json", "", `{"content":"hi"}`},
		[3]string{"files[0]", "a.png", "AAA"},
		[3]string{"content", "", "ignored"},
		[3]string{"files[1]", "b.png", "BB"},
	)
	ctNoJSON, mpNoJSON := multipartBody(t, [3]string{"files[0]", "a.png", "AAA"})
	tests := []struct {
		name, ct, body string
		wantJSON       string
		wantObject     bool
		wantFiles      []File
		wantCode       int    // 0: no error
		wantField      string // the root field error's code, for 50035
	}{
		{name: "empty", ct: "", body: ""},
		{name: "object", ct: "application/json", body: `{"a":1}`, wantJSON: `{"a":1}`, wantObject: true},
		{name: "array", ct: "application/json; charset=utf-8", body: `[1]`, wantJSON: `[1]`},
		{name: "invalid json", ct: "application/json", body: `{`, wantJSON: `{`, wantCode: 50109},
		{name: "no content type", ct: "", body: `{}`, wantCode: 50035, wantField: "CONTENT_TYPE_INVALID"},
		{name: "unknown content type", ct: "text/plain", body: `{}`, wantCode: 50035, wantField: "CONTENT_TYPE_INVALID"},
		{name: "form", ct: "application/x-www-form-urlencoded", body: "content=hi"},
		{name: "multipart", ct: ct, body: string(mp), wantJSON: `{"content":"hi"}`, wantObject: true,
			wantFiles: []File{{"a.png", "image/png", []byte("AAA")}, {"b.png", "image/png", []byte("BB")}}},
		{name: "multipart without payload_json", ct: ctNoJSON, body: string(mpNoJSON),
			wantFiles: []File{{"a.png", "image/png", []byte("AAA")}}},
		{name: "broken multipart", ct: "multipart/form-data; boundary=x", body: "--x\r\nno end", wantCode: 50035},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode(tt.ct, []byte(tt.body))
			code, field := 0, ""
			if err != nil {
				code = err.Code
				for _, f := range err.Fields {
					field = f.Code
				}
			}
			if code != tt.wantCode || field != tt.wantField {
				t.Fatalf("error = %+v, want code %d field %q", err, tt.wantCode, tt.wantField)
			}
			if string(b.JSON) != tt.wantJSON || (b.Object != nil) != tt.wantObject {
				t.Errorf("JSON %q object %v, want %q object %v", b.JSON, b.Object, tt.wantJSON, tt.wantObject)
			}
			if !reflect.DeepEqual(b.Files, tt.wantFiles) {
				t.Errorf("files = %+v, want %+v", b.Files, tt.wantFiles)
			}
		})
	}
}
