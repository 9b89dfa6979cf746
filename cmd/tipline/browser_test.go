package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tipline/tipline/internal/chattest"
	"github.com/tipline/tipline/internal/testio"
	"github.com/tipline/tipline/storage/storagetest"
)

// The browser test drives the real sandbox (`tipline sandbox`, in memory)
// in headless Chromium at 1366x768, as a person would: a reporter files a
// tip in Khmer on one phone, the on-call reviewer takes it, writes to the
// reporter and closes it on the other, and the reporter reads the team's
// message and presses Reply; then a Thai family types first and reports a
// missing child. The "Cases on this page" checklist is checked at every
// step, across a reload, and axe-core finds no accessibility violation.
//
// It needs the chromium binary; ./scripts/test installs Debian's package.
// TIPLINE_UPDATE_SCREENSHOT=1 writes the page, at the end, to
// docs/sandbox.png (the README shows it).

const (
	// browserStep bounds one step: the bot answers in well under a second.
	browserStep = 15 * time.Second
	// browserWhole bounds the whole test, browser start included.
	browserWhole = 120 * time.Second
	// axeSource is axe-core, vendored with its version and licence.
	axeSource = "testdata/axe-core/axe.min.js"
)

// What the people on the page type.
const (
	// "I saw two girls taken into a house near the market at night; a man
	// locks the door."
	browserTipText = "ខ្ញុំបានឃើញក្មេងស្រីពីរនាក់ត្រូវបានគេនាំចូលផ្ទះមួយក្បែរផ្សារនៅពេលយប់ ហើយបុរសម្នាក់ចាក់សោទ្វារ។"
	// "Thank you. Are the girls still in the house now?"
	browserReplyText = "សូមអរគុណ។ តើក្មេងស្រីទាំងពីរនៅក្នុងផ្ទះនោះនៅឡើយទេ?"
	// "My granddaughter has been missing since yesterday. A woman offered
	// her work in Bangkok." Typed at the menu, before any button.
	browserMissingText = "หลานสาวหายไปตั้งแต่เมื่อวาน มีผู้หญิงคนหนึ่งชวนไปทำงานที่กรุงเทพ"
	// The child's name.
	browserMissingName = "น้องมะลิ"
)

var browserKhmerRE = regexp.MustCompile(`[\x{1780}-\x{17FF}]`)

// chromiumOptions starts Debian's Chromium headless at width×height, with
// a profile of the test's own. This machine has no outside network: keep
// Chromium from trying to reach Google's hosts (updates, sync, QUIC
// probes) at all. extra adds a test's own flags.
func chromiumOptions(t *testing.T, chromium string, width, height int, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(width, height),
	)
	return append(opts, extra...)
}

