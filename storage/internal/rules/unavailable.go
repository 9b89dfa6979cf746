package rules

import (
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/tipline/tipline/storage"
)

// unavailableError marks an error caused by a server that cannot be reached.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string        { return "storage unavailable: " + e.err.Error() }
func (e *unavailableError) Unwrap() error        { return e.err }
func (e *unavailableError) Is(target error) bool { return target == storage.ErrUnavailable }

// Unavailable marks err, from a server that cannot be reached, so that it
// satisfies errors.Is(err, storage.ErrUnavailable).
func Unavailable(err error) error {
	return &unavailableError{err: err}
}

// NetUnavailable says whether err comes from a network connection that
// failed or was refused, whichever server it led to.
func NetUnavailable(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
