package storagetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// outboxTests hold every store to the outbox's promises: entries are added
// once per key, go out one at a time per chat in order, lower lanes first,
// claims are checked and taken over from a silent process, and an update
// is done exactly when its entries are queued.
var outboxTests = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"OutboxAddOncePerKey", testOutboxAddOnce},
	{"OutboxChatOrderAndLanes", testOutboxOrder},
	{"OutboxClaimByLanes", testOutboxLanes},
	{"OutboxSentAndEdits", testOutboxSent},
	{"OutboxSentMany", testOutboxSentMany},
	{"OutboxRetryWaits", testOutboxRetry},
	{"OutboxDeadLetsChatGoOn", testOutboxDead},
	{"OutboxDropChat", testOutboxDropChat},
	{"OutboxHolderChecked", testOutboxHolder},
	{"OutboxSilentProcessTakenOver", testOutboxTakeover},
	{"HeartbeatGivesTheClock", testHeartbeatClock},
	{"InboxCompleteQueuesOnce", testInboxComplete},
	{"InboxCompleteManyPerUpdate", testInboxCompleteMany},
	{"InboxCompleteHandsWhatIsReady", testInboxCompleteHand},
	{"InboxCompleteTellsWhatWaitsBehind", testInboxCompleteBehind},
	{"InboxReleaseBacksOffOneUpdate", testInboxBackoff},
	{"InboxSilentProcessTakenOver", testInboxTakeover},
	{"InboxDeadLetters", testInboxDead},
	{"DeadLettersDoNotStay", testDeadLettersGo},
	{"OutboxDropChatWhileHeld", testOutboxDropChatHeld},
	{"OutboxEditWaitsForItsMessage", testOutboxEditWaits},
}

// testOutboxDropChat: every entry not yet sent to a chat, claimed or not,
// is set aside at once; what was sent, and other chats, stay.
func testOutboxDropChat(t *testing.T, s Store) {
	ctx := t.Context()
	mustOutboxAdd(t, s, entry("a1", "rv", tipline.LaneUrgent), entry("a2", "rv", tipline.LaneBulk), entry("a3", "rv", tipline.LaneBulk), entry("b1", "other", tipline.LaneReply))
	got, err := OutboxClaim(ctx, s, "w", longLease, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if e.Key == "a1" {
			if err := s.OutboxSent(ctx, e.ID, "w", 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := s.OutboxDropChat(ctx, "rv", "reviewer disabled"); err != nil || n != 2 {
		t.Fatalf("OutboxDropChat = %d, %v; want the 2 not sent", n, err)
	}
	if n, err := s.OutboxDropChat(ctx, "rv", "reviewer disabled"); err != nil || n != 0 {
		t.Fatalf("OutboxDropChat again = %d, %v; want 0", n, err)
	}
	if pending, err := s.OutboxPending(ctx); err != nil || pending[tipline.LaneBulk] != 0 || pending[tipline.LaneReply] != 1 {
		t.Fatalf("pending %v, %v; want only the other chat's entry", pending, err)
	}
}

func entry(key, chat string, lane tipline.Lane) storage.OutboxEntry {
	return storage.OutboxEntry{Key: key, ChatKey: chat, ChatID: 4242, Lane: lane, Method: "sendMessage", Payload: []byte(`{"text":"` + key + `"}`)}
}

func mustOutboxAdd(t *testing.T, s Store, entries ...storage.OutboxEntry) {
	t.Helper()
	if err := s.OutboxAdd(t.Context(), entries); err != nil {
		t.Fatalf("OutboxAdd: %v", err)
	}
}

func mustOutboxClaim(t *testing.T, s Store, owner string, limit int) []storage.OutboxEntry {
	t.Helper()
	got, err := OutboxClaim(t.Context(), s, owner, time.Minute, limit)
	if err != nil {
		t.Fatalf("OutboxClaim: %v", err)
	}
	return got
}

func keysOf(es []storage.OutboxEntry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Key)
	}
	return out
}

func mustKeys(t *testing.T, what string, got []storage.OutboxEntry, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if k := keysOf(got); !slices.Equal(k, want) {
		t.Fatalf("%s claimed %v, want %v", what, k, want)
	}
}

func mustSent(t *testing.T, s Store, e storage.OutboxEntry, owner string, msgID int) {
	t.Helper()
	if err := s.OutboxSent(t.Context(), e.ID, owner, msgID); err != nil {
		t.Fatalf("OutboxSent %s: %v", e.Key, err)
	}
}

func testOutboxAddOnce(t *testing.T, s Store) {
	mustOutboxAdd(t, s, entry("u:1:0", "a", tipline.LaneReply), entry("u:1:1", "a", tipline.LaneReply))
	mustOutboxAdd(t, s, entry("u:1:0", "a", tipline.LaneReply)) // a re-run adds nothing
	got := mustOutboxClaim(t, s, "w", 10)
	mustKeys(t, "first claim", got, "u:1:0")
	if got[0].ChatID != 4242 || string(got[0].Payload) != `{"text":"u:1:0"}` {
		t.Fatalf("claimed %+v, want chat 4242 and the payload back", got[0])
	}
	mustSent(t, s, got[0], "w", 7)
	mustSent(t, s, mustOutboxClaim(t, s, "w", 10)[0], "w", 8)
	mustKeys(t, "after both were sent", mustOutboxClaim(t, s, "w", 10))
	mustOutboxAdd(t, s, entry("u:1:1", "a", tipline.LaneReply)) // sent already: not again
	mustKeys(t, "after adding a sent key again", mustOutboxClaim(t, s, "w", 10))
	if err := s.OutboxAdd(t.Context(), []storage.OutboxEntry{{Key: "x", ChatKey: "a", Lane: 9, Method: "m"}}); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("OutboxAdd of lane 9: %v, want ErrInvalid", err)
	}
}