func TestSandboxInBrowser(t *testing.T) {
	storagetest.SkipShort(t, "Chromium")
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed, and the browser test of the sandbox page needs it: run ./scripts/test, which installs it (Debian's chromium package) (%v)", err)
	}
	base, logs := startSandbox(t)

	ctx, cancel := context.WithTimeout(context.Background(), browserWhole)
	defer cancel()
	opts := chromiumOptions(t, chromium, 1366, 768)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	tab, tcancel := chromedp.NewContext(actx)
	defer tcancel()
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium (%s): %v", chromium, err)
	}
	exceptions := watchExceptions(tab)

	axe, err := os.ReadFile(axeSource)
	if err != nil {
		t.Fatalf("read axe-core: %v", err)
	}
	d := &pageDriver{t: t, ctx: tab, logs: logs, last: map[string]int{}, axeJS: string(axe)}
	d.do("open the sandbox page", chromedp.Navigate(base))
	d.waitFor("both phones on the page", `() => document.querySelectorAll("section.panel").length === 2`)

	// The two phones: the reporter's with its controls, and the reviewer's
	// beside it, fixed to the seeded reviewer.
	layout := d.eval(`(() => {
		const rep = document.querySelector('section.panel[data-role="reporter"]');
		const rev = document.querySelector('section.panel[data-role="reviewer"]');
		const shown = (n) => Boolean(n) && n.offsetParent !== null;
		return {
			reporterTitle: rep.querySelector(".panel-title").textContent,
			reviewerTitle: rev.querySelector(".panel-title").textContent,
			reviewerUser: rev.dataset.userId,
			reviewerNewUser: shown(rev.querySelector(".new-user")),
			reviewerLang: shown(rev.querySelector(".lang-select")),
			reviewerComposer: shown(rev.querySelector("textarea.text")),
			reviewerCommands: [...rev.querySelectorAll("button.quick-start")].map((b) => b.dataset.command).join(" "),
			reporterNewUser: shown(rep.querySelector(".new-user")),
			reporterLang: shown(rep.querySelector(".lang-select")),
			beside: rep.querySelector(".phone").getBoundingClientRect().top === rev.querySelector(".phone").getBoundingClientRect().top &&
				rep.getBoundingClientRect().right <= rev.getBoundingClientRect().left,
			// The first screen at 1366x768: both phones with their input
			// boxes, the checklist, and the one-line hint above them.
			firstScreen: [rep, rev].every((p) => {
				const box = p.querySelector("textarea.text").getBoundingClientRect();
				return box.bottom <= window.innerHeight && box.right <= window.innerWidth && box.height > 0;
			}) && document.querySelector("#cases").getBoundingClientRect().right <= window.innerWidth,
			hint: shown(document.querySelector(".try-this")) &&
				document.querySelector(".try-this").getBoundingClientRect().bottom <= rep.getBoundingClientRect().top &&
				document.querySelector(".try-this").getBoundingClientRect().height < 30,
			// No developer details on the phones.
			devDetails: /language_code|chat id|Telegram user \d/.test(rep.textContent + rev.textContent),
			langSaysNewReporter: rep.querySelector(".lang-note").textContent.includes("new reporter") && shown(rep.querySelector(".lang-note")),
		};
	})()`)
	for k, want := range map[string]any{
		"reporterTitle": "Reporter", "reviewerTitle": "Reviewer (on call)", "reviewerUser": "2001",
		"reviewerNewUser": false, "reviewerLang": false, "reviewerComposer": true, "reviewerCommands": "/queue /oncall",
		"reporterNewUser": true, "reporterLang": true, "beside": true,
		"firstScreen": true, "hint": true, "devDetails": false, "langSaysNewReporter": true,
	} {
		if got := layout[k]; got != want {
			t.Errorf("page layout: %s = %v, want %v", k, got, want)
		}
	}
	if t.Failed() {
		t.Logf("layout: %v", d.eval(`(() => JSON.stringify({
			vh: window.innerHeight, vw: window.innerWidth,
			rects: [...document.querySelectorAll("section.panel, section.panel .phone, section.panel textarea.text, #cases, .try-this")].map((n) => n.className + " " + JSON.stringify(n.getBoundingClientRect())),
		}))()`))
	}

	d.axe("the first screen")

	// The reporter: a Khmer phone, /start, "report a child at risk".
	khmerUser := d.newReporter("km")
	d.click("press /start", `section.panel[data-role="reporter"] button.quick-start[data-command="/start"]`)
	menu := d.press("reporter", "menu:tip", false)
	if !browserKhmerRE.MatchString(menu.Text) {
		t.Errorf("the reporter's menu is not in Khmer: %q", menu.Text)
	}
	d.waitMessage("the first question", "reporter", menu.ID, `(m) => m.dataset.from === "bot"`, 0, "")
	d.typeAndSend("reporter", browserTipText)
	d.press("reporter", "a:yes", false) // a child is in danger now: urgent
	// The rest: skip what can be skipped, take the first answer otherwise,
	// and send allowing the team to write back.
	for i := 0; ; i++ {
		if i == 10 {
			d.fail("still answering questions after 10 of them")
		}
		q := d.nextQuestion("reporter")
		d.clickButton("reporter", q)
		if chattest.IsButton(q.Data, "send:contact") {
			break
		}
	}
	ref, receipt := d.waitReference("reporter")
	t.Logf("the reporter got the reference %s", ref)
	d.waitTrail(ref, []string{"reported"}, []string{"taken", "replied", "closed"})

	// The reviewer: the new case arrives, urgent and protected.
	note := d.waitButton("reviewer", "ack:"+ref, 0, false)
	if !strings.Contains(note.Text, ref) || !strings.Contains(note.Text, "URGENT") {
		t.Errorf("the reviewer's notification is %q, want %s marked URGENT", note.Text, ref)
	}
	if !note.Protected {
		t.Errorf("the reviewer's notification has no 🔒: it should be sent with protect_content")
	}
	d.waitTrail(ref, []string{"reported", "notified"}, []string{"taken", "replied", "closed"})
	d.axe("a new case on the reviewer's phone")
	d.clickButton("reviewer", note)
	d.waitTrail(ref, []string{"reported", "notified", "taken"}, []string{"replied", "closed"})
	taken := d.waitMessage("the notification changed to taken", "reviewer", note.ID-1,
		`(m) => Number(m.dataset.messageId) === id && m.textContent.includes(ref + ": taken by Sandbox reviewer.") &&
			m.querySelector('button.kb-button[data-action="rep:' + ref + '"]') !== null`,
		note.ID, ref)
	for _, verb := range []string{"det", "rep", "note", "close"} {
		if !taken.has(verb + ":" + ref) {
			t.Errorf("the taken notification lacks the %s:%s button; buttons: %v", verb, ref, taken.Actions)
		}
	}
	if taken.has("ack:" + ref) {
		t.Errorf("the taken notification still offers ack:%s", ref)
	}

	// Write to the reporter: the button is on the notification itself.
	d.clickButton("reviewer", d.waitButton("reviewer", "rep:"+ref, note.ID-1, false))
	ask := d.waitMessage("the bot asks for the message", "reviewer", note.ID,
		`(m) => m.dataset.from === "bot" && m.textContent.includes(ref)`, 0, ref)
	t.Logf("the bot asked the reviewer: %q", ask.Text)
	d.typeAndSend("reviewer", browserReplyText)
	// Shown back first: nothing reaches the reporter before Send.
	d.press("reviewer", "snd:"+ref, false)
	sent := d.waitMessage("the reviewer hears it was sent", "reviewer", ask.ID,
		`(m) => m.dataset.from === "bot" && m.textContent.includes(ref) && m.querySelector('button.kb-button[data-action="close:' + ref + '"]') !== null`, 0, ref)
	t.Logf("the bot told the reviewer: %q", sent.Text)

	// The reporter reads the team's message, with a button to answer.
	team := d.waitButton("reporter", "ans:"+ref, 0, false)
	if !strings.Contains(team.Text, browserReplyText) || !strings.Contains(team.Text, ref) {
		t.Errorf("the reporter got %q, want the reviewer's words and %s", team.Text, ref)
	}

	// The receipt is one message, with the way back to the menu among its
	// buttons (and the bot has nothing left to send when the sandbox stops).
	d.waitButton("reporter", "menu", receipt-1, false)

	// The checklist shows the case from the tip to the reply, and keeps
	// it when the reporter presses Reply (the button goes away) and after
	// a reload of the page.
	d.waitTrail(ref, []string{"reported", "notified", "taken", "replied"}, []string{"closed"})
	d.clickButton("reporter", team)
	d.waitMessage("the bot asks the reporter for their answer", "reporter", team.ID, `(m) => m.dataset.from === "bot"`, 0, "")
	d.waitTrail(ref, []string{"reported", "notified", "taken", "replied"}, []string{"closed"})
	d.axe("the reporter answering the team")
	d.do("reload the page", chromedp.Reload())
	d.waitFor("both phones again", `() => document.querySelectorAll("section.panel").length === 2`)
	d.waitTrail(ref, []string{"reported", "notified", "taken", "replied"}, []string{"closed"})
	d.last = map[string]int{}
	trail := d.trail(ref)
	for _, step := range []string{"reported", "notified", "taken", "replied"} {
		if trail[step] != "true" {
			t.Errorf("case trail: step %s not done: %v", step, trail)
		}
	}
	if trail["closed"] != "false" || !strings.Contains(trail["taken_text"], "by Sandbox reviewer") || trail["urgent"] != "true" {
		t.Errorf("case trail before the close: %v", trail)
	}

	// Classify it: the kind of exploitation, then the risk.
	d.press("reviewer", "cls:"+ref, false)
	d.press("reviewer", "cls:"+ref+":labour", false)
	d.press("reviewer", "rsk:"+ref+":labour:high", false)
	// The confirmation comes after the risk question: the case card above
	// is edited to say the same, and pressing Close before the confirmation
	// is on screen would tap a button that moves as it arrives.
	d.waitMessage("the classification confirmed", "reviewer", d.last["reviewer"],
		`(m) => m.dataset.from === "bot" && m.textContent.includes(ref) && /labour/i.test(m.textContent) && /high/i.test(m.textContent)`, 0, ref)

	// Close it.
	d.last = map[string]int{}
	d.press("reviewer", "close:"+ref, false)
	d.press("reviewer", "out:"+ref+":partner", false)
	// Referred to which partner? The sandbox's made-up partners are offered.
	d.press("reviewer", "ref:"+ref+":", true)
	// "Refer … and close it?": yes.
	d.press("reviewer", "ref:"+ref+":", true)
	closed := d.waitButton("reviewer", "reopen:"+ref, 0, false)
	if !strings.Contains(closed.Text, ref) {
		t.Errorf("the reviewer's close message is %q, want %s", closed.Text, ref)
	}
	d.waitTrail(ref, []string{"reported", "notified", "taken", "replied", "closed"}, []string{})
	if trail := d.trail(ref); !strings.Contains(trail["closed_text"], "Referred to a partner") {
		t.Errorf("the checklist's close says %q, want the outcome", trail["closed_text"])
	}

	// Tapping the case marks its messages on both phones; tapping its
	// reference in a message clears the mark, and the trail sets it again.
	marked := `() =>
		document.querySelector('section.panel[data-role="reporter"] .msg.in-focus[data-refs~="` + ref + `"]') !== null &&
		document.querySelector('section.panel[data-role="reviewer"] .msg.in-focus[data-refs~="` + ref + `"]') !== null &&
		document.querySelector('li.case.in-focus[data-ref="` + ref + `"]') !== null`
	d.click("mark the case", `li.case[data-ref="`+ref+`"] button.case-head`)
	d.waitFor("the case's messages marked on both phones", marked)
	d.click("tap the reference", fmt.Sprintf(`section.panel[data-role="reviewer"] .msg[data-message-id="%d"] .ref[data-ref="%s"]`, closed.ID, ref))
	d.waitFor("the mark cleared", `() => document.querySelector(".in-focus") === null`)
	d.click("mark the case again", `li.case[data-ref="`+ref+`"] button.case-head`)
	d.waitFor("the case's messages marked again", marked)

	// Old keyboards leave the Tab order: only the newest message's
	// buttons on each phone can be reached with Tab.
	tabbable := d.eval(`(() => Object.fromEntries([...document.querySelectorAll("section.panel")].map((p) => {
		const kbs = [...p.querySelectorAll(".messages .keyboard")];
		const reach = kbs.map((kb) => [...kb.querySelectorAll("button")].some((b) => b.tabIndex >= 0));
		return [p.dataset.role, reach.length > 0 && reach.slice(0, -1).every((r) => !r) && reach[reach.length - 1]];
	})))()`)
	for _, role := range []string{"reporter", "reviewer"} {
		if tabbable[role] != true {
			t.Errorf("%s's phone: want only the newest keyboard in the Tab order (%v)", role, tabbable)
		}
	}

	// A Thai family types their story at the menu before reading it; the
	// words are kept, and they choose a missing-child report.
	d.newReporter("th")
	d.click("press /start", `section.panel[data-role="reporter"] button.quick-start[data-command="/start"]`)
	thMenu := d.waitButton("reporter", "menu:missing", 0, false)
	d.last["reporter"] = thMenu.ID
	d.typeAndSend("reporter", browserMissingText)
	d.press("reporter", "typed:missing", false)
	name := d.waitMessage("the question of the child's name", "reporter", d.last["reporter"],
		`(m) => m.dataset.from === "bot" && m.querySelector('button.kb-button[data-action="cancel"]') !== null`, 0, "")
	if !strings.Contains(d.transcript("reporter"), browserMissingText) {
		t.Errorf("the words typed at the menu are not in the chat")
	}
	d.last["reporter"] = name.ID
	d.typeAndSend("reporter", browserMissingName)
	for i := 0; ; i++ {
		if i == 14 {
			d.fail("still answering questions after 14 of them")
		}
		q := d.nextQuestion("reporter")
		d.clickButton("reporter", q)
		if chattest.IsButton(q.Data, "send:contact") {
			break
		}
	}
	thRef, _ := d.waitReference("reporter")
	t.Logf("the Thai family got the reference %s", thRef)
	d.waitTrail(thRef, []string{"reported", "notified"}, []string{"taken", "replied", "closed"})
	if tr := d.trail(thRef); tr["urgent"] != "true" {
		t.Errorf("a missing child is not marked urgent in the checklist: %v", tr)
	}
	d.waitTrail(ref, []string{"reported", "notified", "taken", "replied", "closed"}, []string{}) // the first case is still there
	d.axe("two cases on the page")

	errs := d.eval(`(() => [...document.querySelectorAll("p.error")].filter((e) => !e.hidden).map((e) => e.textContent).join("; "))()`)
	if errs["value"] != "" {
		t.Errorf("the page shows errors: %v", errs["value"])
	}

	// The picture: the Khmer reporter's phone at the team's message, the
	// reviewer's at the close, and the checklist of both cases.
	d.eval(fmt.Sprintf(`(() => {
		const s = document.querySelector('section.panel[data-role="reporter"] select.user-select');
		s.value = %q;
		s.dispatchEvent(new Event("change", { bubbles: true }));
		return true;
	})()`, khmerUser))
	d.waitFor("the Khmer reporter's chat again", fmt.Sprintf(`() => document.querySelector('section.panel[data-role="reporter"] .msg[data-message-id="%d"]') !== null`, team.ID))
	d.eval(fmt.Sprintf(`(() => {
		const list = document.querySelector('section.panel[data-role="reporter"] .messages');
		const m = list.querySelector('.msg[data-message-id="%d"]');
		list.scrollTop = m.offsetTop - list.offsetTop - 120;
		return true;
	})()`, team.ID))
	shot := d.screenshot()
	if os.Getenv("TIPLINE_UPDATE_SCREENSHOT") == "1" {
		path := filepath.Join("..", "..", "docs", "sandbox.png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(shot))
	}
	if ex := exceptions(); len(ex) > 0 {
		t.Errorf("the page threw:\n%s", strings.Join(ex, "\n"))
	}
}

