package storagetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
	"github.com/tipline/tipline/storage/postgres"
	"github.com/tipline/tipline/storage/redis"
)

// Store is what both postgres.Store and memory.Store offer: the inbox,
// cases, attachments, additions, reporters' cases, the audit trail, and the
// reviewers' side: invites, reviewers, the rota, routing jobs,
// notification copies and working a case; retention, blocking reporters
// and key rotation.
type Store interface {
	InboxAdd(ctx context.Context, items []storage.InboxItem) (int, error)
	InboxClaimBatch(ctx context.Context, owner string, lease time.Duration, limit int) ([]storage.InboxItem, error)
	InboxRelease(ctx context.Context, updateID int64, owner string, wait time.Duration) error
	InboxComplete(ctx context.Context, updateID int64, owner string, entries []storage.OutboxEntry) error
	InboxCompleteMany(ctx context.Context, owner string, done []storage.Completion) ([]error, error)
	InboxAddClaim(ctx context.Context, items []storage.InboxItem, owner string, lease time.Duration, limit int) (int, []storage.InboxItem, error)
	InboxCompleteHand(ctx context.Context, owner string, lease time.Duration, done []storage.Completion) (storage.Completed, error)
	InboxReady(ctx context.Context, items []storage.InboxItem) ([]storage.InboxItem, error)
	InboxDead(ctx context.Context, updateID int64, owner string, reason string) error
	InboxDeadList(ctx context.Context) ([]storage.DeadUpdate, error)
	InboxRetryDead(ctx context.Context, updateID int64) error
	InboxDropDead(ctx context.Context, updateID int64, actor string) error
	InboxDropAllDead(ctx context.Context, actor string) (int, error)
	InboxDropDeadOfChat(ctx context.Context, chatKey string) (int, error)
	PurgeDeadLetters(ctx context.Context, before time.Time) (int, error)
	OperatorEvents(ctx context.Context, since time.Time) ([]tipline.AuditEvent, error)
	OutboxAdd(ctx context.Context, entries []storage.OutboxEntry) error
	OutboxClaimLanes(ctx context.Context, owner string, lease time.Duration, limit int, first, last tipline.Lane) ([]storage.OutboxEntry, error)
	OutboxSent(ctx context.Context, id int64, owner string, messageID int) error
	OutboxSentMany(ctx context.Context, owner string, sent []storage.Sent) ([]int64, error)
	OutboxRetry(ctx context.Context, id int64, owner string, wait time.Duration, failed bool) error
	OutboxDead(ctx context.Context, id int64, owner string, reason string) error
	OutboxDropChat(ctx context.Context, chatKey, reason string) (int, error)
	OutboxSentMessages(ctx context.Context, chatKey string, window time.Duration) ([]int, error)
	OutboxPending(ctx context.Context) (map[tipline.Lane]int, error)
	PurgeOutbox(ctx context.Context, cutoff time.Time) (int, error)
	Heartbeat(ctx context.Context, owner string) (time.Time, error)
	Leave(ctx context.Context, owner string) error
	SetTakeover(d time.Duration)
	InboxChatSeen(ctx context.Context, chatKey string, updateID int64) (bool, error)
	InboxNextInChat(ctx context.Context, chatKey string, updateID int64) (bool, string, error)

	SubmitCase(ctx context.Context, c tipline.NewCase) (tipline.Reference, bool, error)
	Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error)
	AttachmentsToFetch(ctx context.Context, limit int) ([]storage.PendingAttachment, error)
	AttachmentFetchFailed(ctx context.Context, ref tipline.Reference, fileUniqueID string, retryIn time.Duration) (int, error)
	SaveAttachmentContent(ctx context.Context, ref tipline.Reference, fileUniqueID string, content []byte) error
	AttachmentContent(ctx context.Context, ref tipline.Reference, fileUniqueID string) ([]byte, error)
	Audit(ctx context.Context, ref tipline.Reference) ([]tipline.AuditEvent, error)

	CaseByFollowUp(ctx context.Context, hash []byte) (tipline.Reference, error)
	CasesByReporter(ctx context.Context, pseudonyms ...string) ([]tipline.CaseSummary, error)
	SetAdditionLimits(l storage.AdditionLimits)
	Forget(ctx context.Context, pseudonyms ...string) (int, error)
	WithdrawContact(ctx context.Context, ref tipline.Reference, pseudonyms ...string) error

	CreateInvite(ctx context.Context, codeHash []byte, name string, admin bool, expires time.Time) error
	RedeemInvite(ctx context.Context, codeHash []byte, telegramID int64, lang string, now time.Time) (tipline.Reviewer, error)
	ReviewerByTelegram(ctx context.Context, telegramID int64) (tipline.Reviewer, error)
	Reviewer(ctx context.Context, id int64) (tipline.Reviewer, error)
	Reviewers(ctx context.Context) ([]tipline.Reviewer, error)
	DisableReviewer(ctx context.Context, id int64, now time.Time) error
	MarkUnreachable(ctx context.Context, id int64, now time.Time, notices []storage.OutboxEntry) (bool, []tipline.Reference, error)
	MarkReachable(ctx context.Context, id int64) (bool, error)
	Reassign(ctx context.Context, ref tipline.Reference, to int64, actor string, now time.Time) (int64, error)
	SetReviewerLang(ctx context.Context, id int64, lang string) error
	SaveRota(ctx context.Context, doc []byte) error
	LoadRota(ctx context.Context) ([]byte, error)

	ClaimDueJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]tipline.Job, error)
	CompleteJob(ctx context.Context, id int64, owner string, next *tipline.Job, entries []storage.OutboxEntry) error
	ReleaseJob(ctx context.Context, id int64, owner string) error
	UnroutedCases(ctx context.Context) ([]tipline.Reference, error)
	ScheduleJob(ctx context.Context, j tipline.Job) error
	AddNotification(ctx context.Context, ref tipline.Reference, n tipline.Notification) error
	Notifications(ctx context.Context, ref tipline.Reference) ([]tipline.Notification, error)

	Acknowledge(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) (first bool, by int64, err error)
	Escalate(ctx context.Context, ref tipline.Reference, reviewerID int64, toLevel int, now time.Time) error
	AddNote(ctx context.Context, ref tipline.Reference, n tipline.Note) error
	Notes(ctx context.Context, ref tipline.Reference) ([]tipline.Note, error)
	CloseCase(ctx context.Context, ref tipline.Reference, reviewerID int64, outcome tipline.Outcome, now time.Time) error
	ReopenCase(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error
	Queue(ctx context.Context, reviewerID int64) ([]tipline.CaseSummary, error)

	CasesToWarn(ctx context.Context, warnBefore time.Time) ([]tipline.RetentionWarning, error)
	MarkRetentionWarned(ctx context.Context, ref tipline.Reference, now time.Time) error
	DeleteClosedCases(ctx context.Context, cutoff time.Time, limit int) ([]tipline.Reference, error)
	PurgeInbox(ctx context.Context, cutoff time.Time) (int, error)
	PurgeAudit(ctx context.Context, cutoff time.Time) (int, error)

	UnblockReporter(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error
	IsBlocked(ctx context.Context, pseudonyms ...string) (bool, error)
	ScreenSenders(ctx context.Context, senders []storage.Sender) ([]storage.Screening, error)
	BlockReporterFor(ctx context.Context, ref tipline.Reference, reviewerID int64, reason tipline.BlockReason, now time.Time) error
	Blocks(ctx context.Context) ([]tipline.Block, error)
	UnblockByOperator(ctx context.Context, ref tipline.Reference, now time.Time) (bool, error)

	Classify(ctx context.Context, ref tipline.Reference, reviewerID int64, kind tipline.Exploitation, risk tipline.Risk, now time.Time) error
	AddPartner(ctx context.Context, name string, kind tipline.PartnerKind, country string) (tipline.Partner, error)
	Partners(ctx context.Context) ([]tipline.Partner, error)
	Partner(ctx context.Context, id int64) (tipline.Partner, error)
	DisablePartner(ctx context.Context, id int64) error
	SetPartnerRecipient(ctx context.Context, id int64, recipient string) error
	Referrals(ctx context.Context, partnerID int64) ([]storage.Referral, error)
	RecordPartnerExport(ctx context.Context, partnerID int64, refs []tipline.Reference, format string, at time.Time) error
	Refer(ctx context.Context, ref tipline.Reference, reviewerID, partnerID int64, now time.Time) error
	LinkDuplicate(ctx context.Context, newer, older tipline.Reference, reviewerID int64, now time.Time) error
	AddToCaseTracked(ctx context.Context, ref tipline.Reference, key string, a tipline.Addition) (storage.AddResult, error)
	FindCases(ctx context.Context, q tipline.FindQuery) ([]tipline.Found, error)
	Timeline(ctx context.Context, ref tipline.Reference) ([]tipline.Event, error)
	RecordRead(ctx context.Context, ref tipline.Reference, reviewerID int64, what string) error
	RecordTakeOverWhy(ctx context.Context, ref tipline.Reference, reviewerID int64, why string) error
	ReviewerAudit(ctx context.Context, reviewerID int64, since time.Time) ([]tipline.AuditEvent, error)

	Rekey(ctx context.Context, batch int, progress func(table string, done, left int)) (int, error)
	OldKeyValues(ctx context.Context) (map[string]int, error)
}

// Both implementations of each interface must keep compiling against it.
var (
	_ Store    = (*postgres.Store)(nil)
	_ Store    = (*memory.Store)(nil)
	_ Sessions = (*redis.Sessions)(nil)
	_ Sessions = (*memory.Sessions)(nil)
	_ Limiter  = (*redis.Limiter)(nil)
	_ Limiter  = (*memory.Limiter)(nil)
)

// Peek reads a store's data straight, for the two things the contract
// checks that no production call shows without changing them: how many
// updates wait to be processed (claimed or not), and a case's routing jobs
// with their attempts (claimed or not; none for an unknown case). The
// stores carry no method for them: PostgresPeek reads PostgreSQL's tables,
// memory.Store.Peek the twin's maps.
type Peek interface {
	InboxPending(ctx context.Context) (int, error)
	PendingJobs(ctx context.Context, ref tipline.Reference) ([]tipline.Job, error)
}

// peeked is a store under contract, with its Peek for the checks.
type peeked struct {
	Store
	peek Peek
}

func peekOf(t *testing.T, s Store) Peek {
	t.Helper()
	p, ok := s.(peeked)
	if !ok {
		t.Fatalf("%T has no Peek: run it through RunContract", s)
	}
	return p.peek
}

// RunContract checks that a store keeps the promises every implementation
// makes. newStore must return an empty store each time it is called, and
// the Peek that reads its data.
func RunContract(t *testing.T, newStore func(t *testing.T) (Store, Peek)) {
	tests := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"InboxAddIgnoresKnownUpdates", testInboxAddDedupe},
		{"InboxClaimKeepsChatOrder", testInboxClaimChatOrder},
		{"InboxClaimInterleavesChats", testInboxClaimInterleaved},
		{"InboxExpiredClaimIsTakenOver", testInboxLeaseExpiry},
		{"InboxRelease", testInboxRelease},
		{"InboxChatSeen", testInboxChatSeen},
		{"InboxConcurrentWorkers", testInboxConcurrent},
		{"InboxClaimBatch", testInboxClaimBatch},
		{"InboxAddClaimsWhatIsReady", testInboxAddClaim},
		{"InboxReadyThenStoredDone", testInboxReady},
		{"InboxAlbum", testInboxAlbum},
		{"SubmitCaseIsIdempotentOnDraft", testSubmitIdempotent},
		{"SubmitCaseReferenceTaken", testSubmitReferenceTaken},
		{"SubmitCaseRefusesCaseWithoutDraft", testSubmitInvalid},
		{"CaseRoundTrip", testCaseRoundTrip},
		{"CaseCopies", testCaseCopies},
		{"Attachments", testAttachments},
		{"AttachmentsToFetchOldestFirst", testAttachmentsOrder},
		{"NotFound", testNotFound},
		{"FollowUp", testFollowUp},
		{"FollowUpTaken", testFollowUpTaken},
		{"CasesByReporter", testCasesByReporter},
		{"AddToCase", testAddToCase},
		{"AddToCaseOnce", testAddToCaseOnce},
		{"AddToCaseConcurrently", testAddToCaseConcurrent},
		{"AddToCaseRefusesEmpty", testAddToCaseInvalid},
		{"Forget", testForget},
		{"ForgetFollowUpActor", testForgetFollowUpActor},
	}
	tests = append(tests, outboxTests...)
	tests = append(tests, reviewTests...)
	tests = append(tests, retentionTests...)
	tests = append(tests, privacyTests...)
	tests = append(tests, caseFactTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, p := newStore(t)
			tt.run(t, peeked{s, p})
		})
	}
}