func testOutboxOrder(t *testing.T, s Store) {
	mustOutboxAdd(t, s,
		entry("a1", "a", tipline.LaneBulk), entry("a2", "a", tipline.LaneBulk), entry("a3", "a", tipline.LaneReply),
		entry("a4", "a", tipline.LaneUrgent), entry("a5", "a", tipline.LaneReply), entry("a6", "a", tipline.LaneUrgent),
		entry("b1", "b", tipline.LaneBulk), entry("c1", "c", tipline.LaneUrgent),
		entry("cb", "cb:1", tipline.LaneCallback))
	// Each chat's first entry of each lane, unless an earlier entry of a
	// lane as low waits: an urgent message is never held behind files or
	// replies queued to the same chat (the security review's L1), and
	// within a lane a chat's messages keep their order. Lanes first, then
	// age.
	got := mustOutboxClaim(t, s, "w", 10)
	mustKeys(t, "first claim", got, "cb", "a4", "c1", "a3", "a1", "b1")
	mustKeys(t, "while all heads are held", mustOutboxClaim(t, s, "w2", 10))
	for _, e := range got {
		mustSent(t, s, e, "w", 0)
	}
	mustKeys(t, "after the heads went", mustOutboxClaim(t, s, "w", 10), "a6", "a5", "a2")
	mustOutboxAdd(t, s, entry("d1", "d", tipline.LaneReply), entry("e1", "e", tipline.LaneReply))
	mustKeys(t, "with a limit of 1", mustOutboxClaim(t, s, "w", 1), "d1")
}

func testOutboxLanes(t *testing.T, s Store) {
	mustOutboxAdd(t, s, entry("a1", "a", tipline.LaneReply), entry("cb", "cb:1", tipline.LaneCallback), entry("b1", "b", tipline.LaneUrgent))
	got, err := s.OutboxClaimLanes(t.Context(), "answers", time.Minute, 10, tipline.LaneCallback, tipline.LaneCallback)
	if err != nil {
		t.Fatal(err)
	}
	mustKeys(t, "lane 1 only", got, "cb")
	got, err = s.OutboxClaimLanes(t.Context(), "messages", time.Minute, 10, tipline.LaneUrgent, tipline.LaneBulk)
	if err != nil {
		t.Fatal(err)
	}
	mustKeys(t, "lanes 2 to 4", got, "b1", "a1")
}

// testOutboxEditWaits: an edit in a lower lane than the message it edits
// waits until that message is sent, so it has a message id to edit.
func testOutboxEditWaits(t *testing.T, s Store) {
	note := entry("note", "rv", tipline.LaneReply)
	edit := entry("note-edit", "rv", tipline.LaneUrgent)
	edit.EditOf = "note"
	mustOutboxAdd(t, s, note, edit)
	got := mustOutboxClaim(t, s, "w", 10)
	mustKeys(t, "first claim", got, "note")
	mustSent(t, s, got[0], "w", 77)
	got = mustOutboxClaim(t, s, "w", 10)
	mustKeys(t, "after the message was sent", got, "note-edit")
	if got[0].EditOfMessageID != 77 {
		t.Fatalf("edit's message id = %d, want 77", got[0].EditOfMessageID)
	}
}