// startSandbox runs `tipline sandbox -addr 127.0.0.1:0` in this process,
// with storage in memory, and returns its address and its logs.
func startSandbox(t *testing.T) (string, *testio.Buffer) {
	t.Helper()
	logs, out := &testio.Buffer{}, &testio.Buffer{}
	ready := make(chan ReadyInfo, 1)
	m := &Main{
		// No DATABASE_URL or REDIS_URL: storage and sessions in memory.
		Getenv: func(string) string { return "" },
		Stdout: out,
		Stderr: logs,
		Ready:  func(i ReadyInfo) { ready <- i },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"sandbox", "-addr", "127.0.0.1:0"}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sandbox: %v", err)
			}
		case <-time.After(shutdownGrace + 5*time.Second):
			t.Errorf("the sandbox did not stop")
		}
	})
	select {
	case info := <-ready:
		return info.URL, logs
	case err := <-done:
		t.Fatalf("the sandbox stopped before serving: %v\n%s", err, logs)
	case <-time.After(browserStep):
		t.Fatalf("the sandbox did not serve within %s\n%s", browserStep, logs)
	}
	return "", nil
}

// watchExceptions collects the page's uncaught exceptions.
func watchExceptions(tab context.Context) func() []string {
	var mu sync.Mutex
	var got []string
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				got = append(got, m.String())
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

// pageDriver works the sandbox page in one tab.
type pageDriver struct {
	t    *testing.T
	ctx  context.Context
	logs *testio.Buffer
	// last is, per phone, the newest message whose button was pressed: the
	// next question is a message after it.
	last map[string]int
	// axeJS is axe-core's source, injected into the page when needed.
	axeJS string
}

// newReporter picks a language on the reporter's phone, which starts a new
// reporter, and returns the new user's id.
func (d *pageDriver) newReporter(lang string) string {
	d.t.Helper()
	before := d.eval(`(() => document.querySelector('section.panel[data-role="reporter"]').dataset.userId)()`)["value"]
	d.eval(fmt.Sprintf(`(() => {
		const s = document.querySelector('section.panel[data-role="reporter"] select.lang-select');
		s.value = %q;
		s.dispatchEvent(new Event("change", { bubbles: true }));
		return true;
	})()`, lang))
	v := d.poll("a new reporter in "+lang, `(before, lang) => {
		const p = document.querySelector('section.panel[data-role="reporter"]');
		return p.dataset.userId !== before && p.querySelector(".messages").lang === lang && p.dataset.userId;
	}`, before, lang)
	id, _ := v.(string)
	d.last["reporter"] = 0
	return id
}

// waitTrail waits until the checklist shows the steps done of case ref as
// done, and the steps pending as not done.
func (d *pageDriver) waitTrail(ref string, done, pending []string) {
	d.t.Helper()
	d.poll(fmt.Sprintf("the checklist of %s to show %v done and %v not yet", ref, done, pending), `(ref, done, pending) => {
		const c = [...document.querySelectorAll("li.case")].find((li) => li.dataset.ref === ref);
		if (!c) return false;
		done = done || [];
		pending = pending || [];
		const steps = [...c.querySelectorAll("li.case-step")];
		return steps.length === 5 && steps.every((s) =>
			(!done.includes(s.dataset.step) || s.dataset.done === "true") &&
			(!pending.includes(s.dataset.step) || s.dataset.done === "false"));
	}`, ref, done, pending)
}

// axe runs axe-core on the page and fails the test on any violation.
func (d *pageDriver) axe(when string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, browserStep)
	defer cancel()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object"`))
	if err == nil && !loaded {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](d.axeJS+"\n;true"))
	}
	if err != nil {
		d.fail("inject axe-core: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, { resultTypes: ["violations"] }).then((r) =>
		r.violations.map((v) => v.id + " (" + v.impact + "): " + v.help + "\n" +
			v.nodes.slice(0, 5).map((n) => "    " + n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\n/g, " ")).join("\n")).join("\n"))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		d.fail("run axe-core (%s): %v", when, err)
	}
	if got != "" {
		d.t.Errorf("axe-core finds accessibility violations on %s:\n%s", when, got)
	}
}