func testInboxChatSeen(t *testing.T, s Store) {
	mustAdd(t, s, item(10, "a"), item(11, "b"))
	for _, tc := range []struct {
		chat string
		id   int64
		want bool
	}{{"a", 10, false}, {"a", 11, true}, {"b", 11, false}, {"b", 12, true}, {"c", 99, false}} {
		got, err := s.InboxChatSeen(t.Context(), tc.chat, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("InboxChatSeen(%s, %d) = %v, want %v", tc.chat, tc.id, got, tc.want)
		}
	}
}

// item is an update of chat with a payload naming it.
// testInboxAddClaim: updates stored and claimed in one go are exactly
// those a claim would give then (the first of a chat with nothing
// unprocessed, not held), up to the limit; the rest wait for a claim, the
// chat's order kept, and a claim taken at intake is one like any other.
func testInboxAddClaim(t *testing.T, s Store) {
	ctx := t.Context()
	mustAdd(t, s, item(1, "a"))
	held := item(5, "d")
	held.Hold = time.Hour
	added, claimed, err := s.InboxAddClaim(ctx, []storage.InboxItem{item(2, "a"), item(3, "b"), item(4, "b"), held, item(6, "e"), item(7, "f"), item(1, "a")}, "w", longLease, 2)
	if err != nil || added != 6 {
		t.Fatalf("InboxAddClaim = %d, %v; want 6 added", added, err)
	}
	var ids []int64
	for _, it := range claimed {
		ids = append(ids, it.UpdateID)
		if it.Attempts != 1 || string(it.Payload) != fmt.Sprintf(`{"update_id":%d}`, it.UpdateID) || it.ReceivedAt.IsZero() {
			t.Fatalf("claimed %+v; want it as a claim gives it", it)
		}
	}
	// 2 waits behind 1, 4 behind 3, 5 is held; 7 is past the limit.
	if !slices.Equal(ids, []int64{3, 6}) {
		t.Fatalf("claimed at intake %v, want [3 6]", ids)
	}
	if claimed[0].ChatSeen || claimed[1].ChatSeen {
		t.Fatalf("new chats claimed at intake as seen before: %+v", claimed)
	}
	mustClaim(t, s, "other", longLease, 1)
	mustClaim(t, s, "other", longLease, 7)
	mustClaim(t, s, "other", longLease, 0) // 3 and 6 are w's, 4 waits for 3
	if err := s.InboxComplete(ctx, 3, "w", nil); err != nil {
		t.Fatalf("InboxComplete of an update claimed at intake: %v", err)
	}
	mustClaim(t, s, "other", longLease, 4)
	if _, claimed, err := s.InboxAddClaim(ctx, []storage.InboxItem{item(8, "g")}, "w", longLease, 0); err != nil || len(claimed) != 0 {
		t.Fatalf("InboxAddClaim with no limit claimed %d, %v; want none", len(claimed), err)
	}
	mustClaim(t, s, "other", longLease, 8)
	// A chat whose earlier update is done was seen, whichever claim takes
	// its next: the batch claim (2, after 1) or intake's (9, after 3).
	if err := s.InboxComplete(ctx, 1, "other", nil); err != nil {
		t.Fatal(err)
	}
	if it := mustClaim(t, s, "other", longLease, 2); !it.ChatSeen {
		t.Fatalf("update 2 claimed as of a new chat, want seen (update 1)")
	}
	if it := mustClaim(t, s, "other", longLease, 0); it.ChatSeen {
		t.Fatalf("nothing claimed, but seen")
	}
	if err := s.InboxComplete(ctx, 4, "other", nil); err != nil {
		t.Fatal(err)
	}
	_, claimed, err = s.InboxAddClaim(ctx, []storage.InboxItem{item(9, "b")}, "w", longLease, 1)
	if err != nil || len(claimed) != 1 || !claimed[0].ChatSeen {
		t.Fatalf("InboxAddClaim after the chat's earlier updates = %+v, %v; want 9 claimed, seen", claimed, err)
	}
}

