package claimloop

import (
	"slices"
	"testing"
	"time"
)

// TestHeldTakesFreshGivesBackStale: items come out oldest first, at most n
// fresh ones; a stale one met on the way comes back as stale and is gone;
// what was not reached stays for the next take.
func TestHeldTakesFreshGivesBackStale(t *testing.T) {
	now := time.Now()
	var h Held[int]
	h.Add(now, 1, 2, 3, 4)
	h.Age(1, now.Add(-time.Hour))
	fresh, stale := h.Take(2, time.Minute, now)
	if !slices.Equal(fresh, []int{1, 3}) || !slices.Equal(stale, []int{2}) {
		t.Fatalf("took %v, stale %v; want [1 3] and [2]", fresh, stale)
	}
	if h.Len() != 1 {
		t.Fatalf("%d left, want 1", h.Len())
	}
	if all := h.All(); !slices.Equal(all, []int{4}) || h.Len() != 0 {
		t.Fatalf("all = %v, %d left; want [4] and none", all, h.Len())
	}
}