// pageMessage is a message of a phone, as the page shows it.
type pageMessage struct {
	ID        int      `json:"id"`
	Text      string   `json:"text"`
	Data      string   `json:"data"` // the button found, if any
	Actions   []string `json:"actions"`
	Protected bool     `json:"protected"`
}

func (m pageMessage) has(action string) bool {
	for _, a := range m.Actions {
		if a == action {
			return true
		}
	}
	return false
}

// browserMessageJS describes a message element as a pageMessage.
const browserMessageJS = `(m, data) => ({
	id: Number(m.dataset.messageId),
	text: (m.querySelector(".msg-text") || { textContent: "" }).textContent,
	data: data || "",
	actions: [...m.querySelectorAll("button.kb-button")].map((b) => b.dataset.action || ""),
	protected: m.querySelector(".protected") !== null,
})`

// fail stops the test with what both phones show and the sandbox's log.
func (d *pageDriver) fail(format string, args ...any) {
	d.t.Helper()
	logs := d.logs.String()
	if len(logs) > 4000 {
		logs = "…" + logs[len(logs)-4000:]
	}
	d.t.Fatalf("%s\n\nreporter's phone:\n%s\n\nreviewer's phone:\n%s\n\nchecklist:\n%s\n\nsandbox log:\n%s",
		fmt.Sprintf(format, args...), d.transcript("reporter"), d.transcript("reviewer"), d.checklist(), logs)
}