func testOutboxSent(t *testing.T, s Store) {
	ask := entry("ask", "a", tipline.LaneUrgent)
	edit := entry("edit", "a", tipline.LaneReply)
	edit.EditOf = "ask"
	lost := entry("edit-lost", "b", tipline.LaneReply)
	lost.EditOf = "never-sent"
	mustOutboxAdd(t, s, ask, edit, lost)
	got := mustOutboxClaim(t, s, "w", 10)
	mustKeys(t, "first claim", got, "ask", "edit-lost")
	if got[1].EditOfMessageID != 0 {
		t.Fatalf("edit of an entry that does not exist has message id %d, want 0", got[1].EditOfMessageID)
	}
	mustSent(t, s, got[0], "w", 501)
	got2 := mustOutboxClaim(t, s, "w", 10)
	mustKeys(t, "after the question was sent", got2, "edit")
	if got2[0].EditOfMessageID != 501 {
		t.Fatalf("edit's message id = %d, want 501 (the question's)", got2[0].EditOfMessageID)
	}
	if err := s.OutboxSent(t.Context(), got[0].ID, "w", 501); !errors.Is(err, storage.ErrNotHolder) {
		t.Fatalf("OutboxSent twice: %v, want ErrNotHolder", err)
	}
	ids, err := s.OutboxSentMessages(t.Context(), "a", time.Hour)
	if err != nil || !slices.Equal(ids, []int{501}) {
		t.Fatalf("OutboxSentMessages = %v, %v; want [501]", ids, err)
	}
	pending, err := s.OutboxPending(t.Context())
	if err != nil || pending[tipline.LaneReply] != 2 || pending[tipline.LaneUrgent] != 0 {
		t.Fatalf("OutboxPending = %v, %v; want 2 replies pending", pending, err)
	}
}

// testOutboxSentMany: several entries recorded as sent at once, each as
// OutboxSent records one; an entry its caller does not hold (another's
// claim, already sent) is named and left alone; each chat's next entry
// comes after; an edit finds the message id recorded.
func testOutboxSentMany(t *testing.T, s Store) {
	edit := entry("a2", "a", tipline.LaneReply)
	edit.EditOf = "a1"
	mustOutboxAdd(t, s, entry("a1", "a", tipline.LaneReply), edit, entry("b1", "b", tipline.LaneReply),
		entry("c1", "c", tipline.LaneReply), entry("d1", "d", tipline.LaneReply), entry("d2", "d", tipline.LaneReply))
	mine := mustOutboxClaim(t, s, "w", 3)
	mustKeys(t, "w's claim", mine, "a1", "b1", "c1")
	theirs := mustOutboxClaim(t, s, "other", 10)
	mustKeys(t, "other's claim", theirs, "d1")
	sent := []storage.Sent{{ID: mine[0].ID, MessageID: 11}, {ID: mine[1].ID}, {ID: theirs[0].ID, MessageID: 44}}
	notHeld, err := s.OutboxSentMany(t.Context(), "w", sent)
	if err != nil {
		t.Fatalf("OutboxSentMany: %v", err)
	}
	if !slices.Equal(notHeld, []int64{theirs[0].ID}) {
		t.Fatalf("OutboxSentMany not held = %v, want [%d] (other's)", notHeld, theirs[0].ID)
	}
	// Recorded once: the same again holds none of them.
	if notHeld, err := s.OutboxSentMany(t.Context(), "w", sent[:2]); err != nil || len(notHeld) != 2 {
		t.Fatalf("OutboxSentMany again = %v, %v; want both not held", notHeld, err)
	}
	// c1 is still w's, d1 still other's; a's edit is next, with a1's id.
	next := mustOutboxClaim(t, s, "w", 10)
	mustKeys(t, "after the batch", next, "a2")
	if next[0].EditOfMessageID != 11 {
		t.Fatalf("edit's message id = %d, want 11", next[0].EditOfMessageID)
	}
	ids, err := s.OutboxSentMessages(t.Context(), "a", time.Hour)
	if err != nil || !slices.Equal(ids, []int{11}) {
		t.Fatalf("OutboxSentMessages(a) = %v, %v; want [11]", ids, err)
	}
	if err := s.OutboxSent(t.Context(), theirs[0].ID, "other", 44); err != nil {
		t.Fatalf("OutboxSent by its holder after the batch refused it: %v", err)
	}
	mustSent(t, s, mine[2], "w", 33)
	mustKeys(t, "d's next", mustOutboxClaim(t, s, "w", 10), "d2")
	if notHeld, err := s.OutboxSentMany(t.Context(), "w", nil); err != nil || len(notHeld) != 0 {
		t.Fatalf("OutboxSentMany of nothing = %v, %v", notHeld, err)
	}
}

