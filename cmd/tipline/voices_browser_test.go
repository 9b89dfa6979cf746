package main

import (
	"context"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tipline/tipline/storage/storagetest"
	"github.com/tipline/tipline/voices"
)

// TestSandboxRecordsAVoice: on the sandbox page, in headless Chromium
// with its fake microphone (a beep), the sandbox's admin sends /record,
// picks the Khmer "what did you see", taps 🎙, taps again to send, and
// keeps it; a Khmer reporter on the other phone taps 🔊 and a report,
// and the question arrives as a voice message with a player in its
// bubble and the question under it.
func TestSandboxRecordsAVoice(t *testing.T) {
	storagetest.SkipShort(t, "Chromium")
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed: run ./scripts/test, which installs it (%v)", err)
	}
	base, logs := startSandbox(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserWhole)
	defer cancel()
	opts := chromiumOptions(t, chromium, 1366, 768,
		// A microphone that plays a beep, allowed without asking.
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	tab, tcancel := chromedp.NewContext(actx)
	defer tcancel()
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium (%s): %v", chromium, err)
	}
	exceptions := watchExceptions(tab)
	d := &pageDriver{t: t, ctx: tab, logs: logs, last: map[string]int{}}
	d.do("open the sandbox page", chromedp.Navigate(base))
	d.waitFor("both phones on the page", `() => document.querySelectorAll("section.panel").length === 2`)

	// The admin records.
	d.typeAndSend("reviewer", "/record")
	d.press("reviewer", "rec:l:km", false)
	d.press("reviewer", "rec:p:km:"+strconv.Itoa(slices.Index(voices.Prompts(), "q_what")), false)
	d.click("tap 🎙 to record", `section.panel[data-role="reviewer"] button.record-voice`)
	d.waitFor("recording", `() => document.querySelector('section.panel[data-role="reviewer"] button.record-voice').classList.contains("recording")`)
	time.Sleep(1200 * time.Millisecond)
	d.click("tap ⏹ to send", `section.panel[data-role="reviewer"] button.record-voice`)
	d.press("reviewer", "rec:keep", false)
	d.poll("Kept on the admin's phone", `() => [...document.querySelectorAll('section.panel[data-role="reviewer"] .msg.bot .msg-text')].some((t) => t.textContent.includes("Kept"))`)

	// A Khmer reporter listens.
	d.newReporter("km")
	d.click("tap /start", `section.panel[data-role="reporter"] button.quick-start[data-command="/start"]`)
	d.press("reporter", "listen:on", false)
	d.press("reporter", "menu:tip", false)
	d.poll("the question as a voice message with a player", `() => {
		const players = [...document.querySelectorAll('section.panel[data-role="reporter"] .msg.bot audio[data-testid="voice-player"]')];
		return players.length === 1 && players[0].src.includes("/_emulator/files/") &&
			/[\u1780-\u17FF]/.test(players[0].closest(".bubble").querySelector(".msg-text").textContent) &&
			players[0].closest(".msg").querySelector("button.kb-button") !== null;
	}`)
	if ex := exceptions(); len(ex) > 0 {
		t.Errorf("the page threw: %v", ex)
	}
}