func (d *pageDriver) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		d.fail("%s: %v", what, err)
	}
}

func (d *pageDriver) eval(expr string) map[string]any {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		d.fail("evaluate %.60q: %v", expr, err)
	}
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{"value": v}
}

// waitFor waits until the JavaScript function fn returns true.
func (d *pageDriver) waitFor(what, fn string) {
	d.t.Helper()
	d.poll(what, fn)
}

// poll waits until fn, given args, returns a truthy value, and returns it.
func (d *pageDriver) poll(what, fn string, args ...any) any {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, browserStep+time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.PollFunction[any](fn,
		chromedp.WithPollingArgs(args...),
		chromedp.WithPollingInterval(100*time.Millisecond),
		chromedp.WithPollingTimeout(browserStep)))
	if err != nil {
		d.fail("waiting for %s: %v", what, err)
	}
	return v
}

func (d *pageDriver) pollMessage(what, fn string, args ...any) pageMessage {
	d.t.Helper()
	v := d.poll(what, fn, args...)
	m, ok := v.(map[string]any)
	if !ok {
		d.fail("waiting for %s: got %v", what, v)
	}
	var pm pageMessage
	id, _ := m["id"].(float64)
	pm.ID = int(id)
	pm.Text, _ = m["text"].(string)
	pm.Data, _ = m["data"].(string)
	pm.Protected, _ = m["protected"].(bool)
	if as, ok := m["actions"].([]any); ok {
		for _, a := range as {
			s, _ := a.(string)
			pm.Actions = append(pm.Actions, s)
		}
	}
	return pm
}