func testOutboxRetry(t *testing.T, s Store) {
	mustOutboxAdd(t, s, entry("a1", "a", tipline.LaneReply), entry("a2", "a", tipline.LaneReply), entry("b1", "b", tipline.LaneReply))
	got := mustOutboxClaim(t, s, "w", 10)
	mustKeys(t, "first claim", got, "a1", "b1")
	if err := s.OutboxRetry(t.Context(), got[0].ID, "w", time.Hour, true); err != nil {
		t.Fatalf("OutboxRetry: %v", err)
	}
	if err := s.OutboxRetry(t.Context(), got[1].ID, "w", 0, false); err != nil {
		t.Fatalf("OutboxRetry: %v", err)
	}
	// a1 waits an hour and a2 with it (order); b1 is ready again at once.
	again := mustOutboxClaim(t, s, "w", 10)
	mustKeys(t, "after the retries", again, "b1")
	if again[0].Attempts != 0 {
		t.Fatalf("b1 attempts = %d after a retry not counted, want 0", again[0].Attempts)
	}
}

func testOutboxDead(t *testing.T, s Store) {
	mustOutboxAdd(t, s, entry("a1", "a", tipline.LaneReply), entry("a2", "a", tipline.LaneReply))
	got := mustOutboxClaim(t, s, "w", 10)
	if err := s.OutboxDead(t.Context(), got[0].ID, "w", "refused"); err != nil {
		t.Fatalf("OutboxDead: %v", err)
	}
	mustKeys(t, "after the head was set aside", mustOutboxClaim(t, s, "w", 10), "a2")
}

func testOutboxHolder(t *testing.T, s Store) {
	mustOutboxAdd(t, s, entry("a1", "a", tipline.LaneReply))
	got := mustOutboxClaim(t, s, "w", 10)
	for name, err := range map[string]error{
		"OutboxSent":  s.OutboxSent(t.Context(), got[0].ID, "other", 1),
		"OutboxRetry": s.OutboxRetry(t.Context(), got[0].ID, "other", 0, true),
		"OutboxDead":  s.OutboxDead(t.Context(), got[0].ID, "other", "x"),
	} {
		if !errors.Is(err, storage.ErrNotHolder) {
			t.Errorf("%s by another process: %v, want ErrNotHolder", name, err)
		}
	}
	mustSent(t, s, got[0], "w", 1)
}

// takeover shortens the take-over time and returns how long to wait for a
// silent process to count as gone.
func takeover(s Store) time.Duration {
	s.SetTakeover(300 * time.Millisecond)
	return 400 * time.Millisecond
}

// testHeartbeatClock: a heartbeat gives the store's clock, which leases
// and due times are compared with; the store under test runs on this
// machine's clock (the test database is here).
func testHeartbeatClock(t *testing.T, s Store) {
	var last time.Time
	for i := range 3 {
		before := time.Now()
		at, err := s.Heartbeat(t.Context(), "clock")
		if err != nil {
			t.Fatalf("Heartbeat: %v", err)
		}
		if d := at.Sub(before).Abs(); d > time.Minute {
			t.Fatalf("heartbeat %d: the store's clock %v is %v from this machine's", i, at, d)
		}
		if at.Before(last) {
			t.Fatalf("heartbeat %d: the store's clock went back from %v to %v", i, last, at)
		}
		last = at
		time.Sleep(5 * time.Millisecond)
	}
}

