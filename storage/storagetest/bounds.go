package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Contract tests of the bounds on what one reporter can make the store keep.

func testAdditionLimits(t *testing.T, s Store) {
	ctx := t.Context()
	s.SetAdditionLimits(storage.AdditionLimits{PerDay: 3, BytesPerDay: 1000})
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	mustSubmit(t, s, c)
	other := sampleCase("draft-2", "TL-AAAA-DDDD")
	mustSubmit(t, s, other)
	add := func(ref tipline.Reference, key string, a tipline.Addition) error {
		if a.Actor == "" {
			a.Actor = "reporter:" + c.Reporter
		}
		return AddToCaseOnce(ctx, s, ref, key, a)
	}
	for i := range 3 {
		if err := add(c.Reference, fmt.Sprint("k", i), tipline.Addition{Text: "news", At: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatalf("addition %d: %v", i, err)
		}
	}
	if err := add(c.Reference, "k3", tipline.Addition{Text: "more", At: t0.Add(3 * time.Hour)}); !errors.Is(err, storage.ErrAdditionLimit) {
		t.Fatalf("the 4th addition in a day: %v, want ErrAdditionLimit", err)
	}
	if err := add(c.Reference, "k1", tipline.Addition{Text: "news", At: t0.Add(4 * time.Hour)}); err != nil {
		t.Fatalf("an addition applied again (same key) over the limit: %v, want nil", err)
	}
	if got := len(mustCase(t, s, c.Reference).Additions); got != 3 {
		t.Fatalf("the case has %d additions, want 3", got)
	}
	// Another case has its own count.
	if err := add(other.Reference, "k0", tipline.Addition{Text: "news", At: t0}); err != nil {
		t.Fatalf("an addition to another case: %v", err)
	}
	// A day after the first, there is room again.
	if err := add(c.Reference, "k4", tipline.Addition{Text: "next day", At: t0.Add(24*time.Hour + time.Minute)}); err != nil {
		t.Fatalf("an addition the next day: %v", err)
	}

	// Bytes: words, and the sizes Telegram announces for files.
	if err := add(other.Reference, "big-text", tipline.Addition{Text: strings.Repeat("x", 1000), At: t0}); !errors.Is(err, storage.ErrAdditionLimit) {
		t.Fatalf("1000 more bytes of words: %v, want ErrAdditionLimit", err)
	}
	photo := tipline.Attachment{Kind: tipline.AttachPhoto, FileID: "f", FileUniqueID: "u", Size: 997} // 4 bytes of words are there already
	if err := add(other.Reference, "big-photo", tipline.Addition{Attachments: []tipline.Attachment{photo}, At: t0}); !errors.Is(err, storage.ErrAdditionLimit) {
		t.Fatalf("a photo over the bytes left: %v, want ErrAdditionLimit", err)
	}
	photo.Size = 900
	if err := add(other.Reference, "photo", tipline.Addition{Attachments: []tipline.Attachment{photo}, At: t0}); err != nil {
		t.Fatalf("a photo within the bytes left: %v", err)
	}
}

// testFetchFailures: files that fail to download wait for their next try,
// or are given up, so they never stop the files after them.
func testFetchFailures(t *testing.T, s Store) {
	ctx := t.Context()
	c := sampleCase("draft-1", "TL-AAAA-CCCC") // two attachments
	mustSubmit(t, s, c)
	later := sampleCase("draft-2", "TL-AAAA-DDDD")
	later.Attachments = []tipline.Attachment{{Kind: tipline.AttachPhoto, FileID: "file-later", FileUniqueID: "uniq-later", Question: "photos"}}
	mustSubmit(t, s, later)
	uniques := func(limit int) []string {
		t.Helper()
		got, err := s.AttachmentsToFetch(ctx, limit)
		if err != nil {
			t.Fatalf("AttachmentsToFetch: %v", err)
		}
		var out []string
		for _, p := range got {
			out = append(out, p.FileUniqueID)
		}
		return out
	}
	if got := uniques(2); len(got) != 2 || got[0] != "uniq-photo-1" {
		t.Fatalf("to fetch %q, want the first case's two files", got)
	}
	// The first case's files fail: one will be tried again later, one is given up.
	if n, err := s.AttachmentFetchFailed(ctx, c.Reference, "uniq-photo-1", time.Hour); err != nil || n != 1 {
		t.Fatalf("AttachmentFetchFailed = %d, %v; want 1 attempt", n, err)
	}
	if n, err := s.AttachmentFetchFailed(ctx, c.Reference, "uniq-voice-1", 0); err != nil || n != 1 {
		t.Fatalf("AttachmentFetchFailed (give up) = %d, %v; want 1 attempt", n, err)
	}
	if got := uniques(2); len(got) != 1 || got[0] != "uniq-later" {
		t.Fatalf("to fetch after two failures %q, want the later case's file", got)
	}
	// A short wait: tried again once it is due; a given-up file never.
	if _, err := s.AttachmentFetchFailed(ctx, c.Reference, "uniq-photo-1", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if got := uniques(10); len(got) != 2 || got[0] != "uniq-photo-1" || got[1] != "uniq-later" {
		t.Fatalf("to fetch once the retry is due %q, want uniq-photo-1 and uniq-later", got)
	}
	if got, _ := s.AttachmentsToFetch(ctx, 1); len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("the retried file %+v, want it listed with 2 failed attempts", got)
	}
	if n, err := s.AttachmentFetchFailed(ctx, c.Reference, "uniq-photo-1", time.Hour); err != nil || n != 3 {
		t.Fatalf("third failure: %d attempts, %v; want 3", n, err)
	}
	if _, err := s.AttachmentFetchFailed(ctx, c.Reference, "uniq-none", time.Hour); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("AttachmentFetchFailed of an unknown file: %v, want ErrNotFound", err)
	}
}