func item(id int64, chat string) storage.InboxItem {
	return storage.InboxItem{UpdateID: id, ChatKey: chat, Payload: fmt.Appendf(nil, `{"update_id":%d}`, id)}
}

func mustAdd(t *testing.T, s Store, items ...storage.InboxItem) int {
	t.Helper()
	n, err := s.InboxAdd(t.Context(), items)
	if err != nil {
		t.Fatalf("InboxAdd: %v", err)
	}
	return n
}

// mustClaim claims the next update and fails unless it is want (0: none).
func mustClaim(t *testing.T, s Store, owner string, lease time.Duration, want int64) storage.InboxItem {
	t.Helper()
	it, ok, err := InboxClaim(t.Context(), s, owner, lease)
	if err != nil {
		t.Fatalf("InboxClaim: %v", err)
	}
	switch {
	case want == 0 && ok:
		t.Fatalf("InboxClaim gave update %d, want nothing ready", it.UpdateID)
	case want != 0 && !ok:
		t.Fatalf("InboxClaim gave nothing, want update %d", want)
	case want != 0 && it.UpdateID != want:
		t.Fatalf("InboxClaim gave update %d, want %d", it.UpdateID, want)
	}
	return it
}

// mustDone completes an update owner holds, queueing nothing.
func mustDone(t *testing.T, s Store, owner string, id int64) {
	t.Helper()
	if err := s.InboxComplete(t.Context(), id, owner, nil); err != nil {
		t.Fatalf("InboxComplete(%d): %v", id, err)
	}
}

func mustPending(t *testing.T, s Store, want int) {
	t.Helper()
	n, err := peekOf(t, s).InboxPending(t.Context())
	if err != nil {
		t.Fatalf("InboxPending: %v", err)
	}
	if n != want {
		t.Fatalf("InboxPending = %d, want %d", n, want)
	}
}

const longLease = time.Minute