func testOutboxTakeover(t *testing.T, s Store) {
	wait := takeover(s)
	mustOutboxAdd(t, s, entry("a1", "a", tipline.LaneReply))
	got := mustOutboxClaim(t, s, "dead", 10)
	mustKeys(t, "while the holder lives", mustOutboxClaim(t, s, "live", 10))
	time.Sleep(wait)
	if _, err := s.Heartbeat(t.Context(), "live"); err != nil {
		t.Fatalf("Heartbeat: %v", err)
	}
	mustKeys(t, "once the holder fell silent", mustOutboxClaim(t, s, "live", 10), "a1")
	if err := s.OutboxSent(t.Context(), got[0].ID, "dead", 1); !errors.Is(err, storage.ErrNotHolder) {
		t.Fatalf("OutboxSent by the silent process: %v, want ErrNotHolder", err)
	}
	// A process that leaves frees what it holds at once.
	mustOutboxAdd(t, s, entry("b1", "b", tipline.LaneReply))
	mustKeys(t, "b1", mustOutboxClaim(t, s, "leaver", 10), "b1")
	if err := s.Leave(t.Context(), "leaver"); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	mustKeys(t, "after its holder left", mustOutboxClaim(t, s, "live", 10), "b1")
}

func testInboxComplete(t *testing.T, s Store) {
	mustAdd(t, s, item(1, "a"), item(2, "a"))
	mustClaim(t, s, "w", longLease, 1)
	es := []storage.OutboxEntry{entry("u:1:0", "a", tipline.LaneReply), entry("u:1:1", "a", tipline.LaneReply)}
	if err := s.InboxComplete(t.Context(), 1, "other", es); !errors.Is(err, storage.ErrNotHolder) {
		t.Fatalf("InboxComplete by another process: %v, want ErrNotHolder", err)
	}
	mustKeys(t, "after a refused completion", mustOutboxClaim(t, s, "d", 10))
	if err := s.InboxComplete(t.Context(), 1, "w", es); err != nil {
		t.Fatalf("InboxComplete: %v", err)
	}
	if err := s.InboxComplete(t.Context(), 1, "w", es); !errors.Is(err, storage.ErrNotHolder) {
		t.Fatalf("InboxComplete twice: %v, want ErrNotHolder", err)
	}
	mustPending(t, s, 1)
	mustClaim(t, s, "w", longLease, 2)
	mustKeys(t, "after completion", mustOutboxClaim(t, s, "d", 10), "u:1:0")
}

// testInboxCompleteMany: updates completed together are each done, with
// their entries queued, exactly when the caller held them; one that fails
// (not held any more, a bad entry, the same update twice) fails alone.
func testInboxCompleteMany(t *testing.T, s Store) {
	mustAdd(t, s, item(1, "a"), item(2, "b"), item(3, "c"), item(4, "a"))
	mustClaim(t, s, "w", longLease, 1)
	mustClaim(t, s, "w", longLease, 2)
	mustClaim(t, s, "other", longLease, 3)
	bad := entry("u:2:0", "b", tipline.LaneReply)
	bad.Method = "" // refused by every store
	done := []storage.Completion{
		{UpdateID: 1, Entries: []storage.OutboxEntry{entry("u:1:0", "a", tipline.LaneReply), entry("u:1:1", "a", tipline.LaneReply)}},
		{UpdateID: 2, Entries: []storage.OutboxEntry{bad}},
		{UpdateID: 3, Entries: []storage.OutboxEntry{entry("u:3:0", "c", tipline.LaneReply)}},
		{UpdateID: 1, Entries: []storage.OutboxEntry{entry("u:1:2", "a", tipline.LaneReply)}},
	}
	errs, err := s.InboxCompleteMany(t.Context(), "w", done)
	if err != nil || len(errs) != len(done) {
		t.Fatalf("InboxCompleteMany = %v, %v; want one result per update", errs, err)
	}
	if errs[0] != nil {
		t.Fatalf("update 1, held: %v, want completed", errs[0])
	}
	if errs[1] == nil || errors.Is(errs[1], storage.ErrNotHolder) {
		t.Fatalf("update 2, a bad entry: %v, want its own error", errs[1])
	}
	if !errors.Is(errs[2], storage.ErrNotHolder) {
		t.Fatalf("update 3, another's: %v, want ErrNotHolder", errs[2])
	}
	if !errors.Is(errs[3], storage.ErrNotHolder) {
		t.Fatalf("update 1 again: %v, want ErrNotHolder", errs[3])
	}
	// Only update 1's entries went out; its chat's next update is ready.
	mustKeys(t, "after completing together", mustOutboxClaim(t, s, "d", 10), "u:1:0")
	mustClaim(t, s, "w", longLease, 4)
	// The updates that failed are still held, and are completed alone.
	if err := s.InboxComplete(t.Context(), 2, "w", []storage.OutboxEntry{entry("u:2:0", "b", tipline.LaneReply)}); err != nil {
		t.Fatalf("InboxComplete of the update whose entry was refused: %v", err)
	}
	errs, err = s.InboxCompleteMany(t.Context(), "other", []storage.Completion{{UpdateID: 3, Entries: done[2].Entries}})
	if err != nil || errs[0] != nil {
		t.Fatalf("InboxCompleteMany by the holder of update 3: %v, %v", errs, err)
	}
	// Completing again queues nothing twice.
	errs, err = s.InboxCompleteMany(t.Context(), "w", done[:1])
	if err != nil || !errors.Is(errs[0], storage.ErrNotHolder) {
		t.Fatalf("InboxCompleteMany of a done update: %v, %v; want ErrNotHolder", errs, err)
	}
	mustKeys(t, "in the end", mustOutboxClaim(t, s, "d2", 10), "u:2:0", "u:3:0")
}

