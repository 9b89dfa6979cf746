package main

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/storagetest"
)

// seedReport stores eight weeks of cases worked by three reviewers:
// some taken fast, some late, some escalated by hand, most closed.
func seedReport(t *testing.T, e *testEnv, start time.Time) {
	t.Helper()
	ctx := context.Background()
	ids := []int64{e.opsReviewer(t, "Sokha", 7_300_200_001), e.opsReviewer(t, "Nok", 7_300_200_002), e.opsReviewer(t, "Dara", 7_300_200_003)}
	rng := rand.New(rand.NewPCG(13, 2026))
	outcomes := tipline.Outcomes
	for i := range 64 {
		at := start.Add(time.Duration(rng.IntN(56*24)) * time.Hour)
		kind, urgency := tipline.KindTip, tipline.UrgencyNormal
		if rng.IntN(4) == 0 {
			kind, urgency = tipline.KindMissing, tipline.UrgencyUrgent
		} else if rng.IntN(3) == 0 {
			urgency = tipline.UrgencyUrgent
		}
		ref := e.opsCase(t, kind, urgency, at, tipline.Answers{"what": "Canaryreport tip", "name": "Canaryname"})
		if i%9 == 8 {
			continue // never taken
		}
		who := ids[rng.IntN(len(ids))]
		if i%5 == 0 {
			if err := e.db.Escalate(ctx, ref, who, 2, at.Add(3*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		wait := time.Duration(1+rng.ExpFloat64()*12) * time.Minute
		if _, _, err := e.db.Acknowledge(ctx, ref, who, at.Add(wait)); err != nil {
			t.Fatal(err)
		}
		if i%4 != 3 {
			if err := e.db.CloseCase(ctx, ref, who, outcomes[rng.IntN(len(outcomes))], at.Add(wait+time.Duration(rng.IntN(72))*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestReportInBrowser: tipline report writes one HTML file with no script
// and nothing fetched from elsewhere, and no content; headless Chromium
// draws its six charts. TIPLINE_UPDATE_SCREENSHOT=1 writes docs/report.png.
func TestReportInBrowser(t *testing.T) {
	storagetest.SkipShort(t, "Chromium, PostgreSQL and Redis")
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed: run ./scripts/test, which installs Debian's chromium package (%v)", err)
	}
	e := newTestEnv(t)
	loc, err := time.LoadLocation("Asia/Phnom_Penh")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, loc) // a Monday
	seedReport(t, e, start)
	out := filepath.Join(t.TempDir(), "report.html")
	if msg, err := e.runCLI(t, "report", "--from", "2026-10-05", "--to", "2026-11-29", "--title", "Tipline Cambodia", "--out", out); err != nil {
		t.Fatalf("report: %v\n%s", err, msg)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, banned := range []string{"<script", "src=", "href=", "http://", "https://", "@import", "url(", "Canary", "TL-", "<img", "<link"} {
		if strings.Contains(html, banned) {
			t.Errorf("the report holds %q: it must be self-contained and hold no content", banned)
		}
	}
	if n := strings.Count(html, "<svg"); n != 6 {
		t.Errorf("the report has %d charts, want 6", n)
	}
	for _, want := range []string{"Cases per week, by kind", "by urgency", "by outcome", "Time to acknowledge", "Escalations", "Load on each reviewer", "Sokha", ">64<"} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`Missing child, week of [^:]+: (\d+) cases`).FindStringSubmatch(html); m == nil {
		t.Error("no bar for missing children")
	}

	ctx, cancel := context.WithTimeout(context.Background(), browserWhole)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "en-US"), chromedp.WindowSize(1000, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	tab, tcancel := chromedp.NewContext(actx)
	defer tcancel()
	exceptions := watchExceptions(tab)
	d := &pageDriver{t: t, ctx: tab, logs: &syncBuffer{}, last: map[string]int{}}
	d.do("open the report", chromedp.Navigate("file://"+out))
	d.waitFor("the page", `() => document.readyState === "complete"`)
	got := d.eval(`(() => ({
		charts: [...document.querySelectorAll("svg")].filter(s => s.getBoundingClientRect().width > 600 && s.getBoundingClientRect().height > 80).length,
		bars: document.querySelectorAll("svg rect title").length,
		fetched: performance.getEntriesByType("resource").length,
		scripts: document.scripts.length,
	}))()`)
	if got["charts"] != float64(6) || got["bars"].(float64) < 30 || got["fetched"] != float64(0) || got["scripts"] != float64(0) {
		t.Errorf("in Chromium: %v; want 6 drawn charts, bars with titles, nothing fetched, no script", got)
	}
	if ex := exceptions(); len(ex) > 0 {
		t.Errorf("exceptions in the page: %v", ex)
	}
	shot := d.screenshot()
	if os.Getenv("TIPLINE_UPDATE_SCREENSHOT") != "" {
		if err := os.WriteFile("../../docs/report.png", shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
