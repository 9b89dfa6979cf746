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

// TestHeldInsertKeepsOrder: items inserted come out in the order given,
// whenever they joined; equals keep the order they joined in, and each
// keeps its own time (an old one is still stale).
func TestHeldInsertKeepsOrder(t *testing.T) {
	now := time.Now()
	type item struct{ rank, n int }
	byRank := func(a, b item) int { return a.rank - b.rank }
	var h Held[item]
	h.Insert(now, byRank, item{3, 1}, item{1, 2})
	h.Age(0, now.Add(-time.Hour)) // item{1, 2}
	h.Insert(now, byRank, item{2, 3}, item{3, 4}, item{1, 5})
	fresh, stale := h.Take(10, time.Minute, now)
	if want := []item{{1, 5}, {2, 3}, {3, 1}, {3, 4}}; !slices.Equal(fresh, want) || !slices.Equal(stale, []item{{1, 2}}) {
		t.Fatalf("took %v, stale %v; want %v and [{1 2}]", fresh, stale, want)
	}
}

// TestHeldRemove: the items chosen come out in order and are gone; the
// others stay, in order, with their times.
func TestHeldRemove(t *testing.T) {
	now := time.Now()
	var h Held[int]
	h.Add(now, 1, 2, 3, 4, 5)
	h.Age(3, now.Add(-time.Hour)) // 4
	if got := h.Remove(func(n int) bool { return n%2 == 1 }); !slices.Equal(got, []int{1, 3, 5}) {
		t.Fatalf("removed %v, want [1 3 5]", got)
	}
	fresh, stale := h.Take(10, time.Minute, now)
	if !slices.Equal(fresh, []int{2}) || !slices.Equal(stale, []int{4}) {
		t.Fatalf("left %v and stale %v, want [2] and [4]", fresh, stale)
	}
}