// testReporterAdditionLimits is the security review's M5: one reporter's
// additions are bounded across all their cases, in count and bytes, so
// many cases do not multiply the per-case limit; another reporter is not
// held by them.
func testReporterAdditionLimits(t *testing.T, s Store) {
	ctx := t.Context()
	s.SetAdditionLimits(storage.AdditionLimits{PerDay: 3, BytesPerDay: 1000, ReporterPerDay: 4, ReporterBytesPerDay: 1500})
	a := sampleCase("draft-ra", "TL-AAAA-EEEE")
	b := sampleCase("draft-rb", "TL-AAAA-FFFF")
	mustSubmit(t, s, a)
	mustSubmit(t, s, b)
	add := func(ref tipline.Reference, key, actor string, size int) error {
		return AddToCaseOnce(ctx, s, ref, key, tipline.Addition{Actor: actor, Text: strings.Repeat("x", size), At: t0})
	}
	me, other := "reporter:"+a.Reporter, "reporter:someone-else"
	for i, ref := range []tipline.Reference{a.Reference, a.Reference, b.Reference, b.Reference} {
		if err := add(ref, fmt.Sprint("k", i), me, 10); err != nil {
			t.Fatalf("addition %d: %v", i, err)
		}
	}
	if err := add(b.Reference, "k4", me, 10); !errors.Is(err, storage.ErrAdditionLimit) {
		t.Fatalf("the reporter's 5th addition of the day, on a case with room: %v, want ErrAdditionLimit", err)
	}
	if err := add(b.Reference, "o1", other, 10); err != nil {
		t.Fatalf("another reporter's addition: %v", err)
	}
	if err := add(a.Reference, "o2", other, 600); err != nil {
		t.Fatalf("another reporter's addition: %v", err)
	}
	c := sampleCase("draft-rc", "TL-AAAA-GGGG")
	mustSubmit(t, s, c)
	if err := add(c.Reference, "o3", other, 900); !errors.Is(err, storage.ErrAdditionLimit) {
		t.Fatalf("1510 bytes in a day from one reporter: %v, want ErrAdditionLimit", err)
	}
}

// testReporterFetchLimit is the security review's M5 for files: once one
// reporter's files fetched in a day pass the bound, their other files are
// not listed for fetching (they wait on Telegram's side); another
// reporter's files still are.
func testReporterFetchLimit(t *testing.T, s Store) {
	ctx := t.Context()
	s.SetAdditionLimits(storage.AdditionLimits{ReporterFilesBytesPerDay: 100})
	mine := sampleCase("draft-fa", "TL-AAAA-HHHH")
	mine2 := sampleCase("draft-fb", "TL-AAAA-JJJJ")
	for i := range mine2.Attachments {
		mine2.Attachments[i].FileUniqueID += "-b"
	}
	other := sampleCase("draft-fc", "TL-AAAA-KKKK")
	other.Reporter = "ffffffffffffffffffffffffffffffff"
	for i := range other.Attachments {
		other.Attachments[i].FileUniqueID += "-c"
	}
	for _, c := range []tipline.NewCase{mine, mine2, other} {
		mustSubmit(t, s, c)
	}
	refs := func() map[tipline.Reference]int {
		t.Helper()
		got, err := s.AttachmentsToFetch(ctx, 100)
		if err != nil {
			t.Fatalf("AttachmentsToFetch: %v", err)
		}
		out := map[tipline.Reference]int{}
		for _, a := range got {
			out[a.Reference]++
		}
		return out
	}
	if got := refs(); got[mine.Reference] == 0 || got[mine2.Reference] == 0 || got[other.Reference] == 0 {
		t.Fatalf("to fetch %v, want every case's files", got)
	}
	if err := s.SaveAttachmentContent(ctx, mine.Reference, mine.Attachments[0].FileUniqueID, bytes.Repeat([]byte("v"), 150)); err != nil {
		t.Fatal(err)
	}
	got := refs()
	if got[mine.Reference] != 0 || got[mine2.Reference] != 0 {
		t.Errorf("to fetch %v: the reporter is over the day's bytes, want none of their files", got)
	}
	if got[other.Reference] == 0 {
		t.Errorf("to fetch %v: want the other reporter's files still", got)
	}
}
