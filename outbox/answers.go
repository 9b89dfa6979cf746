package outbox

import (
	"errors"
	"io"
	"net/http"
)

// answerLostError is an error reading Telegram's answer to a request that
// was sent: Telegram may have acted on it, and the answer did not come
// back. The client library wraps it (%w), so classify tells it by type
// instead of by the library's wording.
type answerLostError struct{ err error }

func (e answerLostError) Error() string { return "reading Telegram's answer: " + e.err.Error() }
func (e answerLostError) Unwrap() error { return e.err }

// markLostAnswers wraps a transport so that a failure while reading an
// answer's body is an answerLostError.
type markLostAnswers struct{ base http.RoundTripper }

func (m markLostAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := m.base.RoundTrip(req)
	if err == nil {
		resp.Body = answerBody{resp.Body}
	}
	return resp, err
}

type answerBody struct{ io.ReadCloser }

func (b answerBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = answerLostError{err}
	}
	return n, err
}

// WithLostAnswers is c sending through markLostAnswers; c itself is left
// as it was.
func WithLostAnswers(c *http.Client) *http.Client {
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	marked := *c
	marked.Transport = markLostAnswers{base}
	return &marked
}
