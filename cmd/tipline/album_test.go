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

// newBotMessages counts the bot's messages to r after r.Seen.
func (r *reporter) newBotMessages() []string {
	var out []string
	for _, m := range r.e.emu.BotMessages(r.User.ID) {
		if m.ID > r.Seen {
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
	e.emu.SendText(r.User, "/start")
	r.press("menu:tip")
	r.expect("back")
	e.emu.SendText(r.User, "Canaryalbum the neighbours keep a girl locked in")
	r.press("a:yes")
	r.press("a:sale")
	r.expect("skip")
	e.emu.SendLocation(r.User, 11.5696, 104.921)
	r.press("a:ongoing")
	r.press("a:2_3")
	r.press("a:6_11")
	r.expect("skip")
	e.emu.SendText(r.User, "a man with a black car")
	r.waitText(regexp.MustCompile(`Do you have photos or videos`))
	r.MarkSeen()

	e.emu.SendAlbum(r.User, albumPhotos("draft", 6), "")
	r.waitText(regexp.MustCompile(`We got 6 photos or videos`))
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
	e.emu.SendText(r.User, "/start")
	r.press("menu:mine")
	r.press("add:" + string(ref))
	r.waitText(regexp.MustCompile(`Send words, photos, videos or a voice message for ` + string(ref)))
	r.MarkSeen()
	e.emu.SendAlbum(r.User, albumPhotos("added", 6), "")
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

// TestVideoTooLargeToFetch: a 21 MB video, over the Bot API's download
// limit, is answered kindly at once, kept on the case (the team sees it was
// sent), and asked of Telegram once: "file is too big" is never retried.
func TestVideoTooLargeToFetch(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	r := e.reporter(7_030_000_002, "en")
	e.emu.SendText(r.User, "/start")
	r.press("menu:missing")
	r.expect("back")
	e.emu.SendText(r.User, "Canarybigname")
	r.expect("a:under_6")
	e.emu.SendText(r.User, "7")
	r.press("a:girl")
	r.expect("skip")
	r.MarkSeen()
	e.emu.SendVideo(r.User, make([]byte, tipline.MaxDownload+1<<20), 30)
	r.waitText(regexp.MustCompile(`too big for us to receive`))
	r.press("done")
	r.press("a:yesterday")
	r.expect("skip")
	e.emu.SendLocation(r.User, 13.6586, 102.5625)
	r.press("skip") // clothes
	r.press("a:parent")
	r.press("a:yes")
	r.expect("skip")
	e.emu.SendText(r.User, "+855 12 345 678")
	r.press("a:no")
	r.press("send:contact")
	m := r.waitText(referenceRE)
	ref := tipline.Reference(referenceRE.FindString(m.Text))
	c, err := e.db.Case(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Attachments) != 1 {
		t.Fatalf("the case has %d attachments, want the big video", len(c.Attachments))
	}
	deadline := time.Now().Add(waitFor)
	for {
		var gaveUp bool
		if err := e.sql().QueryRow(context.Background(), `select fetch_given_up_at is not null from `+e.schema+`.attachments limit 1`).Scan(&gaveUp); err != nil {
			t.Fatal(err)
		}
		if gaveUp {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the big video was not given up\nlogs:\n%s", e.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second)
	n := 0
	for _, call := range e.emu.Calls() {
		if call.Method == "getFile" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("getFile was called %d times for a file Telegram will not hand over, want once", n)
	}
}

// TestAlbumAddedToATakenCase: an album added to a case someone has taken
// reaches that reviewer whole (every photo) with one word that the
// reporter sent more, and the reporter hears once.
func TestAlbumAddedToATakenCase(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	e.startOnCall()
	p := e.reviewers[0]
	r, ref := e.urgentTip(7_030_000_003)
	p.take(ref)
	waitInboxDone(t, e.testEnv)
	e.emu.SendText(r.User, "/start")
	r.press("menu:mine")
	r.press("add:" + string(ref))
	r.expect("done")
	r.MarkSeen()
	photosBefore := 0
	for _, m := range e.emu.BotMessages(p.User.ID) {
		if m.Photo {
			photosBefore++
		}
	}
	e.emu.SendAlbum(r.User, albumPhotos("taken", 4), "")
	r.waitText(regexp.MustCompile(regexp.QuoteMeta(string(ref))))
	deadline := time.Now().Add(waitFor)
	for {
		photos, words := 0, 0
		for _, m := range e.emu.BotMessages(p.User.ID) {
			if m.Photo {
				photos++
			}
			if strings.Contains(m.Text, "The reporter of "+string(ref)+" sent more") {
				words++
			}
		}
		if photos-photosBefore == 4 && words == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reviewer got %d of the album's 4 photos and %d words that the reporter sent more, want 4 and 1:\n%s", photos-photosBefore, words, p.Transcript())
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.settle()
	if got := r.newBotMessages(); len(got) != 1 {
		t.Errorf("the reporter was answered %d times, want once: %q", len(got), got)
	}

	// Details sends the case's files as one album: the tip's photo and the
	// four added.
	msgs := e.emu.BotMessages(p.User.ID)
	last := msgs[len(msgs)-1].ID
	p.Seen = 0
	p.press("det:" + string(ref))
	p.press("fil:" + string(ref) + ":0") // "📎 Files 1-5 of 5": one album
	deadline = time.Now().Add(waitFor)
	for {
		groups := map[string]int{}
		for _, m := range e.emu.BotMessages(p.User.ID) {
			if m.ID > last && m.Photo {
				groups[m.MediaGroup]++
			}
		}
		if len(groups) == 1 && groups[""] == 0 {
			for _, n := range groups {
				if n == 5 {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("a page of files sent the photos as %v (album: count), want one album of 5:\n%s", groups, p.Transcript())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