func testInboxAddDedupe(t *testing.T, s Store) {
	if n := mustAdd(t, s); n != 0 {
		t.Fatalf("InboxAdd of nothing = %d, want 0", n)
	}
	if n := mustAdd(t, s, item(1, "a"), item(2, "a"), item(3, "b")); n != 3 {
		t.Fatalf("first InboxAdd = %d, want 3", n)
	}
	if n := mustAdd(t, s, item(2, "a"), item(3, "b"), item(4, "b"), item(4, "b")); n != 1 {
		t.Fatalf("InboxAdd with known updates = %d, want 1", n)
	}
	mustPending(t, s, 4)
	mustClaim(t, s, "w", longLease, 1)
	mustDone(t, s, "w", 1)
	if n := mustAdd(t, s, item(1, "a")); n != 0 {
		t.Fatalf("InboxAdd of a processed update = %d, want 0", n)
	}
	mustPending(t, s, 3)
}

func testInboxClaimChatOrder(t *testing.T, s Store) {
	received := time.Date(2026, 3, 1, 8, 30, 0, 123456000, time.UTC)
	first := item(10, "a")
	first.ReceivedAt = received
	mustAdd(t, s, first, item(12, "a"), item(11, "b"))

	it := mustClaim(t, s, "w1", longLease, 10)
	if it.ChatKey != "a" || string(it.Payload) != `{"update_id":10}` || !it.ReceivedAt.Equal(received) || it.Attempts != 1 {
		t.Fatalf("claimed %+v (payload %q), want chat a, its payload, received %v, attempt 1", it, it.Payload, received)
	}
	// Update 12 waits for 10, in the same chat, even for another worker.
	mustClaim(t, s, "w2", longLease, 11)
	mustClaim(t, s, "w2", longLease, 0)
	mustDone(t, s, "w1", 10)
	it = mustClaim(t, s, "w2", longLease, 12)
	if it.ReceivedAt.IsZero() {
		t.Fatalf("update 12 has no receive time")
	}
}

func testInboxClaimInterleaved(t *testing.T, s Store) {
	mustAdd(t, s, item(6, "b"), item(5, "a"), item(4, "b"), item(3, "a"), item(2, "b"), item(1, "a"))
	var got []int64
	for range 10 { // more than enough: a store that never runs dry fails below
		it, ok, err := InboxClaim(t.Context(), s, "w", longLease)
		if err != nil {
			t.Fatalf("InboxClaim: %v", err)
		}
		if !ok {
			break
		}
		got = append(got, it.UpdateID)
		mustDone(t, s, "w", it.UpdateID)
	}
	if want := []int64{1, 2, 3, 4, 5, 6}; !reflect.DeepEqual(got, want) {
		t.Fatalf("processed %v, want %v", got, want)
	}
	mustPending(t, s, 0)
}

func testInboxLeaseExpiry(t *testing.T, s Store) {
	const lease = 300 * time.Millisecond
	mustAdd(t, s, item(1, "a"), item(2, "a"))
	mustClaim(t, s, "crashed", lease, 1)
	mustClaim(t, s, "w2", lease, 0)
	time.Sleep(lease + 150*time.Millisecond)
	it := mustClaim(t, s, "w2", longLease, 1)
	if it.Attempts != 2 {
		t.Fatalf("Attempts = %d after a second claim, want 2", it.Attempts)
	}
	mustClaim(t, s, "w3", longLease, 0)
}

func testInboxRelease(t *testing.T, s Store) {
	mustAdd(t, s, item(1, "a"), item(2, "a"))
	mustClaim(t, s, "w", longLease, 1)
	if err := s.InboxRelease(t.Context(), 1, "w", 0); err != nil {
		t.Fatalf("InboxRelease: %v", err)
	}
	it := mustClaim(t, s, "w", longLease, 1)
	if string(it.Payload) != `{"update_id":1}` || it.Attempts != 2 {
		t.Fatalf("claimed again %+v (payload %q), want the same payload, attempt 2", it, it.Payload)
	}
	mustPending(t, s, 2)
	if err := s.InboxRelease(t.Context(), 99, "w", 0); !errors.Is(err, storage.ErrNotHolder) {
		t.Fatalf("InboxRelease of an unknown update: %v, want ErrNotHolder", err)
	}
}

// testInboxClaimBatch: a batch holds only updates whose chat has nothing
// earlier unprocessed (so never two of one chat, nor a chat another holds),
// lowest first, up to the limit, each counted as an attempt and held by its
// claimer alone; nothing claimed is handed out again while its claim lives.
func testInboxClaimBatch(t *testing.T, s Store) {
	ids := func(its []storage.InboxItem) []int64 {
		var out []int64
		for _, it := range its {
			out = append(out, it.UpdateID)
		}
		return out
	}
	claim := func(owner string, limit int, want ...int64) []storage.InboxItem {
		t.Helper()
		its, err := s.InboxClaimBatch(t.Context(), owner, longLease, limit)
		if err != nil {
			t.Fatalf("InboxClaimBatch: %v", err)
		}
		if got := ids(its); !reflect.DeepEqual(got, want) {
			t.Fatalf("InboxClaimBatch(%s, %d) = %v, want %v", owner, limit, got, want)
		}
		return its
	}
	mustAdd(t, s, item(1, "a"), item(2, "a"), item(3, "b"), item(4, "c"), item(5, "b"), item(6, "d"))
	mustClaim(t, s, "other", longLease, 1)
	got := claim("w", 10, 3, 4, 6) // not 2 (a is held), not 5 (b's 3 first)
	for _, it := range got {
		if it.Attempts != 1 || string(it.Payload) != fmt.Sprintf(`{"update_id":%d}`, it.UpdateID) {
			t.Fatalf("claimed %+v, want attempt 1 and its payload", it)
		}
	}
	claim("w", 10)     // everything ready is held
	claim("other", 10) // by w, not by other either
	if err := s.InboxComplete(t.Context(), 4, "other", nil); !errors.Is(err, storage.ErrNotHolder) {
		t.Fatalf("InboxComplete of w's update by another: %v, want ErrNotHolder", err)
	}
	mustAdd(t, s, item(7, "e"), item(8, "f"), item(9, "g"))
	claim("w", 2, 7, 8)
	claim("w", 0)
	if err := s.InboxComplete(t.Context(), 3, "w", nil); err != nil {
		t.Fatalf("InboxComplete: %v", err)
	}
	if err := s.InboxRelease(t.Context(), 6, "w", 0); err != nil {
		t.Fatalf("InboxRelease: %v", err)
	}
	got = claim("w2", 10, 5, 6, 9) // b's next, d again, g
	if got[1].Attempts != 2 {
		t.Fatalf("update 6 claimed again with attempts %d, want 2", got[1].Attempts)
	}
	mustPending(t, s, 8)
}

