package main

import (
	"context"
	"fmt"
	"html/template"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/testio"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/places"
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
	var partners []int64
	for _, p := range []struct {
		name string
		kind tipline.PartnerKind
	}{{"Anti-Human Trafficking and Juvenile Protection Department, Banteay Meanchey", tipline.PartnerPolice}, {"APLE Cambodia", tipline.PartnerNGO}} {
		pt, err := e.db.AddPartner(ctx, p.name, p.kind, "KH")
		if err != nil {
			t.Fatal(err)
		}
		partners = append(partners, pt.ID)
	}
	for i := range 64 {
		at := start.Add(time.Duration(rng.IntN(56*24)) * time.Hour)
		kind, urgency := tipline.KindTip, tipline.UrgencyNormal
		if rng.IntN(4) == 0 {
			kind, urgency = tipline.KindMissing, tipline.UrgencyUrgent
		} else if rng.IntN(3) == 0 {
			urgency = tipline.UrgencyUrgent
		}
		// Where: typed in English, Khmer or Thai, or a point shared in
		// Chiang Mai, or words that name no province and no point.
		answers := tipline.Answers{"what": "Canaryreport tip", "name": "Canaryname"}
		point := &tipline.Location{Latitude: 11.5564, Longitude: 104.9282}
		switch i % 6 {
		case 0:
			answers["where"] = "Siem Reap"
		case 1:
			answers["seen_where"] = "ផ្សារភ្នំពេញ"
		case 2:
			answers["where"] = "Paoy Paet Canarymarket"
		case 3:
			answers["where"] = "กรุงเทพฯ"
		case 4:
			answers["where"], point = "behind the Canaryschool", nil
		case 5:
			point = &tipline.Location{Latitude: 18.7877, Longitude: 98.9931}
		}
		ref := e.opsCaseAt(t, kind, urgency, at, answers, point)
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
		if kind == tipline.KindTip {
			if err := e.db.Classify(ctx, ref, who, tipline.Exploitations[rng.IntN(len(tipline.Exploitations))], tipline.RiskMedium, at.Add(wait)); err != nil {
				t.Fatal(err)
			}
		}
		if i%4 != 3 {
			closeAt := at.Add(wait + time.Duration(rng.IntN(72))*time.Hour)
			o := outcomes[rng.IntN(len(outcomes))]
			var err error
			if o == tipline.OutcomePartner {
				err = e.db.Refer(ctx, ref, who, partners[rng.IntN(len(partners))], closeAt)
			} else {
				err = e.db.CloseCase(ctx, ref, who, o, closeAt)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestReportInBrowser: the board report in English, Khmer and Thai, drawn
// by Chromium: every chart drawn, nothing fetched, no script, the
// catalogue's words in each language; reviewers are named only with
// --names; an existing file is never replaced. TIPLINE_UPDATE_SCREENSHOT
// writes docs/report.png, docs/report-km.png and docs/report-th.png.
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
	dir := t.TempDir()
	write := func(out string, args ...string) string {
		t.Helper()
		args = append([]string{"report", "--from", "2026-10-05", "--to", "2026-11-29", "--title", "Tipline Cambodia", "--out", out}, args...)
		if msg, err := e.runCLI(t, args...); err != nil {
			t.Fatalf("report %v: %v\n%s", args, err, msg)
		}
		page, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
			t.Errorf("report file mode %v, want 0600", st.Mode().Perm())
		}
		return string(page)
	}
	named := write(filepath.Join(dir, "named.html"), "--names")
	if !strings.Contains(named, "Sokha") {
		t.Error("--names: the reviewers are not named")
	}
	if _, err := e.runCLI(t, "report", "--out", filepath.Join(dir, "named.html")); err == nil {
		t.Error("the report replaced an existing file")
	}
	cat := locales.MustLoad()
	for _, lang := range []string{"en", "km", "th"} {
		out := filepath.Join(dir, "report-"+lang+".html")
		html := write(out, "--lang", lang)
		for _, banned := range []string{"<script", "src=", "href=", "http://", "https://", "@import", "Canary", "TL-", "<img", "<link", "Sokha"} {
			if strings.Contains(html, banned) {
				t.Errorf("%s: the report holds %q: it must be self-contained, hold no content and name no reviewer without --names", lang, banned)
			}
		}
		// url( only for the swatches' patterns, drawn in the page itself.
		if strings.Count(html, "url(") != strings.Count(html, "url(#sw-") {
			t.Errorf("%s: the report points at something outside the page", lang)
		}
		if n := strings.Count(html, "<svg"); n != 13 {
			t.Errorf("%s: the report has %d SVGs, want 12 charts and the swatches' patterns", lang, n)
		}
		for _, id := range []string{"board_chart_kind", "board_chart_exploitation", "board_chart_found", "board_chart_language", "board_chart_outcome", "board_chart_ack", "board_chart_load", "board_chart_referrals",
			"board_chart_country", "board_chart_province", "board_place_unknown", "country_kh", "country_th"} {
			if want := template.HTMLEscapeString(cat.Text(lang, id, nil)); !strings.Contains(html, want) {
				t.Errorf("%s: the report lacks %q", lang, want)
			}
		}
		if !strings.Contains(html, ">64<") {
			t.Errorf("%s: the report does not count the 64 cases", lang)
		}
		// Every sixth case names each of Siem Reap, Phnom Penh, Banteay
		// Meanchey (by a town), Bangkok, nothing, or shares a point in Chiang
		// Mai: 11 of 64 for the first four, 10 for the last two.
		for _, key := range []string{"KH/Siem Reap", "KH/Phnom Penh", "KH/Banteay Meanchey", "TH/Bangkok", "TH/Chiang Mai"} {
			p, _ := places.ByKey(key)
			n := 11
			if key == "TH/Chiang Mai" {
				n = 10
			}
			if want := fmt.Sprintf("<title>%s: %d ", template.HTMLEscapeString(p.Name(lang)), n); !strings.Contains(html, want) {
				t.Errorf("%s: the report lacks the bar %q", lang, want)
			}
		}
		if !strings.Contains(html, "<title>"+template.HTMLEscapeString(cat.Text(lang, "board_kind_missing", nil))+", ") {
			t.Errorf("%s: no bar for missing children", lang)
		}
		shot := browseReport(t, chromium, out)
		if os.Getenv("TIPLINE_UPDATE_SCREENSHOT") != "" {
			name := "../../docs/report.png"
			if lang != "en" {
				name = "../../docs/report-" + lang + ".png"
			}
			if err := os.WriteFile(name, shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// browseReport opens a report in headless Chromium, checks every chart is
// drawn, nothing is fetched and no script runs, and returns a screenshot.
func browseReport(t *testing.T, chromium, path string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), browserWhole)
	defer cancel()
	opts := chromiumOptions(t, chromium, 1000, 900)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	tab, tcancel := chromedp.NewContext(actx)
	defer tcancel()
	exceptions := watchExceptions(tab)
	d := &pageDriver{t: t, ctx: tab, logs: &testio.Buffer{}, last: map[string]int{}}
	d.do("open the report", chromedp.Navigate("file://"+path))
	d.waitFor("the page", `() => document.readyState === "complete"`)
	got := d.eval(`(() => ({
		charts: [...document.querySelectorAll("svg")].filter(s => s.getBoundingClientRect().width > 600 && s.getBoundingClientRect().height > 80).length,
		bars: document.querySelectorAll("svg rect title").length,
		fetched: performance.getEntriesByType("resource").length,
		scripts: document.scripts.length,
		overflow: document.documentElement.scrollWidth > window.innerWidth,
	}))()`)
	if got["charts"] != float64(12) || got["bars"].(float64) < 30 || got["fetched"] != float64(0) || got["scripts"] != float64(0) || got["overflow"] != false {
		t.Errorf("%s in Chromium: %v; want 12 drawn charts, bars with titles, nothing fetched, no script, nothing wider than the page", path, got)
	}
	if ex := exceptions(); len(ex) > 0 {
		t.Errorf("exceptions in the page: %v", ex)
	}
	return d.screenshot()
}
