package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/export"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage/storagetest"
)

// partnerCase files a case straight in the store, in the reporter's
// language, with a photo and its caption, and returns its reference.
func (e *testEnv) partnerCase(t *testing.T, kind tipline.Kind, lang string, answers tipline.Answers, caption string) tipline.Reference {
	t.Helper()
	ref := tipline.NewReference()
	_, _, err := e.db.SubmitCase(context.Background(), tipline.NewCase{
		DraftID: "pex-" + string(ref), Reference: ref, Kind: kind, Urgency: tipline.UrgencyUrgent, Lang: lang,
		Reporter: "pseudonym-" + string(ref), ReporterChatID: 7_300_000_002, ContactAllowed: true,
		Answers: answers, SubmittedAt: time.Date(2026, 12, 1, 8, 5, 0, 0, time.UTC),
		Attachments: []tipline.Attachment{{Kind: tipline.AttachPhoto, FileID: "f-" + string(ref), FileUniqueID: "u-" + string(ref), Question: "photos", Caption: caption}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestExportToPartner: referrals are the unit of sharing. An export to a
// partner holds exactly the cases referred to it (a case referred to two
// partners goes to both), encrypted to the key stored with it, with the
// audit naming the partner; what was added since its last export is
// marked; the CSV is in the partner's language with a BOM and reads back
// in LibreOffice with Khmer and Thai intact; a missing child's later news
// goes as dated PFIF notes that the published schema accepts.
func TestExportToPartner(t *testing.T) {
	for _, tool := range []string{"xmllint", "soffice"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: ./scripts/test installs it (libxml2-utils, libreoffice-calc-nogui)", tool)
		}
	}
	ctx := context.Background()
	e := newTestEnv(t)
	keyOf := func() (*age.X25519Identity, string) {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		return id, id.Recipient().String()
	}
	unitKey, unitPub := keyOf()
	ngoKey, ngoPub := keyOf()
	out, err := e.runCLI(t, "partners", "add", "--name", "Anti-trafficking police, Poipet", "--kind", "police", "--country", "KH", "--age-recipient", unitPub)
	if err != nil {
		t.Fatalf("partners add: %v\n%s", err, out)
	}
	unit := mustPartnerID(t, out)
	out, err = e.runCLI(t, "partners", "add", "--name", "APLE Cambodia", "--kind", "ngo", "--country", "KH")
	if err != nil {
		t.Fatalf("partners add: %v\n%s", err, out)
	}
	ngo := mustPartnerID(t, out)
	if out, err := e.runCLI(t, "partners", "add", "--name", "X", "--kind", "ngo", "--country", "KH", "--age-recipient", "not-a-key"); err == nil {
		t.Fatalf("partners add took a bad key:\n%s", out)
	}
	dir := t.TempDir()
	// No key yet: nothing is written.
	if out, err := e.runCLI(t, "export", "--partner", strconv.FormatInt(ngo, 10), "--kind", "tip", "--out", filepath.Join(dir, "none.age")); err == nil || !strings.Contains(err.Error(), "partners key") {
		t.Fatalf("export to a partner without a key: %v\n%s", err, out)
	}
	if out, err := e.runCLI(t, "partners", "key", strconv.FormatInt(ngo, 10), ngoPub); err != nil {
		t.Fatalf("partners key: %v\n%s", err, out)
	}

	rv := e.opsReviewer(t, "Dara", 7_300_900_001)
	khmer := "ក្មេងស្រីម្នាក់ត្រូវបានគេនាំទៅធ្វើការនៅបាងកក"
	thai := "ภาพนี้ถ่ายที่ตลาดโรงเกลือ"
	both := e.partnerCase(t, tipline.KindTip, "km", tipline.Answers{"what": khmer, "danger": "yes", "when": "today", "children": "1", "ages": "12_17", tipline.AnswerHappening: "sale"}, thai)
	ngoOnly := e.partnerCase(t, tipline.KindTip, "th", tipline.Answers{"what": "ngo only"}, "")
	notReferred := e.partnerCase(t, tipline.KindTip, "en", tipline.Answers{"what": "Canarynotreferred"}, "")
	missing := e.partnerCase(t, tipline.KindMissing, "km", tipline.Answers{"name": "Srey Pov", "age": "12_17", "sex": "girl", "relation": "grandparent", "phone": "+85512345678", "appeal": "yes", "police": "no"}, "ស្រីពៅ ខែមុន")
	private := e.partnerCase(t, tipline.KindMissing, "th", tipline.Answers{"name": "Nok", "appeal": "no", "relation": "parent"}, "")
	// The photos were fetched from Telegram; only the family who agreed
	// to a public appeal sees theirs go to a partner.
	photo := []byte("\xff\xd8\xff a photo of Srey Pov")
	for _, ref := range []tipline.Reference{missing, private} {
		if err := e.db.SaveAttachmentContent(ctx, ref, "u-"+string(ref), append(photo, ref...)); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, ref := range []tipline.Reference{both, ngoOnly, notReferred, missing, private} {
		if _, _, err := e.db.Acknowledge(ctx, ref, rv, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.db.Classify(ctx, both, rv, tipline.ExploitLabour, tipline.RiskHigh, at); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		ref     tipline.Reference
		partner int64
	}{{both, unit}, {both, ngo}, {ngoOnly, ngo}, {missing, unit}, {private, unit}} {
		if err := e.db.Refer(ctx, r.ref, rv, r.partner, at); err != nil {
			t.Fatalf("refer %s to %d: %v", r.ref, r.partner, err)
		}
	}
	// The family's news after the report: the best lead.
	if err := storagetest.AddToCase(ctx, e.db, missing, tipline.Addition{Actor: "reporter:p", Text: "A woman named Ann invited her to work in Bangkok", At: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// The police unit's tips: only the one referred to it, in Khmer.
	unitArg := strconv.FormatInt(unit, 10)
	tips := filepath.Join(dir, "unit-tips.age")
	if out, err := e.runCLI(t, "export", "--partner", unitArg, "--kind", "tip", "--lang", "km", "--out", tips); err != nil {
		t.Fatalf("export --partner: %v\n%s", err, out)
	}
	plain := decrypt(t, tips, unitKey)
	if !bytes.HasPrefix(plain, []byte("\ufeff")) {
		t.Fatal("no UTF-8 BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(plain, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][0] != string(both) {
		t.Fatalf("the unit's export holds %q, want only %s (not %s, %s)", rows, both, ngoOnly, notReferred)
	}
	cell := func(row []string, col string) string { return row[slices.Index(export.CSVColumns, col)] }
	km := func(id string) string { return locales.MustLoad().Text("km", id, nil) }
	for col, want := range map[string]string{
		// Dates in the team's time zone (UTC+7 here), as dates.
		"submitted_at": "2026-12-01 15:05", "what": khmer, "file_words": thai,
		// The catalogue's words, not codes.
		"kind": km("kind_tip"), "exploitation": km("exploitation_labour"), "risk": km("risk_high"),
		"reporter_says_happening": km("exploitation_sale"), "ages": km("answer_ages_12_17"), "when": km("answer_when_today"),
	} {
		if got := cell(rows[1], col); got != want {
			t.Errorf("column %s = %q, want %q", col, got, want)
		}
	}
	if rows[0][0] != "ករណី" {
		t.Errorf("header %q, want Khmer", rows[0])
	}
	if out, _ := e.runCLI(t, "audit", string(both)); !strings.Contains(out, "exported_csv:partner:"+unitArg) {
		t.Errorf("the audit does not name the partner:\n%s", out)
	}
	readBackInLibreOffice(t, plain, khmer, thai)

	// The same case goes to the NGO as well, to its own key; the unit's
	// key cannot open it.
	ngoTips := filepath.Join(dir, "ngo-tips.age")
	if out, err := e.runCLI(t, "export", "--partner", strconv.FormatInt(ngo, 10), "--kind", "tip", "--out", ngoTips); err != nil {
		t.Fatalf("export --partner ngo: %v\n%s", err, out)
	}
	ngoRows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(decrypt(t, ngoTips, ngoKey), []byte("\ufeff")))).ReadAll()
	if err != nil || len(ngoRows) != 3 {
		t.Fatalf("the NGO's export: %q, %v; want its two cases", ngoRows, err)
	}
	if f, _ := os.Open(ngoTips); f != nil {
		if _, err := age.Decrypt(f, unitKey); err == nil {
			t.Error("the police unit's key opens the NGO's export")
		}
		f.Close()
	}

	// The missing child: PFIF with the family's later news as a dated
	// note, who reported, and the way to reach the family.
	pfif := filepath.Join(dir, "unit-missing.age")
	if out, err := e.runCLI(t, "export", "--partner", unitArg, "--kind", "missing", "--domain", "ngo.example.org", "--out", pfif); err != nil {
		t.Fatalf("export missing: %v\n%s", err, out)
	}
	files := untar(t, decrypt(t, pfif, unitKey))
	doc := files["missing.xml"]
	if got := files["photos/"+string(missing)+".jpg"]; !bytes.Equal(got, append(photo, missing...)) {
		t.Errorf("the appeal photo is not beside the XML: %q", got)
	}
	if _, ok := files["photos/"+string(private)+".jpg"]; ok || len(files) != 2 {
		t.Errorf("the archive holds %d files, among them a photo the family did not agree to share", len(files))
	}
	if !bytes.Contains(doc, []byte("<pfif:photo_url>photos/"+string(missing)+".jpg</pfif:photo_url>")) || bytes.Count(doc, []byte("photo_url")) != 2 {
		t.Errorf("photo_url is not set for the appeal only:\n%s", doc)
	}
	check := filepath.Join(t.TempDir(), "check.xml")
	if err := os.WriteFile(check, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xmllint", "--noout", "--relaxng", "../../export/testdata/pfif-1.4.rng", check).CombinedOutput(); err != nil {
		t.Fatalf("PFIF does not validate: %v\n%s\n%s", err, out, doc)
	}
	if notes := xmlChildren(t, doc, "note"); len(notes) != 3 {
		t.Fatalf("want each report's note and the later news, got %d notes:\n%s", len(notes), doc)
	}
	inKhmer := km("rv_label_relation") + ": " + km("answer_relation_grandparent")
	for _, want := range []string{"Added later by the family: A woman named Ann invited her to work in Bangkok", "2026-12-01T10:00:00Z",
		"Reported by: Grandparent.", "phone +855 12 345 678", "Written with a photo: ស្រីពៅ ខែមុន",
		// The family's answers in their own language too.
		inKhmer} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("PFIF lacks %q:\n%s", want, doc)
		}
	}

	// Later news on the tip: the next export to the unit marks it as new.
	if err := storagetest.AddToCase(ctx, e.db, both, tipline.Addition{Actor: "reporter:p", Text: "Canarynews the van is white", At: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(dir, "unit-tips-2.age")
	if out, err := e.runCLI(t, "export", "--partner", unitArg, "--kind", "tip", "--out", again); err != nil {
		t.Fatalf("export again: %v\n%s", err, out)
	}
	rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(decrypt(t, again, unitKey), []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) != 2 || !strings.Contains(cell(rows[1], "added_since_last_export"), "Canarynews the van is white") {
		t.Fatalf("second export %q, %v; want the news marked new", rows, err)
	}
	if out, err := e.runCLI(t, "export", "--partner", unitArg, "--to", ngoPub, "--kind", "tip", "--out", filepath.Join(dir, "x.age")); err == nil {
		t.Fatalf("--partner with --to: %s", out)
	}
}

func mustPartnerID(t *testing.T, out string) int64 {
	t.Helper()
	m := regexp.MustCompile(`Partner (\d+) added`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no partner id in %q", out)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// readBackInLibreOffice opens the CSV in LibreOffice as its import dialog
// offers it (UTF-8, comma, dates detected), saves it as XLSX and checks
// the words came through, the BOM left no trace in the first header, and
// the date is a date. (Headless, LibreOffice takes no hint from the BOM;
// the BOM is for Excel on Windows.)
func readBackInLibreOffice(t *testing.T, csvBytes []byte, words ...string) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "tips.csv")
	if err := os.WriteFile(in, csvBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("soffice", "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--infilter=CSV:44,34,76,1,,1033,false,true", "--convert-to", "xlsx", "--outdir", dir, in)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	z, err := zip.OpenReader(filepath.Join(dir, "tips.xlsx"))
	if err != nil {
		t.Fatalf("LibreOffice wrote no spreadsheet: %v", err)
	}
	defer z.Close()
	read := func(name string) string {
		for _, f := range z.File {
			if f.Name == name {
				r, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				b, _ := io.ReadAll(r)
				return string(b)
			}
		}
		t.Fatalf("%s not in the spreadsheet", name)
		return ""
	}
	shared := read("xl/sharedStrings.xml")
	if !strings.Contains(shared, `<si><t xml:space="preserve">`+export.CSVHeader("km")[0]+`</t></si>`) {
		t.Errorf("the first header did not come through clean:\n%s", shared)
	}
	for _, w := range words {
		if !strings.Contains(shared, w) {
			t.Errorf("LibreOffice read the CSV without %q (mojibake?)", w)
		}
	}
	// B2, the date the case was reported: a number (a date), not text.
	sheet := read("xl/worksheets/sheet1.xml")
	b2 := regexp.MustCompile(`<c r="B2"[^>]*>`).FindString(sheet)
	if b2 == "" || strings.Contains(b2, `t="s"`) {
		t.Errorf("the report date reads as text in LibreOffice: %s", b2)
	}
}

// untar reads a tar archive into its files by name.
func untar(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("the export is not a tar archive: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = data
	}
}
