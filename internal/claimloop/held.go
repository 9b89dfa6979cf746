package claimloop

import (
	"slices"
	"time"
)

// Held keeps what this process claimed before anyone was free to handle
// it (updates claimed as intake stored them, messages claimed as a commit
// queued them), oldest first (or in an order of its owner's: Insert),
// until a loop takes it instead of claiming.
// Each item keeps the time it joined: one that waited longer than its
// claim can be trusted to hold is handed back as stale, never handled.
// Held does no locking: its owner holds its own lock around it.
type Held[T any] struct{ items []heldItem[T] }

type heldItem[T any] struct {
	v  T
	at time.Time // when it joined: its claim began a little before
}

// Add appends vs, which joined at now.
func (h *Held[T]) Add(now time.Time, vs ...T) {
	for _, v := range vs {
		h.items = append(h.items, heldItem[T]{v, now})
	}
}

// Insert puts each of vs, which joined at now, before the first item
// that order places after it: a queue kept in order (order as for
// slices.SortFunc) rather than by arrival.
func (h *Held[T]) Insert(now time.Time, order func(a, b T) int, vs ...T) {
	for _, v := range vs {
		i, _ := slices.BinarySearchFunc(h.items, v, func(it heldItem[T], v T) int {
			if c := order(it.v, v); c != 0 {
				return c
			}
			return -1 // after its equals: they keep their arrival order
		})
		h.items = slices.Insert(h.items, i, heldItem[T]{v, now})
	}
}

// Len is how many items wait.
func (h *Held[T]) Len() int { return len(h.items) }

// Take removes up to n fresh items, oldest first, with every stale one
// (joined more than maxAge before now) met on the way.
func (h *Held[T]) Take(n int, maxAge time.Duration, now time.Time) (fresh, stale []T) {
	cut := 0
	for _, it := range h.items {
		if len(fresh) == n {
			break
		}
		cut++
		if now.Sub(it.at) > maxAge {
			stale = append(stale, it.v)
			continue
		}
		fresh = append(fresh, it.v)
	}
	h.items = append(h.items[:0], h.items[cut:]...)
	return fresh, stale
}

// Remove removes and returns the items for which drop is true, in order.
func (h *Held[T]) Remove(drop func(T) bool) []T {
	var out []T
	h.items = slices.DeleteFunc(h.items, func(it heldItem[T]) bool {
		if drop(it.v) {
			out = append(out, it.v)
			return true
		}
		return false
	})
	return out
}

// All removes and returns every item, fresh or not.
func (h *Held[T]) All() []T {
	out := make([]T, len(h.items))
	for i, it := range h.items {
		out[i] = it.v
	}
	h.items = nil
	return out
}

// Age sets when item i joined, for tests of what is stale.
func (h *Held[T]) Age(i int, at time.Time) { h.items[i].at = at }