// waitButton waits for the newest bot message after message minID with an
// enabled button for action: callback data "ACTION~SIGNATURE", or data
// starting with action when prefix is set.
func (d *pageDriver) waitButton(role, action string, minID int, prefix bool) pageMessage {
	d.t.Helper()
	return d.pollMessage(fmt.Sprintf("a %s button on the %s's phone", action, role), `(role, action, minId, prefix) => {
		const describe = `+browserMessageJS+`;
		const msgs = [...document.querySelectorAll('section.panel[data-role="' + role + '"] .messages > .msg.bot')]
			.filter((m) => Number(m.dataset.messageId) > minId).reverse();
		for (const m of msgs) {
			for (const b of m.querySelectorAll("button.kb-button")) {
				const data = b.dataset.data || "";
				if (b.disabled) continue;
				if (prefix ? data.startsWith(action) : (data.startsWith(action + "~") || data.startsWith(action + "!"))) return describe(m, data);
			}
		}
		return null;
	}`, role, action, minID, prefix)
}

// nextQuestion waits for the reporter's next question after the last press,
// and picks its answer: send allowing contact, else skip, else the first
// answer.
func (d *pageDriver) nextQuestion(role string) pageMessage {
	d.t.Helper()
	return d.pollMessage("the next question on the "+role+"'s phone", `(role, minId) => {
		const describe = `+browserMessageJS+`;
		const msgs = [...document.querySelectorAll('section.panel[data-role="' + role + '"] .messages > .msg.bot')]
			.filter((m) => Number(m.dataset.messageId) > minId).reverse();
		for (const m of msgs) {
			const buttons = [...m.querySelectorAll("button.kb-button")].filter((b) => !b.disabled && b.dataset.data);
			const pick = buttons.find((b) => b.dataset.data.startsWith("send:contact~")) ||
				buttons.find((b) => b.dataset.data.startsWith("skip~")) ||
				buttons.find((b) => b.dataset.data.startsWith("a:"));
			if (pick) return describe(m, pick.dataset.data);
		}
		return null;
	}`, role, d.last[role])
}