func testInboxConcurrent(t *testing.T, s Store) {
	CheckConcurrentClaims(t, peekOf(t, s), s)
}

// CheckConcurrentClaims fills the inbox of the first store with updates of
// several interleaved chats and lets several workers, spread over all the
// stores, claim and process them. Every update must be processed once, each
// chat in order, never by two workers at once. Pass several stores that
// share one database to stand for several processes.
func CheckConcurrentClaims(t *testing.T, peek Peek, stores ...Store) {
	t.Helper()
	s := stores[0]
	const chats, perChat, workers = 5, 12, 6
	var items []storage.InboxItem
	for n := range perChat {
		for c := range chats {
			id := int64(n*chats + c + 1)
			items = append(items, item(id, fmt.Sprintf("chat%d", c)))
		}
	}
	mustAdd(t, s, items...)

	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	var (
		mu        sync.Mutex
		busy      = map[string]string{} // chat → worker processing it
		processed = map[string][]int64{}
		errs      []error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	var wg sync.WaitGroup
	for w := range workers {
		owner := fmt.Sprintf("worker%d", w)
		s := stores[w%len(stores)]
		wg.Go(func() {
			for ctx.Err() == nil {
				// Half the workers claim one update at a time, the others
				// up to three at once, and process them in turn.
				var claimed []storage.InboxItem
				if w%2 == 0 {
					it, ok, err := InboxClaim(ctx, s, owner, longLease)
					if err != nil {
						fail(fmt.Errorf("%s: InboxClaim: %w", owner, err))
						return
					}
					if ok {
						claimed = append(claimed, it)
					}
				} else {
					its, err := s.InboxClaimBatch(ctx, owner, longLease, 3)
					if err != nil {
						fail(fmt.Errorf("%s: InboxClaimBatch: %w", owner, err))
						return
					}
					claimed = its
				}
				if len(claimed) == 0 {
					n, err := peek.InboxPending(ctx)
					if err != nil {
						fail(fmt.Errorf("%s: InboxPending: %w", owner, err))
						return
					}
					if n == 0 {
						return
					}
					time.Sleep(time.Millisecond)
					continue
				}
				mu.Lock()
				for _, it := range claimed {
					if other, ok := busy[it.ChatKey]; ok {
						errs = append(errs, fmt.Errorf("%s claimed update %d of %s while %s was processing that chat", owner, it.UpdateID, it.ChatKey, other))
					}
					busy[it.ChatKey] = owner
				}
				mu.Unlock()
				for _, it := range claimed {
					mu.Lock()
					processed[it.ChatKey] = append(processed[it.ChatKey], it.UpdateID)
					mu.Unlock()
					time.Sleep(100 * time.Microsecond) // some work
					mu.Lock()
					delete(busy, it.ChatKey)
					mu.Unlock()
					if err := s.InboxComplete(ctx, it.UpdateID, owner, nil); err != nil {
						fail(fmt.Errorf("%s: InboxComplete: %w", owner, err))
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("workers did not finish in time")
	}
	for c := range chats {
		chat := fmt.Sprintf("chat%d", c)
		var want []int64
		for n := range perChat {
			want = append(want, int64(n*chats+c+1))
		}
		if got := processed[chat]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s processed %v, want %v", chat, got, want)
		}
	}
	if n, err := peek.InboxPending(t.Context()); err != nil || n != 0 {
		t.Fatalf("InboxPending = %d, %v; want every update processed", n, err)
	}
}

// sampleCase is a case with every field set.
func sampleCase(draft string, ref tipline.Reference) tipline.NewCase {
	return tipline.NewCase{
		DraftID:        draft,
		Reference:      ref,
		Kind:           tipline.KindTip,
		Urgency:        tipline.UrgencyUrgent,
		Lang:           "km",
		Reporter:       "a1b2c3d4e5f60718293a4b5c6d7e8f90",
		ReporterChatID: 987654321987,
		ContactAllowed: true,
		Answers:        tipline.Answers{"what": "sale", "when": "today", "where": "near the market, blue house"},
		Location:       &tipline.Location{Latitude: 13.3633, Longitude: 103.8564},
		Attachments: []tipline.Attachment{
			// The reporter's words with the photo are kept with it.
			{Kind: tipline.AttachPhoto, FileID: "file-photo-1", FileUniqueID: "uniq-photo-1", Question: "photos", Caption: "រូបភាពពីខែមុន a picture from last month"},
			{Kind: tipline.AttachVoice, FileID: "file-voice-1", FileUniqueID: "uniq-voice-1", Question: "what"},
		},
		SubmittedAt:  time.Date(2026, 3, 1, 9, 15, 30, 250000000, time.UTC),
		FollowUpHash: followUpHash("code of " + draft),
	}
}

// followUpHash stands for the slow hash the bot makes of a follow-up code.
func followUpHash(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

func mustSubmit(t *testing.T, s Store, c tipline.NewCase) {
	t.Helper()
	ref, created, err := s.SubmitCase(t.Context(), c)
	if err != nil {
		t.Fatalf("SubmitCase: %v", err)
	}
	if ref != c.Reference || !created {
		t.Fatalf("SubmitCase = %s, created %v; want %s, created", ref, created, c.Reference)
	}
}

func mustAudit(t *testing.T, s Store, ref tipline.Reference) []tipline.AuditEvent {
	t.Helper()
	events, err := s.Audit(t.Context(), ref)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return events
}

// actions lists the actors and actions of events.
func actions(events []tipline.AuditEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Actor+" "+e.Action)
	}
	return out
}

func testSubmitIdempotent(t *testing.T, s Store) {
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	mustSubmit(t, s, c)
	again := c
	again.Reference = "TL-AAAA-DDDD" // a retry that drew a new reference
	ref, created, err := s.SubmitCase(t.Context(), again)
	if err != nil {
		t.Fatalf("SubmitCase again: %v", err)
	}
	if ref != c.Reference || created {
		t.Fatalf("SubmitCase again = %s, created %v; want %s, not created", ref, created, c.Reference)
	}
	if _, err := s.Case(t.Context(), again.Reference); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("Case of the retry's reference: %v, want ErrNotFound", err)
	}
	events := mustAudit(t, s, c.Reference)
	if got, want := actions(events), []string{"reporter:" + c.Reporter + " submitted"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("audit %q, want %q", got, want)
	}
	if events[0].Reference != c.Reference || events[0].At.IsZero() {
		t.Fatalf("audit event %+v, want reference %s and a time", events[0], c.Reference)
	}
	pending, err := s.AttachmentsToFetch(t.Context(), 10)
	if err != nil {
		t.Fatalf("AttachmentsToFetch: %v", err)
	}
	if len(pending) != len(c.Attachments) {
		t.Fatalf("%d attachments to fetch after two submissions, want %d", len(pending), len(c.Attachments))
	}
}

func testSubmitReferenceTaken(t *testing.T, s Store) {
	mustSubmit(t, s, sampleCase("draft-1", "TL-AAAA-CCCC"))
	other := sampleCase("draft-2", "TL-AAAA-CCCC")
	if _, _, err := s.SubmitCase(t.Context(), other); !errors.Is(err, storage.ErrReferenceTaken) {
		t.Fatalf("SubmitCase with a taken reference: %v, want ErrReferenceTaken", err)
	}
	other.Reference = "TL-AAAA-DDDD"
	mustSubmit(t, s, other)
	got, err := s.Case(t.Context(), "TL-AAAA-CCCC")
	if err != nil {
		t.Fatalf("Case: %v", err)
	}
	if got.DraftID != "draft-1" {
		t.Fatalf("reference TL-AAAA-CCCC has draft %q, want draft-1", got.DraftID)
	}
}

func testSubmitInvalid(t *testing.T, s Store) {
	if _, _, err := s.SubmitCase(t.Context(), sampleCase("", "TL-AAAA-CCCC")); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("SubmitCase without a draft id: %v, want ErrInvalid", err)
	}
	if _, _, err := s.SubmitCase(t.Context(), sampleCase("draft-1", "")); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("SubmitCase without a reference: %v, want ErrInvalid", err)
	}
}

func testCaseRoundTrip(t *testing.T, s Store) {
	cases := map[string]tipline.NewCase{
		"full": sampleCase("draft-full", "TL-AAAA-CCCC"),
		"bare": {
			DraftID:        "draft-bare",
			Reference:      "TL-AAAA-DDDD",
			Kind:           tipline.KindMissing,
			Urgency:        tipline.UrgencyNormal,
			Lang:           "th",
			Reporter:       "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
			ReporterChatID: -1001234567890,
			Answers:        tipline.Answers{},
			SubmittedAt:    time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			before := time.Now().Add(-time.Minute)
			mustSubmit(t, s, want)
			got, err := s.Case(t.Context(), want.Reference)
			if err != nil {
				t.Fatalf("Case: %v", err)
			}
			if got.Status != tipline.StatusReceived {
				t.Errorf("Status = %q, want %q", got.Status, tipline.StatusReceived)
			}
			if got.CreatedAt.Before(before) || !got.UpdatedAt.Equal(got.CreatedAt) {
				t.Errorf("CreatedAt %v, UpdatedAt %v; want now, both the same", got.CreatedAt, got.UpdatedAt)
			}
			if !got.SubmittedAt.Equal(want.SubmittedAt) {
				t.Errorf("SubmittedAt = %v, want %v", got.SubmittedAt, want.SubmittedAt)
			}
			if got.Additions != nil {
				t.Errorf("Additions = %+v, want none", got.Additions)
			}
			gotNew, wantNew := got.NewCase, want
			gotNew.SubmittedAt, wantNew.SubmittedAt = time.Time{}, time.Time{}
			if !wantNew.ContactAllowed {
				wantNew.ReporterChatID = 0 // never kept for a reporter who declined contact
			}
			if !reflect.DeepEqual(gotNew, wantNew) {
				t.Errorf("Case = %+v\nwant   %+v", gotNew, wantNew)
			}
		})
	}
}

