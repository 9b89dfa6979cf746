package telegramemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// maxBodyBytes bounds a request body: Telegram takes uploads of up to 50 MB
// from bots, plus some room for the other form fields.
const maxBodyBytes = 52 << 20

// apiError is a Bot API failure answer: the HTTP status equals Code and the
// body is {"ok":false,"error_code":Code,"description":Description}.
type apiError struct {
	Code        int
	Description string
	RetryAfter  int
}

// Error returns the description, so an apiError can travel as an error.
func (e *apiError) Error() string { return e.Description }

// badRequest builds a 400 answer; the "Bad Request: " prefix is Telegram's.
func badRequest(format string, args ...any) *apiError {
	return &apiError{Code: http.StatusBadRequest, Description: "Bad Request: " + fmt.Sprintf(format, args...)}
}

// forbidden builds a 403 answer.
func forbidden(format string, args ...any) *apiError {
	return &apiError{Code: http.StatusForbidden, Description: "Forbidden: " + fmt.Sprintf(format, args...)}
}

// conflict builds a 409 answer.
func conflict(format string, args ...any) *apiError {
	return &apiError{Code: http.StatusConflict, Description: "Conflict: " + fmt.Sprintf(format, args...)}
}

var (
	errNotFound     = &apiError{Code: http.StatusNotFound, Description: "Not Found"}
	errUnauthorized = &apiError{Code: http.StatusUnauthorized, Description: "Unauthorized"}
	errTooLarge     = &apiError{Code: http.StatusRequestEntityTooLarge, Description: "Request Entity Too Large"}
)

// upload is a file part of a multipart request.
type upload struct {
	filename string
	data     []byte
}

// request is one decoded Bot API call.
type request struct {
	method string
	params map[string]string
	files  map[string]upload
}

// has reports whether the call carries the parameter, as a value or a file.
func (r *request) has(name string) bool {
	if _, ok := r.params[name]; ok {
		return true
	}
	_, ok := r.files[name]
	return ok
}

// int64Param returns an integer parameter, def when absent. Validation has
// already checked the syntax.
func (r *request) int64Param(name string, def int64) int64 {
	v, ok := r.params[name]
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return def
	}
	return n
}

// intParam is int64Param for int-sized values.
func (r *request) intParam(name string, def int) int {
	return int(r.int64Param(name, int64(def)))
}

// boolParam returns a Boolean parameter, false when absent.
func (r *request) boolParam(name string) bool {
	return strings.EqualFold(r.params[name], "true")
}

// floatParam returns a Float parameter, 0 when absent.
func (r *request) floatParam(name string) float64 {
	f, err := strconv.ParseFloat(r.params[name], 64)
	if err != nil {
		return 0
	}
	return f
}

// record renders the parameters for a Call, uploads as a short description.
func (r *request) record() map[string]string {
	m := make(map[string]string, len(r.params)+len(r.files))
	for k, v := range r.params {
		m[k] = v
	}
	for k, f := range r.files {
		m[k] = fmt.Sprintf("<upload %q, %d bytes>", f.filename, len(f.data))
	}
	return m
}

// decodeRequest reads the parameters of a call from the query string and a
// body in any of the encodings Telegram accepts: multipart/form-data (what
// go-telegram/bot sends, chunked), x-www-form-urlencoded and JSON.
func decodeRequest(w http.ResponseWriter, hr *http.Request) (*request, *apiError) {
	r := &request{params: map[string]string{}, files: map[string]upload{}}
	for k, vs := range hr.URL.Query() {
		if len(vs) > 0 {
			r.params[k] = vs[len(vs)-1]
		}
	}
	if hr.Body == nil || hr.Method == http.MethodGet || hr.Method == http.MethodHead {
		return r, nil
	}
	hr.Body = http.MaxBytesReader(w, hr.Body, maxBodyBytes)
	ct := hr.Header.Get("Content-Type")
	mediaType, mtParams, err := mime.ParseMediaType(ct)
	if ct == "" {
		mediaType, err = "", nil
	}
	if err != nil {
		return nil, badRequest("can't parse Content-Type %q", ct)
	}
	var derr error
	switch mediaType {
	case "multipart/form-data":
		derr = r.decodeMultipart(hr.Body, mtParams["boundary"])
	case "application/x-www-form-urlencoded":
		derr = r.decodeForm(hr)
	case "application/json":
		derr = r.decodeJSON(hr.Body)
	case "":
		derr = drainEmpty(hr.Body)
	default:
		derr = fmt.Errorf("unsupported Content-Type %q", mediaType)
	}
	if derr != nil {
		var tooBig *http.MaxBytesError
		if errors.As(derr, &tooBig) {
			return nil, errTooLarge
		}
		return nil, badRequest("can't parse request body: %v", derr)
	}
	return r, nil
}

func (r *request) decodeMultipart(body io.Reader, boundary string) error {
	if boundary == "" {
		return errors.New("multipart body without boundary")
	}
	mr := multipart.NewReader(body, boundary)
	for parts := 0; ; parts++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) && parts == 0 {
			// go-telegram/bot sends an empty body, not even a closing
			// boundary, for calls without parameters (getMe).
			return nil
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read part: %w", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return fmt.Errorf("read part %q: %w", p.FormName(), err)
		}
		name := p.FormName()
		if name == "" {
			continue
		}
		if isFilePart(p) {
			r.files[name] = upload{filename: p.FileName(), data: data}
			continue
		}
		r.params[name] = string(data)
	}
}

// isFilePart reports whether a part carries a file: its Content-Disposition
// has a filename, even an empty one.
func isFilePart(p *multipart.Part) bool {
	_, dp, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return false
	}
	_, ok := dp["filename"]
	return ok
}

func (r *request) decodeForm(hr *http.Request) error {
	if err := hr.ParseForm(); err != nil {
		return fmt.Errorf("parse form: %w", err)
	}
	for k, vs := range hr.PostForm {
		if len(vs) > 0 {
			r.params[k] = vs[len(vs)-1]
		}
	}
	return nil
}

func (r *request) decodeJSON(body io.Reader) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return fmt.Errorf("decode JSON object: %w", err)
	}
	for k, raw := range obj {
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) == 0 || string(raw) == "null":
			continue
		case raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("decode %q: %w", k, err)
			}
			r.params[k] = s
		default:
			// Numbers and booleans keep their literal text; objects and
			// arrays stay JSON, as they would be in a form field.
			r.params[k] = string(raw)
		}
	}
	return nil
}

func drainEmpty(body io.Reader) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(data)) > 0 {
		return errors.New("body without Content-Type")
	}
	return nil
}
