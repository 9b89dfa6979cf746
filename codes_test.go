package tipline

import (
	"bytes"
	"strings"
	"testing"
)

func TestFollowUpCode(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := NewFollowUpCode()
		if len(c) != FollowUpCodeDigits || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("follow-up code %q: want %d digits", c, FollowUpCodeDigits)
		}
		if seen[c] {
			t.Fatalf("follow-up code %q drawn twice", c)
		}
		seen[c] = true
	}
}

func TestInviteCode(t *testing.T) {
	c := NewInviteCode()
	if got, ok := ParseInviteCode("  " + strings.ToLower(c) + " "); !ok || got != c {
		t.Fatalf("ParseInviteCode(lower %q) = %q, %v; want it back", c, got, ok)
	}
	for _, bad := range []string{"", "TLR-", "TLR-ABC", c + "X", "XYZ-" + c[4:]} {
		if _, ok := ParseInviteCode(bad); ok {
			t.Errorf("ParseInviteCode(%q) accepted", bad)
		}
	}
	if !bytes.Equal(InviteHash(c), InviteHash(" "+strings.ToLower(c))) || bytes.Equal(InviteHash(c), InviteHash(NewInviteCode())) {
		t.Error("InviteHash: the same code typed differently must hash alike, and two codes differently")
	}
}