// testCaseCopies checks that neither the caller nor the store can change
// the other's data through a shared slice or map.
func testCaseCopies(t *testing.T, s Store) {
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	want := sampleCase("draft-1", "TL-AAAA-CCCC")
	mustSubmit(t, s, c)
	c.Answers["what"] = "changed"
	c.Location.Latitude = 0
	c.Attachments[0].FileID = "changed"
	c.FollowUpHash[0]++

	got, err := s.Case(t.Context(), c.Reference)
	if err != nil {
		t.Fatalf("Case: %v", err)
	}
	got.Answers["when"] = "changed"
	got.Location.Longitude = 0
	got.Attachments[1].FileID = "changed"
	got.FollowUpHash[1]++
	got, err = s.Case(t.Context(), c.Reference)
	if err != nil {
		t.Fatalf("Case: %v", err)
	}
	if !reflect.DeepEqual(got.Answers, want.Answers) || !reflect.DeepEqual(got.Location, want.Location) ||
		!reflect.DeepEqual(got.Attachments, want.Attachments) || !reflect.DeepEqual(got.FollowUpHash, want.FollowUpHash) {
		t.Fatalf("stored case changed through a caller's copy: %+v", got.NewCase)
	}

	addition := tipline.Addition{Actor: "reporter:" + c.Reporter, Text: "more", Attachments: []tipline.Attachment{
		{Kind: tipline.AttachPhoto, FileID: "file-photo-9", FileUniqueID: "uniq-photo-9"},
	}}
	if err := AddToCase(t.Context(), s, c.Reference, addition); err != nil {
		t.Fatalf("AddToCase: %v", err)
	}
	addition.Attachments[0].FileID = "changed"
	if got, err = s.Case(t.Context(), c.Reference); err != nil {
		t.Fatalf("Case: %v", err)
	}
	got.Additions[0].Attachments[0].FileUniqueID = "changed"
	got.Additions[0].Text = "changed"
	if got, err = s.Case(t.Context(), c.Reference); err != nil {
		t.Fatalf("Case: %v", err)
	}
	if a := got.Additions[0]; a.Text != "more" || a.Attachments[0].FileID != "file-photo-9" || a.Attachments[0].FileUniqueID != "uniq-photo-9" {
		t.Fatalf("stored addition changed through a caller's copy: %+v", a)
	}

	mustAdd(t, s, item(1, "a"))
	it := mustClaim(t, s, "w", longLease, 1)
	it.Payload[0] = 'X'
	if err := s.InboxRelease(t.Context(), 1, "w", 0); err != nil {
		t.Fatalf("InboxRelease: %v", err)
	}
	if it = mustClaim(t, s, "w", longLease, 1); string(it.Payload) != `{"update_id":1}` {
		t.Fatalf("stored payload changed through a caller's copy: %q", it.Payload)
	}

	content := []byte("photo bytes")
	if err := s.SaveAttachmentContent(t.Context(), c.Reference, "uniq-photo-1", content); err != nil {
		t.Fatalf("SaveAttachmentContent: %v", err)
	}
	content[0] = 'X'
	b, err := s.AttachmentContent(t.Context(), c.Reference, "uniq-photo-1")
	if err != nil {
		t.Fatalf("AttachmentContent: %v", err)
	}
	b[1] = 'X'
	if b, err = s.AttachmentContent(t.Context(), c.Reference, "uniq-photo-1"); err != nil || string(b) != "photo bytes" {
		t.Fatalf("AttachmentContent = %q, %v; want the bytes as saved", b, err)
	}
}