// testInboxCompleteHand: a completion claims for its caller exactly the
// entries it queues that a claim would give now (first of their chat and
// lane, nothing pending before them in a lane as low, no edit), and only
// those: the rest wait for a claim as before.
func testInboxCompleteHand(t *testing.T, s Store) {
	ctx := t.Context()
	mustOutboxAdd(t, s, entry("old", "a", tipline.LaneReply))
	mustAdd(t, s, item(1, "a"), item(2, "b"), item(3, "c"))
	mustClaim(t, s, "w", longLease, 1)
	mustClaim(t, s, "w", longLease, 2)
	mustClaim(t, s, "other", longLease, 3)
	edit := entry("u:2:2", "b", tipline.LaneUrgent)
	edit.EditOf = "u:2:0"
	done := []storage.Completion{
		{UpdateID: 1, Entries: []storage.OutboxEntry{
			entry("u:1:0", "a", tipline.LaneReply),  // behind "old"
			entry("u:1:1", "a", tipline.LaneUrgent), // a lower lane overtakes
		}},
		{UpdateID: 2, Entries: []storage.OutboxEntry{
			entry("u:2:0", "b", tipline.LaneReply),
			entry("u:2:1", "b", tipline.LaneReply), // behind u:2:0
			edit,
			entry("u:2:3", "b", tipline.LaneBulk), // behind u:2:0's lane
		}},
		{UpdateID: 3, Entries: []storage.OutboxEntry{entry("u:3:0", "c", tipline.LaneReply)}}, // not ours
	}
	got, err := s.InboxCompleteHand(ctx, "w", longLease, done)
	errs, handed := got.Errs, got.Handed
	if err != nil || len(errs) != 3 || errs[0] != nil || errs[1] != nil || !errors.Is(errs[2], storage.ErrNotHolder) {
		t.Fatalf("InboxCompleteHand = %v, %v; want updates 1 and 2 done, 3 not ours", errs, err)
	}
	mustKeys(t, "handed", handed, "u:1:1", "u:2:0")
	for _, e := range handed {
		if e.ID == 0 || e.ChatID != 4242 || string(e.Payload) != `{"text":"`+e.Key+`"}` || e.CreatedAt.IsZero() || e.Attempts != 0 {
			t.Fatalf("handed %+v; want it as a claim gives it", e)
		}
	}
	// Handed entries are claimed: nobody claims them again, and their
	// holder records them as any claim's.
	mustKeys(t, "claimed after the hand-off", mustOutboxClaim(t, s, "d", 10), "old")
	if err := s.OutboxSent(ctx, handed[1].ID, "d", 1); !errors.Is(err, storage.ErrNotHolder) {
		t.Fatalf("OutboxSent of a handed entry by another: %v, want ErrNotHolder", err)
	}
	if err := s.OutboxSent(ctx, handed[1].ID, "w", 7); err != nil {
		t.Fatalf("OutboxSent of a handed entry by its holder: %v", err)
	}
	mustKeys(t, "after u:2:0 was sent", mustOutboxClaim(t, s, "d", 10), "u:2:2", "u:2:1")

	// Without a lease nothing is handed.
	mustAdd(t, s, item(4, "e"))
	mustClaim(t, s, "w", longLease, 4)
	got, err = s.InboxCompleteHand(ctx, "w", 0, []storage.Completion{{UpdateID: 4, Entries: []storage.OutboxEntry{entry("u:4:0", "e", tipline.LaneReply)}}})
	if err != nil || got.Errs[0] != nil || len(got.Handed) != 0 {
		t.Fatalf("InboxCompleteHand with no lease = %+v, %v; want done, nothing handed", got, err)
	}
	mustKeys(t, "queued without a lease", mustOutboxClaim(t, s, "d", 10), "u:4:0")
}

