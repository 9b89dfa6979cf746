package storagetest

import (
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
		return s.AddToCaseOnce(ctx, ref, key, a)
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