// waitMessage waits for the newest message after minID on a phone for which
// match, a JavaScript function of the message element, returns true. match
// may use id and ref, which hold the values given.
func (d *pageDriver) waitMessage(what, role string, minID int, match string, id int, ref string) pageMessage {
	d.t.Helper()
	return d.pollMessage(what, `(role, minId, id, ref) => {
		const describe = `+browserMessageJS+`;
		const match = `+match+`;
		const msgs = [...document.querySelectorAll('section.panel[data-role="' + role + '"] .messages > .msg')]
			.filter((m) => Number(m.dataset.messageId) > minId).reverse();
		const m = msgs.find(match);
		return m ? describe(m, "") : null;
	}`, role, minID, id, ref)
}

// press waits for a button on a phone's newest messages and taps it.
func (d *pageDriver) press(role, action string, prefix bool) pageMessage {
	d.t.Helper()
	m := d.waitButton(role, action, d.last[role], prefix)
	d.clickButton(role, m)
	return m
}

// clickButton taps the button m.Data of message m. A tap is a real click
// at the button's place on screen; when a message arrives on that phone
// between finding the place and clicking it, the chat scrolls and the
// click lands beside the button, so a tap the button did not get is made
// again.
func (d *pageDriver) clickButton(role string, m pageMessage) {
	d.t.Helper()
	css := fmt.Sprintf(`section.panel[data-role=%q] .msg[data-message-id="%d"] button.kb-button[data-data=%q]`, role, m.ID, m.Data)
	watch := fmt.Sprintf(`(() => {
		const b = document.querySelector(%q);
		if (!b) return false;
		window.tiplineTapped = false;
		b.addEventListener("click", () => { window.tiplineTapped = true; }, { once: true });
		return true;
	})()`, css)
	for try := 1; ; try++ {
		if d.eval(watch)["value"] != true {
			d.fail("tap %s: the button is not on the %s's phone", m.Data, role)
		}
		d.click("tap "+m.Data, css)
		for range 10 {
			if d.eval(`window.tiplineTapped === true`)["value"] == true {
				d.last[role] = m.ID
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		if try == 3 {
			d.fail("tap %s: the button never got the click", m.Data)
		}
		d.t.Logf("tap %s: the click missed the button (the chat moved); tapping again", m.Data)
	}
}

func (d *pageDriver) click(what, css string) {
	d.t.Helper()
	d.do(what, chromedp.Click(chromedp.CSS(css)))
}

// typeAndSend types text in a phone's composer, sends it, and waits for it
// in the chat.
func (d *pageDriver) typeAndSend(role, text string) {
	d.t.Helper()
	panel := fmt.Sprintf(`section.panel[data-role=%q]`, role)
	d.do("type on the "+role+"'s phone",
		chromedp.SendKeys(chromedp.CSS(panel+" textarea.text"), text),
		chromedp.Click(chromedp.CSS(panel+" button.send")))
	d.poll("the typed message on the "+role+"'s phone", `(role, text) =>
		[...document.querySelectorAll('section.panel[data-role="' + role + '"] .messages > .msg.user .msg-text')]
			.some((t) => t.textContent === text) &&
		document.querySelector('section.panel[data-role="' + role + '"] textarea.text').value === ""`, role, text)
}

var browserReferenceRE = regexp.MustCompile(`^TL-[0-9A-Z]{4}-[0-9A-Z]{4}$`)

// waitReference waits for the bot to give a phone a case reference after
// the last press, and returns it and the message that gave it.
func (d *pageDriver) waitReference(role string) (string, int) {
	d.t.Helper()
	v := d.poll("a case reference on the "+role+"'s phone", `(role, minId) => {
		const msgs = [...document.querySelectorAll('section.panel[data-role="' + role + '"] .messages > .msg.bot')]
			.filter((m) => Number(m.dataset.messageId) > minId);
		for (const m of msgs) {
			const found = (m.textContent || "").match(/TL-[0-9A-Z]{4}-[0-9A-Z]{4}/);
			if (found) return { ref: found[0], id: Number(m.dataset.messageId) };
		}
		return null;
	}`, role, d.last[role])
	m, _ := v.(map[string]any)
	ref, _ := m["ref"].(string)
	id, _ := m["id"].(float64)
	if !browserReferenceRE.MatchString(ref) || id <= 0 {
		d.fail("got reference %v", v)
	}
	return ref, int(id)
}

// trail reads the case trail's entry for ref: each step's data-done, the
// text of the taken step, and whether it is marked urgent.
func (d *pageDriver) trail(ref string) map[string]string {
	d.t.Helper()
	v := d.poll("the case "+ref+" in the trail", `(ref) => {
		const c = [...document.querySelectorAll("li.case")].find((li) => li.dataset.ref === ref);
		if (!c) return null;
		const out = { urgent: String(c.querySelector(".case-urgent") !== null) };
		for (const s of c.querySelectorAll("li.case-step")) {
			out[s.dataset.step] = s.dataset.done;
			out[s.dataset.step + "_text"] = s.textContent;
		}
		return out;
	}`, ref)
	out := map[string]string{}
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			out[k], _ = x.(string)
		}
	}
	return out
}