// testInboxCompleteBehind: a completion says whether a later update of a
// completed one's chat waits (its workers claim then, not after every
// completion), whatever the lease, and not for another chat's or a
// processed update.
func testInboxCompleteBehind(t *testing.T, s Store) {
	ctx := t.Context()
	mustAdd(t, s, item(1, "a"), item(2, "b"), item(3, "b"), item(4, "c"))
	mustClaim(t, s, "w", longLease, 1)
	mustClaim(t, s, "w", longLease, 2)
	mustClaim(t, s, "w", longLease, 4)
	got, err := s.InboxCompleteHand(ctx, "w", longLease, []storage.Completion{{UpdateID: 1}, {UpdateID: 4}})
	if err != nil || got.Errs[0] != nil || got.Errs[1] != nil || got.Behind {
		t.Fatalf("InboxCompleteHand of chats a and c = %+v, %v; want done, nothing behind (b's wait is not theirs)", got, err)
	}
	got, err = s.InboxCompleteHand(ctx, "w", 0, []storage.Completion{{UpdateID: 2}})
	if err != nil || got.Errs[0] != nil || !got.Behind {
		t.Fatalf("InboxCompleteHand of chat b's first = %+v, %v; want done, 3 behind", got, err)
	}
	mustClaim(t, s, "w", longLease, 3)
	got, err = s.InboxCompleteHand(ctx, "w", longLease, []storage.Completion{{UpdateID: 3}})
	if err != nil || got.Errs[0] != nil || got.Behind {
		t.Fatalf("InboxCompleteHand of chat b's last = %+v, %v; want done, nothing behind", got, err)
	}
}

func testInboxBackoff(t *testing.T, s Store) {
	mustAdd(t, s, item(1, "a"), item(2, "a"), item(3, "b"))
	mustClaim(t, s, "w", longLease, 1)
	if err := s.InboxRelease(t.Context(), 1, "w", time.Hour); err != nil {
		t.Fatalf("InboxRelease: %v", err)
	}
	// Update 1 waits its back-off, and chat a with it; chat b goes on.
	mustClaim(t, s, "w", longLease, 3)
	mustClaim(t, s, "w", longLease, 0)
}

func testInboxTakeover(t *testing.T, s Store) {
	wait := takeover(s)
	mustAdd(t, s, item(1, "a"))
	mustClaim(t, s, "dead", longLease, 1)
	mustClaim(t, s, "live", longLease, 0)
	time.Sleep(wait)
	it := mustClaim(t, s, "live", longLease, 1)
	if it.Attempts != 2 {
		t.Fatalf("attempts after take-over = %d, want 2", it.Attempts)
	}
	if err := s.InboxComplete(t.Context(), 1, "dead", nil); !errors.Is(err, storage.ErrNotHolder) {
		t.Fatalf("InboxComplete by the silent process: %v, want ErrNotHolder", err)
	}
}

func testInboxDead(t *testing.T, s Store) {
	mustAdd(t, s, item(1, "a"), item(2, "a"))
	mustClaim(t, s, "w", longLease, 1)
	if err := s.InboxDead(t.Context(), 1, "w", "panic"); err != nil {
		t.Fatalf("InboxDead: %v", err)
	}
	mustClaim(t, s, "w", longLease, 2) // the chat moves on
	list, err := s.InboxDeadList(t.Context())
	if err != nil || len(list) != 1 || list[0].UpdateID != 1 || list[0].Reason != "panic" || list[0].Attempts != 1 {
		t.Fatalf("InboxDeadList = %+v, %v; want update 1, attempt 1, reason panic", list, err)
	}
	if err := s.InboxComplete(t.Context(), 2, "w", nil); err != nil {
		t.Fatalf("InboxComplete: %v", err)
	}
	if err := s.InboxRetryDead(t.Context(), 1); err != nil {
		t.Fatalf("InboxRetryDead: %v", err)
	}
	it := mustClaim(t, s, "w", longLease, 1)
	if string(it.Payload) != `{"update_id":1}` {
		t.Fatalf("retried update's payload = %q, want it back", it.Payload)
	}
	if list, _ := s.InboxDeadList(t.Context()); len(list) != 0 {
		t.Fatalf("InboxDeadList after retry = %+v, want empty", list)
	}
	if err := s.InboxRetryDead(t.Context(), 99); err == nil {
		t.Fatalf("InboxRetryDead of an unknown update: no error")
	}
}

