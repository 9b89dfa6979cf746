package storagetest

import (
	"testing"
	"time"

	"github.com/tipline/tipline/storage"
)

// testInboxAlbum: an update stored with a hold is not claimed before it
// ends, whoever claims; InboxNextInChat names the album of the chat's next
// unprocessed update, so an album's part knows whether more follows.
func testInboxAlbum(t *testing.T, s Store) {
	ctx := t.Context()
	part := func(id int64, chat, group string, hold time.Duration) storage.InboxItem {
		it := item(id, chat)
		it.Group, it.Hold = group, hold
		return it
	}
	mustAdd(t, s, part(10, "a", "g1", 0), part(11, "a", "g1", 0), part(12, "a", "", 0), part(20, "b", "g2", time.Hour))
	for _, tc := range []struct {
		chat  string
		after int64
		found bool
		group string
	}{{"a", 9, true, "g1"}, {"a", 10, true, "g1"}, {"a", 11, true, ""}, {"a", 12, false, ""}, {"b", 0, true, "g2"}, {"c", 0, false, ""}} {
		found, group, err := s.InboxNextInChat(ctx, tc.chat, tc.after)
		if err != nil || found != tc.found || group != tc.group {
			t.Errorf("InboxNextInChat(%s, %d) = %v, %q, %v; want %v, %q", tc.chat, tc.after, found, group, err, tc.found, tc.group)
		}
	}
	mustClaim(t, s, "w1", longLease, 10)
	mustClaim(t, s, "w2", longLease, 0) // b's part is held for an hour
	mustDone(t, s, "w1", 10)
	if found, group, err := s.InboxNextInChat(ctx, "a", 0); err != nil || !found || group != "g1" {
		t.Errorf("InboxNextInChat after the first part = %v, %q, %v; want the second part of g1", found, group, err)
	}
}
