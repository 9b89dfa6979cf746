package storage_test

import (
	"bytes"
	"testing"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestAttachmentContentStoredOnce: the same bytes sent again with a case
// (another Telegram file, the same photo) are stored once; both read back.
func TestAttachmentContentStoredOnce(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	c := tipline.NewCase{
		DraftID: "draft-1", Reference: "TL-AAAA-CCCC", Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal, Lang: "en",
		Answers: tipline.Answers{},
		Attachments: []tipline.Attachment{
			{Kind: tipline.AttachPhoto, FileID: "f1", FileUniqueID: "u1", Question: "photos"},
			{Kind: tipline.AttachPhoto, FileID: "f2", FileUniqueID: "u2", Question: "photos"},
			{Kind: tipline.AttachPhoto, FileID: "f3", FileUniqueID: "u3", Question: "photos"},
		},
	}
	if _, _, err := store.SubmitCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	photo := bytes.Repeat([]byte("same photo "), 1000)
	other := []byte("another photo")
	for uid, content := range map[string][]byte{"u1": photo, "u2": photo, "u3": other} {
		if err := store.SaveAttachmentContent(ctx, c.Reference, uid, content); err != nil {
			t.Fatalf("SaveAttachmentContent(%s): %v", uid, err)
		}
	}
	for uid, want := range map[string][]byte{"u1": photo, "u2": photo, "u3": other} {
		got, err := store.AttachmentContent(ctx, c.Reference, uid)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("AttachmentContent(%s) = %d bytes, %v; want %d bytes", uid, len(got), err, len(want))
		}
	}
	var copies int
	conn := storagetest.Conn(t)
	if err := conn.QueryRow(ctx, `select count(*) from `+schema+`.attachments where content is not null`).Scan(&copies); err != nil {
		t.Fatal(err)
	}
	if copies != 2 {
		t.Fatalf("%d stored contents for 2 different ones, want 2", copies)
	}
}
