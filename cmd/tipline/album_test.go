package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
)

// albumPhotos are n distinct photos for an album.
func albumPhotos(tag string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "\xff\xd8\xff album-%s-%d", tag, i)
	}
	return out
}

// newBotMessages counts the bot's messages to r after r.seen.
func (r *reporter) newBotMessages() []string {
	var out []string
	for _, m := range r.e.emu.BotMessages(r.u.ID) {
		if m.ID > r.seen {
			out = append(out, m.Text)
		}
	}
	return out
}

// TestAlbumAnsweredOnce: six photos sent as one album, while a report is
// written and then as an addition to the filed report, are each stored,
// and each album is answered once, with the count, not six times.
func TestAlbumAnsweredOnce(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	r := e.reporter(7_030_000_001, "en")
	e.emu.SendText(r.u, "/start")
	r.press("menu:tip")
	r.expect("back")
	e.emu.SendText(r.u, "Canaryalbum the neighbours keep a girl locked in")
	r.press("a:yes")
	r.press("a:sale")
	r.expect("skip")
	e.emu.SendLocation(r.u, 11.5696, 104.921)
	r.press("a:ongoing")
	r.press("a:2_3")
	r.press("a:6_11")
	r.expect("skip")
	e.emu.SendText(r.u, "a man with a black car")
	r.waitText(regexp.MustCompile(`Do you have photos or videos`))
	r.markSeen()

	e.emu.SendAlbum(r.u, albumPhotos("draft", 6), "")
	r.waitText(regexp.MustCompile(`Received: 6\b`))
	waitInboxDone(t, e)
	time.Sleep(300 * time.Millisecond) // anything more would be on its way by now
	if got := r.newBotMessages(); len(got) != 1 {
		t.Fatalf("the album was answered %d times, want once:\n%s", len(got), strings.Join(got, "\n---\n"))
	}
	r.press("done")
	r.press("send:contact")
	m := r.waitText(referenceRE)
	ref := tipline.Reference(referenceRE.FindString(m.Text))
	c, err := e.db.Case(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Attachments) != 6 {
		t.Fatalf("the case has %d photos, want the album's 6", len(c.Attachments))
	}

	// The same album as an addition to the filed report.
	e.emu.SendText(r.u, "/start")
	r.press("menu:mine")
	r.press("add:" + string(ref))
	r.waitText(regexp.MustCompile(`Send words, photos, videos or a voice message for ` + string(ref)))
	r.markSeen()
	e.emu.SendAlbum(r.u, albumPhotos("added", 6), "")
	r.waitText(regexp.MustCompile(`Added to ` + string(ref)))
	waitInboxDone(t, e)
	time.Sleep(300 * time.Millisecond)
	if got := r.newBotMessages(); len(got) != 1 {
		t.Fatalf("the added album was answered %d times, want once:\n%s", len(got), strings.Join(got, "\n---\n"))
	}
	c, err = e.db.Case(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	photos := 0
	for _, a := range c.Additions {
		photos += len(a.Attachments)
	}
	if photos != 6 {
		t.Fatalf("the additions hold %d photos, want the album's 6: %+v", photos, c.Additions)
	}
}