func testAttachments(t *testing.T, s Store) {
	ctx := t.Context()
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	c.Attachments = append(c.Attachments,
		tipline.Attachment{Kind: tipline.AttachVideo, FileID: "file-video-1", FileUniqueID: "uniq-video-1", Question: "photos"},
		// The same photo given again for another question.
		tipline.Attachment{Kind: tipline.AttachPhoto, FileID: "file-photo-1b", FileUniqueID: "uniq-photo-1", Question: "where"},
	)
	mustSubmit(t, s, c)

	pending, err := s.AttachmentsToFetch(ctx, 10)
	if err != nil {
		t.Fatalf("AttachmentsToFetch: %v", err)
	}
	want := []storage.PendingAttachment{
		{Reference: c.Reference, FileID: "file-photo-1", FileUniqueID: "uniq-photo-1", Kind: tipline.AttachPhoto},
		{Reference: c.Reference, FileID: "file-voice-1", FileUniqueID: "uniq-voice-1", Kind: tipline.AttachVoice},
		{Reference: c.Reference, FileID: "file-video-1", FileUniqueID: "uniq-video-1", Kind: tipline.AttachVideo},
	}
	if !reflect.DeepEqual(pending, want) {
		t.Fatalf("AttachmentsToFetch = %+v\nwant %+v", pending, want)
	}
	if _, err := s.AttachmentContent(ctx, c.Reference, "uniq-photo-1"); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("AttachmentContent before it was fetched: %v, want ErrNotFound", err)
	}

	if err := s.SaveAttachmentContent(ctx, c.Reference, "uniq-photo-1", []byte("jpeg bytes")); err != nil {
		t.Fatalf("SaveAttachmentContent: %v", err)
	}
	if err := s.SaveAttachmentContent(ctx, c.Reference, "uniq-photo-1", []byte("other bytes")); err != nil {
		t.Fatalf("SaveAttachmentContent again: %v", err)
	}
	if err := s.SaveAttachmentContent(ctx, c.Reference, "uniq-video-1", []byte{}); err != nil {
		t.Fatalf("SaveAttachmentContent of an empty file: %v", err)
	}
	b, err := s.AttachmentContent(ctx, c.Reference, "uniq-photo-1")
	if err != nil || string(b) != "jpeg bytes" {
		t.Fatalf("AttachmentContent = %q, %v; want the first bytes saved", b, err)
	}
	if b, err := s.AttachmentContent(ctx, c.Reference, "uniq-video-1"); err != nil || len(b) != 0 {
		t.Fatalf("AttachmentContent of an empty file = %q, %v; want no bytes, no error", b, err)
	}

	pending, err = s.AttachmentsToFetch(ctx, 10)
	if err != nil {
		t.Fatalf("AttachmentsToFetch: %v", err)
	}
	if len(pending) != 1 || pending[0].FileUniqueID != "uniq-voice-1" {
		t.Fatalf("AttachmentsToFetch after saving = %+v, want the voice note only", pending)
	}
	events := mustAudit(t, s, c.Reference)
	wantActions := []string{"reporter:" + c.Reporter + " submitted", "system attachment_stored", "system attachment_stored"}
	if got := actions(events); !reflect.DeepEqual(got, wantActions) {
		t.Fatalf("audit %q, want %q", got, wantActions)
	}
	for i := 1; i < len(events); i++ {
		if events[i].At.Before(events[i-1].At) {
			t.Fatalf("audit events out of order: %+v", events)
		}
	}

	if err := s.SaveAttachmentContent(ctx, c.Reference, "uniq-unknown", []byte("x")); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("SaveAttachmentContent of an unknown file: %v, want ErrNotFound", err)
	}
	if err := s.SaveAttachmentContent(ctx, "TL-XXXX-XXXX", "uniq-photo-1", []byte("x")); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("SaveAttachmentContent for an unknown case: %v, want ErrNotFound", err)
	}
	if _, err := s.AttachmentContent(ctx, c.Reference, "uniq-unknown"); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("AttachmentContent of an unknown file: %v, want ErrNotFound", err)
	}
}

func testAttachmentsOrder(t *testing.T, s Store) {
	ctx := t.Context()
	first := sampleCase("draft-1", "TL-AAAA-CCCC")
	second := sampleCase("draft-2", "TL-AAAA-DDDD")
	second.Attachments = second.Attachments[:1]
	third := sampleCase("draft-3", "TL-AAAA-EEEE")
	third.Attachments = nil
	mustSubmit(t, s, first)
	mustSubmit(t, s, second)
	mustSubmit(t, s, third)

	pending, err := s.AttachmentsToFetch(ctx, 2)
	if err != nil {
		t.Fatalf("AttachmentsToFetch: %v", err)
	}
	if len(pending) != 2 || pending[0].Reference != first.Reference || pending[1].Reference != first.Reference {
		t.Fatalf("AttachmentsToFetch(2) = %+v, want the first case's two", pending)
	}
	if pending, err = s.AttachmentsToFetch(ctx, 10); err != nil || len(pending) != 3 || pending[2].Reference != second.Reference {
		t.Fatalf("AttachmentsToFetch(10) = %+v, %v; want the first case's two, then the second's", pending, err)
	}
	if pending, err = s.AttachmentsToFetch(ctx, 0); err != nil || len(pending) != 0 {
		t.Fatalf("AttachmentsToFetch(0) = %+v, %v; want nothing", pending, err)
	}
	got, err := s.Case(ctx, third.Reference)
	if err != nil || got.Attachments != nil {
		t.Fatalf("Case without attachments: %+v, %v; want no attachments", got.Attachments, err)
	}
}