// testDeadLettersGo: dead letters are purged after a time, dropped by
// chat (/forget), one by one or all by an operator, who is recorded.
func testDeadLettersGo(t *testing.T, s Store) {
	ctx := t.Context()
	mustAdd(t, s, item(1, "a"), item(2, "a"), item(3, "b"), item(4, "c"), item(5, "d"))
	for id := range int64(5) {
		mustClaim(t, s, "w", longLease, id+1)
		if err := s.InboxDead(ctx, id+1, "w", "panic"); err != nil {
			t.Fatalf("InboxDead(%d): %v", id+1, err)
		}
	}
	dead := func(want ...int64) {
		t.Helper()
		list, err := s.InboxDeadList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, d := range list {
			got = append(got, d.UpdateID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("dead letters %v, want %v", got, want)
		}
	}
	if n, err := s.PurgeDeadLetters(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("PurgeDeadLetters of none old enough = %d, %v; want 0", n, err)
	}
	if n, err := s.InboxDropDeadOfChat(ctx, "a"); err != nil || n != 2 {
		t.Fatalf("InboxDropDeadOfChat(a) = %d, %v; want 2", n, err)
	}
	dead(3, 4, 5)
	if err := s.InboxDropDead(ctx, 3, "operator"); err != nil {
		t.Fatalf("InboxDropDead(3): %v", err)
	}
	if err := s.InboxDropDead(ctx, 3, "operator"); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("InboxDropDead of a dropped letter: %v, want ErrNotFound", err)
	}
	dead(4, 5)
	if n, err := s.InboxDropAllDead(ctx, "operator"); err != nil || n != 2 {
		t.Fatalf("InboxDropAllDead = %d, %v; want 2", n, err)
	}
	dead()
	if n, err := s.InboxDropAllDead(ctx, "operator"); err != nil || n != 0 {
		t.Fatalf("InboxDropAllDead of none = %d, %v; want 0", n, err)
	}
	events, err := s.OperatorEvents(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		if e.Actor != "operator" || e.At.IsZero() {
			t.Errorf("operator event %+v, want by operator, with a time", e)
		}
		actions = append(actions, e.Action)
	}
	if !slices.Equal(actions, []string{"dead_letter_dropped 3", "dead_letters_dropped 2"}) {
		t.Errorf("operator events %v, want the two drops", actions)
	}
	mustAdd(t, s, item(6, "e"))
	mustClaim(t, s, "w", longLease, 6)
	if err := s.InboxDead(ctx, 6, "w", "panic"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeDeadLetters(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("PurgeDeadLetters = %d, %v; want 1", n, err)
	}
	dead()
}

// testOutboxDropChatHeld: a chat whose person blocked the bot has its
// pending entries set aside, the one a sender holds now included (its
// outcome is no longer that sender's to record), but not another chat's.
func testOutboxDropChatHeld(t *testing.T, s Store) {
	mustOutboxAdd(t, s, entry("a1", "a", tipline.LaneReply), entry("a2", "a", tipline.LaneReply),
		entry("a3", "a", tipline.LaneBulk), entry("b1", "b", tipline.LaneReply))
	held := mustOutboxClaim(t, s, "w", 10)
	mustKeys(t, "heads", held, "a1", "b1")
	n, err := s.OutboxDropChat(t.Context(), "a", "blocked")
	if err != nil || n != 3 {
		t.Fatalf("OutboxDropChat = %d, %v; want the chat's 3 entries", n, err)
	}
	if err := s.OutboxSent(t.Context(), held[0].ID, "w", 7); !errors.Is(err, storage.ErrNotHolder) {
		t.Fatalf("OutboxSent of a dropped entry: %v, want ErrNotHolder", err)
	}
	mustSent(t, s, held[1], "w", 0)
	mustKeys(t, "after the drop", mustOutboxClaim(t, s, "w", 10))
	if pending, err := s.OutboxPending(t.Context()); err != nil || pending[tipline.LaneReply]+pending[tipline.LaneBulk] != 0 {
		t.Fatalf("OutboxPending after the drop = %v, %v; want nothing", pending, err)
	}
	if n, err := s.OutboxDropChat(t.Context(), "a", "blocked"); err != nil || n != 0 {
		t.Fatalf("OutboxDropChat again = %d, %v; want nothing left", n, err)
	}
}