// checklist is what "Cases on this page" shows, for failures.
func (d *pageDriver) checklist() string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(d.ctx), 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("li.case")].map((c) =>
		c.dataset.ref + ": " + [...c.querySelectorAll("li.case-step")].map((s) => s.dataset.step + "=" + s.dataset.done).join(" ")).join("\n") || "(no case)"`))
	if err != nil {
		return fmt.Sprintf("(cannot read the page: %v)", err)
	}
	return s
}

// transcript is what a phone shows, one line a message, for failures.
func (d *pageDriver) transcript(role string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(d.ctx), 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		const p = document.querySelector('section.panel[data-role=%q]');
		if (!p) return "(no such phone)";
		const lines = [...p.querySelectorAll(".messages > .msg")].map((m) =>
			"#" + m.dataset.messageId + " " + m.dataset.from + ": " +
			(m.querySelector(".msg-text") || { textContent: "" }).textContent.replace(/\n/g, " / ") +
			[...m.querySelectorAll("button.kb-button")].map((b) => " [" + b.textContent + " = " + (b.dataset.action || "-") + "]").join(""));
		const err = p.querySelector("p.error");
		if (err && !err.hidden) lines.push("error: " + err.textContent);
		return lines.join("\n") || "(no messages)";
	})()`, role)))
	if err != nil {
		return fmt.Sprintf("(cannot read the page: %v)", err)
	}
	return s
}

// screenshot takes the whole page as a PNG and checks it is one.
func (d *pageDriver) screenshot() []byte {
	d.t.Helper()
	// Let the last renders and fonts settle before the picture.
	d.waitFor("fonts", `() => document.fonts.status === "loaded"`)
	ctx, cancel := context.WithTimeout(d.ctx, browserStep)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		d.fail("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		d.fail("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); len(shot) == 0 || b.Dx() < 800 || b.Dy() < 600 {
		d.fail("screenshot is %d bytes, %v", len(shot), b)
	}
	return shot
}