func testNotFound(t *testing.T, s Store) {
	ctx := t.Context()
	const ref tipline.Reference = "TL-XXXX-XXXX"
	if _, err := s.Case(ctx, ref); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("Case: %v, want ErrNotFound", err)
	}
	if _, err := s.Audit(ctx, ref); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("Audit: %v, want ErrNotFound", err)
	}
	if _, err := s.AttachmentContent(ctx, ref, "uniq-photo-1"); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("AttachmentContent: %v, want ErrNotFound", err)
	}
	if _, ok, err := InboxClaim(ctx, s, "w", longLease); ok || err != nil {
		t.Errorf("InboxClaim of an empty inbox: ok %v, %v; want nothing", ok, err)
	}
	mustPending(t, s, 0)
	if _, err := s.CaseByFollowUp(ctx, followUpHash("no such code")); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("CaseByFollowUp: %v, want ErrNotFound", err)
	}
	if err := AddToCase(ctx, s, ref, tipline.Addition{Actor: "reporter:x", Text: "more"}); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("AddToCase: %v, want ErrNotFound", err)
	}
	if err := AddToCaseOnce(ctx, s, ref, "upd:1", tipline.Addition{Actor: "reporter:x", Text: "more"}); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("AddToCaseOnce: %v, want ErrNotFound", err)
	}
	if got, err := s.CasesByReporter(ctx, "a1b2c3d4e5f60718293a4b5c6d7e8f90"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("CasesByReporter of an unknown reporter = %#v, %v; want an empty list", got, err)
	}
	if n, err := s.Forget(ctx, "a1b2c3d4e5f60718293a4b5c6d7e8f90"); n != 0 || err != nil {
		t.Errorf("Forget of an unknown reporter = %d, %v; want 0", n, err)
	}
}

// testInboxReady: InboxReady gives the updates that may be processed
// before they are stored (not in the inbox, nothing of their chat waiting
// unprocessed there, alone of their chat among those given, not held),
// with ChatSeen and Screened as a claim gives them. A completion stores
// such an update done with its entries (Completion.Fresh), handed over as
// any other's: once, only while nothing of its chat waits, and never to
// be claimed; a later update of its chat sees it.
func testInboxReady(t *testing.T, s Store) {
	ctx := t.Context()
	mustAdd(t, s, item(1, "a"), item(2, "b"))
	mustClaim(t, s, "w", longLease, 1) // a: waits unprocessed
	mustClaim(t, s, "w", longLease, 2)
	mustDone(t, s, "w", 2) // b: seen before
	held := item(5, "d")
	held.Hold = time.Hour
	sent := item(4, "c")
	sent.Sender = &storage.Sender{TelegramID: 7400, Pseudonyms: []string{"p-7400"}}
	got, err := s.InboxReady(ctx, []storage.InboxItem{item(10, "a"), held, item(6, "e"), item(3, "b"), item(7, "e"), sent, item(8, "f")})
	if err != nil {
		t.Fatalf("InboxReady: %v", err)
	}
	var ids []int64
	for _, it := range got {
		ids = append(ids, it.UpdateID)
	}
	// 10's chat waits for 1; 5 is held; 6 and 7 share a chat.
	if !slices.Equal(ids, []int64{3, 4, 8}) {
		t.Fatalf("InboxReady = %v, want [3 4 8]", ids)
	}
	if !got[0].ChatSeen || got[1].ChatSeen || got[2].ChatSeen {
		t.Fatalf("InboxReady seen = %v %v %v, want only 3's chat seen before", got[0].ChatSeen, got[1].ChatSeen, got[2].ChatSeen)
	}
	if got[0].Screened != nil || got[1].Screened == nil || *got[1].Screened != (storage.Screening{}) {
		t.Fatalf("InboxReady screened %+v and %+v; want only the sender given screened, as nobody", got[0].Screened, got[1].Screened)
	}
	if string(got[1].Payload) != `{"update_id":4}` {
		t.Fatalf("InboxReady payload %q, want the item's", got[1].Payload)
	}
	if again, err := s.InboxReady(ctx, []storage.InboxItem{item(2, "b")}); err != nil || len(again) != 0 {
		t.Fatalf("InboxReady of an update the inbox holds = %v, %v; want none", again, err)
	}

	fresh := func(id int64, chat string) storage.Completion {
		return storage.Completion{UpdateID: id, Fresh: &storage.FreshUpdate{ChatKey: chat, ReceivedAt: t0},
			Entries: []storage.OutboxEntry{entry(fmt.Sprintf("u:%d:0", id), chat, tipline.LaneReply)}}
	}
	c, err := s.InboxCompleteHand(ctx, "w", longLease, []storage.Completion{fresh(3, "b"), fresh(4, "c"), fresh(10, "a")})
	if err != nil || len(c.Errs) != 3 || c.Errs[0] != nil || c.Errs[1] != nil || !errors.Is(c.Errs[2], storage.ErrNotHolder) {
		t.Fatalf("InboxCompleteHand of fresh updates = %+v, %v; want 3 and 4 stored done, 10 refused (1 waits in its chat)", c, err)
	}
	mustKeys(t, "handed", c.Handed, "u:3:0", "u:4:0")
	if c.Behind {
		t.Fatalf("InboxCompleteHand of fresh updates says one waits behind them")
	}
	c, err = s.InboxCompleteHand(ctx, "w", longLease, []storage.Completion{fresh(3, "b")})
	if err != nil || !errors.Is(c.Errs[0], storage.ErrNotHolder) || len(c.Handed) != 0 {
		t.Fatalf("InboxCompleteHand of a fresh update again = %+v, %v; want ErrNotHolder, nothing queued", c, err)
	}
	// Done, not to be claimed; 10 was not stored, nor its entry queued.
	mustClaim(t, s, "other", longLease, 0)
	mustKeys(t, "claimed from the outbox", mustOutboxClaim(t, s, "d", 10))
	if ready, err := s.InboxReady(ctx, []storage.InboxItem{item(3, "b"), item(10, "a")}); err != nil || len(ready) != 0 {
		t.Fatalf("InboxReady after = %v, %v; want none (3 stored, 10's chat waits)", ready, err)
	}
	mustAdd(t, s, item(11, "c"))
	if it := mustClaim(t, s, "other", longLease, 11); !it.ChatSeen {
		t.Fatalf("the update after a fresh one claimed as of a new chat, want seen")
	}
}
