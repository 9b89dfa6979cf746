package postgres_test

import (
	"bytes"
	"fmt"
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

// TestRekeyStreamsAttachments: Rekey re-seals attachments a bounded number
// of bytes at a time, however many rows a batch may hold, so memory stays
// bounded whatever the files' sizes.
func TestRekeyStreamsAttachments(t *testing.T) {
	ctx := t.Context()
	keyA, keyB := randomRootKey(t), randomRootKey(t)
	storeA, schema := storagetest.NewPostgres(t, mustRing(t, keyA))
	c := tipline.NewCase{DraftID: "draft-1", Reference: "TL-AAAA-CCCC", Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal, Lang: "en", Answers: tipline.Answers{}}
	for i := range 5 {
		c.Attachments = append(c.Attachments, tipline.Attachment{Kind: tipline.AttachPhoto, FileID: fmt.Sprint("f", i), FileUniqueID: fmt.Sprint("u", i), Question: "photos"})
	}
	if _, _, err := storeA.SubmitCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		content := bytes.Repeat([]byte{byte('a' + i)}, 300<<10) // 300 KiB each, all different
		if err := storeA.SaveAttachmentContent(ctx, c.Reference, fmt.Sprint("u", i), content); err != nil {
			t.Fatal(err)
		}
	}
	storeB := openSchema(t, schema, mustRing(t, keyB, keyA))
	storeB.SetRekeyBatchBytes(700 << 10) // two files a batch
	batches := 0
	if _, err := storeB.Rekey(ctx, 100, func(table string, done, left int) {
		if table == "attachments" {
			batches++
		}
	}); err != nil {
		t.Fatalf("Rekey: %v", err)
	}
	if batches != 3 {
		t.Fatalf("attachments re-keyed in %d batches of at most 700 KiB, want 3 (2+2+1 files of 300 KiB)", batches)
	}
	storeOnlyB := openSchema(t, schema, mustRing(t, keyB))
	for i := range 5 {
		got, err := storeOnlyB.AttachmentContent(ctx, c.Reference, fmt.Sprint("u", i))
		if err != nil || len(got) != 300<<10 || got[0] != byte('a'+i) {
			t.Fatalf("attachment %d after rekey: %d bytes, %v", i, len(got), err)
		}
	}
}
