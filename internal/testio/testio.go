// Package testio is for tests that run a process: a buffer its output is
// written to while the test reads it.
package testio

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe for a process's output and a reader at
// the same time.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
