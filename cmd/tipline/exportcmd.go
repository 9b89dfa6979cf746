package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/export"
	"github.com/tipline/tipline/storage"
)

// recipientsFlag gathers --to: age public keys (age1...), one per flag.
type recipientsFlag []age.Recipient

func (r *recipientsFlag) String() string { return "" }

func (r *recipientsFlag) Set(s string) error {
	rc, err := age.ParseX25519Recipient(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not an age public key (age1…; the partner makes one with age-keygen)")
	}
	*r = append(*r, rc)
	return nil
}

// writeEncrypted writes what fill writes, encrypted to the recipients,
// into path (or standard output for "-"). Nothing in clear reaches the
// disk: the bytes are encrypted as they are written, into a 0600 file in
// the same directory that is renamed to path only after commit succeeds
// (commit records the audit events; nil when there is nothing to record,
// and then standard output is written as it is encrypted). An existing
// path is never replaced.
func (m *Main) writeEncrypted(path string, to []age.Recipient, armored bool, fill func(io.Writer) error, commit func() error) error {
	if len(to) == 0 {
		return errors.New("--to is required: the partner's age public key (age1…)")
	}
	if path == "" {
		return errors.New("--out is required: the file to write (it will be encrypted), or - for standard output")
	}
	encrypt := func(w io.Writer) error {
		out := w
		var aw io.WriteCloser
		if armored {
			aw = armor.NewWriter(w)
			out = aw
		}
		ew, err := age.Encrypt(out, to...)
		if err != nil {
			return fmt.Errorf("encrypt: %w", err)
		}
		if err := fill(ew); err != nil {
			return err
		}
		if err := ew.Close(); err != nil {
			return fmt.Errorf("encrypt: %w", err)
		}
		if aw != nil {
			return aw.Close()
		}
		return nil
	}
	if path == "-" && commit == nil {
		return encrypt(m.Stdout)
	}
	if commit == nil {
		commit = func() error { return nil }
	}
	if path == "-" {
		var buf bytes.Buffer // nothing reaches the terminal before the audit is recorded
		if err := encrypt(&buf); err != nil {
			return err
		}
		if err := commit(); err != nil {
			return err
		}
		_, err := m.Stdout.Write(buf.Bytes())
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists: choose another --out (nothing is overwritten)", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tipline-*.age.part")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := encrypt(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := commit(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	return nil
}

func (m *Main) export(ctx context.Context, args []string) error {
	fs := m.flags("export", "Writes cases for a partner organisation, encrypted to the partner's age public key:\n"+
		"missing-child cases as PFIF 1.4 XML, tips as CSV (UTF-8 with a BOM, so Excel reads Khmer and Thai).\n"+
		"Tipline never writes a plaintext file. Each exported case gets an audit event (tipline audit REF).\n"+
		"With --partner, the export holds exactly the cases referred to that partner, with what was added\n"+
		"since its last export marked, encrypted to the key stored with it (tipline partners key), and the\n"+
		"audit names the partner. Cases nobody has reviewed yet leave only with --unreviewed. A missing\n"+
		"child's photo goes only when the family agreed to a public appeal: then the export is a tar\n"+
		"archive of missing.xml and photos/REF.jpg.\n"+
		"The partner decrypts with\n"+
		"  age -d -i partner-key.txt FILE\n"+
		"Examples:\n"+
		"  tipline export --partner 3 --kind tip --lang km --out referred-tips.age\n"+
		"  tipline export --to age1... --case TL-7K3Q-9XDM --domain tipline.example.org --out case.age\n"+
		"  tipline export --to age1... --kind missing --since 2026-11-01 --out missing.age")
	var to recipientsFlag
	fs.Var(&to, "to", "the partner's age public key, age1… (repeat for several); not with --partner")
	partnerID := fs.Int64("partner", 0, "the cases referred to this partner (tipline partners list), to its stored key")
	caseRef := fs.String("case", "", "one case, by reference")
	kind := fs.String("kind", "", "tip (CSV) or missing (PFIF); required without --case (with --partner, when it has both)")
	status := fs.String("status", "", "only cases with this status: received, acknowledged or closed")
	since := fs.String("since", "", "only cases submitted on or after this date (YYYY-MM-DD, in TIPLINE_TIME_ZONE)")
	unreviewed := fs.Bool("unreviewed", false, "also export cases no reviewer has taken yet (left out otherwise)")
	lang := fs.String("lang", "en", "CSV: the language of its headers and words: en, km or th")
	out := fs.String("out", "", "the file to write (required; - for standard output)")
	armored := fs.Bool("armor", false, "write ASCII armor (PEM-like text) instead of binary")
	domain := fs.String("domain", "tipline.invalid", "PFIF: a domain your NGO controls (tipline.example.org), the prefix of every record id;\n"+
		"keep it the same across exports so a partner's system updates records instead of duplicating them")
	source := fs.String("source", "Tipline", "PFIF: the author and source name of the records (your NGO's name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export: unexpected %q (flags only; see tipline export -h)", fs.Arg(0))
	}
	switch {
	case *partnerID != 0 && len(to) > 0:
		return errors.New("export: --partner exports to the key stored with the partner; leave out --to")
	case *partnerID != 0 && *caseRef != "":
		return errors.New("export: --partner exports every case referred to it; leave out --case")
	case *partnerID == 0 && len(to) == 0:
		return errors.New("export: --to is required: the partner's age public key (age1…), or --partner ID")
	case *out == "":
		return errors.New("export: --out is required (the file will be encrypted)")
	case *lang != tipline.LangEnglish && *lang != "km" && *lang != "th":
		return errors.New("export: --lang must be en, km or th")
	}
	switch *status {
	case "", string(tipline.StatusReceived), string(tipline.StatusAcknowledged), string(tipline.StatusClosed):
	default:
		return errors.New("export: --status must be received, acknowledged or closed")
	}
	if *kind != "" && *kind != string(tipline.KindTip) && *kind != string(tipline.KindMissing) {
		return errors.New("export: --kind must be tip (CSV) or missing (PFIF)")
	}
	db, cfg, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()

	var (
		refs       []tipline.Reference
		exportedAt map[tipline.Reference]time.Time
		partner    tipline.Partner
	)
	switch {
	case *partnerID != 0:
		if partner, err = db.Partner(ctx, *partnerID); err != nil {
			if errors.Is(err, tipline.ErrNotFound) {
				return fmt.Errorf("export: no partner %d (see tipline partners list)", *partnerID)
			}
			return fmt.Errorf("export: %w", err)
		}
		if partner.AgeRecipient == "" {
			return fmt.Errorf("export: partner %d has no key yet: tipline partners key %d age1… (the partner makes one with age-keygen)", partner.ID, partner.ID)
		}
		rc, err := age.ParseX25519Recipient(partner.AgeRecipient)
		if err != nil {
			return fmt.Errorf("export: the key stored with partner %d is not an age public key: set it again with tipline partners key", partner.ID)
		}
		to = recipientsFlag{rc}
		referred, err := db.Referrals(ctx, partner.ID)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		exportedAt = map[tipline.Reference]time.Time{}
		for _, r := range referred {
			refs = append(refs, r.Reference)
			exportedAt[r.Reference] = r.ExportedAt
		}
		if len(refs) == 0 {
			return fmt.Errorf("export: no case is referred to partner %d; nothing written", partner.ID)
		}
	case *caseRef != "":
		ref, err := tipline.ParseReference(*caseRef)
		if err != nil {
			return fmt.Errorf("export: --case %q is not a case reference such as TL-7K3Q-9XDM", *caseRef)
		}
		refs = []tipline.Reference{ref}
	default:
		if *kind == "" {
			return errors.New("export: --kind tip (CSV) or --kind missing (PFIF) is required without --case")
		}
		f := storage.CaseFilter{Kind: tipline.Kind(*kind), Status: tipline.Status(*status)}
		if *since != "" {
			if f.Since, err = time.ParseInLocation("2006-01-02", *since, cfg.Location); err != nil {
				return errors.New("export: --since must be a date such as 2026-11-01")
			}
		}
		if refs, err = db.CaseReferences(ctx, f); err != nil {
			return err
		}
	}
	cases, left, err := exportCases(ctx, db, refs, tipline.Kind(*kind), *unreviewed, *partnerID != 0)
	if err != nil {
		return err
	}
	if len(cases) == 0 {
		msg := "export: no case matches; nothing written"
		if left > 0 {
			msg += fmt.Sprintf(" (%d not reviewed yet: add --unreviewed to include them)", left)
		}
		return errors.New(msg)
	}
	exported := make([]tipline.Reference, len(cases))
	for i, c := range cases {
		exported[i] = c.Reference
	}
	format := "csv"
	opts := export.Options{Lang: *lang, Location: cfg.Location, ExportedAt: exportedAt}
	fill := func(w io.Writer) error { return export.CSV(w, cases, opts) }
	if cases[0].Kind == tipline.KindMissing {
		format = "pfif"
		photos, err := appealPhotos(ctx, db, cases)
		if err != nil {
			return err
		}
		src := export.Source{Domain: *domain, Name: *source, Photos: map[tipline.Reference]string{}}
		for _, p := range photos {
			src.Photos[p.ref] = p.Name
		}
		now := time.Now()
		fill = func(w io.Writer) error { return export.PFIF(w, cases, src, now) }
		if len(photos) > 0 {
			// The photos go beside the XML, in one tar archive.
			fill = func(w io.Writer) error {
				var doc bytes.Buffer
				if err := export.PFIF(&doc, cases, src, now); err != nil {
					return err
				}
				files := []export.File{{Name: "missing.xml", Data: doc.Bytes()}}
				for _, p := range photos {
					files = append(files, p.File)
				}
				return export.Archive(w, files, now)
			}
		}
	}
	record := func() error { return db.RecordExport(ctx, exported, format) }
	if *partnerID != 0 {
		record = func() error { return db.RecordPartnerExport(ctx, partner.ID, exported, format, time.Now()) }
	}
	if err := m.writeEncrypted(*out, to, *armored, fill, record); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if *out != "-" {
		whom := fmt.Sprintf("%d key(s)", len(to))
		if *partnerID != 0 {
			whom = fmt.Sprintf("the key of partner %d (%s)", partner.ID, partner.Name)
		}
		fmt.Fprintf(m.Stderr, "Exported %d case(s) as %s, encrypted to %s, to %s.\n", len(cases), strings.ToUpper(format), whom, *out)
		if left > 0 {
			fmt.Fprintf(m.Stderr, "Left out %d case(s) nobody has reviewed yet (add --unreviewed to include them).\n", left)
		}
	}
	return nil
}

// exportStore is what an export reads.
type exportStore interface {
	Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error)
}

// appealPhoto is a child's photo in an export's archive.
type appealPhoto struct {
	export.File
	ref tipline.Reference
}

// appealPhotos are the photos of the missing children whose family agreed
// to a public appeal (export.AppealPhoto), those whose bytes are stored.
func appealPhotos(ctx context.Context, db interface {
	AttachmentContent(ctx context.Context, ref tipline.Reference, fileUniqueID string) ([]byte, error)
}, cases []tipline.Case) ([]appealPhoto, error) {
	var out []appealPhoto
	for _, c := range cases {
		a, ok := export.AppealPhoto(c)
		if !ok {
			continue
		}
		data, err := db.AttachmentContent(ctx, c.Reference, a.FileUniqueID)
		if errors.Is(err, tipline.ErrNotFound) {
			continue // not fetched from Telegram yet
		}
		if err != nil {
			return nil, fmt.Errorf("export: photo of %s: %w", c.Reference, err)
		}
		out = append(out, appealPhoto{File: export.File{Name: export.PhotoPath(c.Reference), Data: data}, ref: c.Reference})
	}
	return out, nil
}

// exportCases loads the cases refs of kind (any when ""), leaving out
// those no reviewer has taken unless unreviewed, and says how many it left
// out. A partner's cases of both kinds need a --kind (CSV and PFIF are
// two files).
func exportCases(ctx context.Context, db exportStore, refs []tipline.Reference, kind tipline.Kind, unreviewed, byPartner bool) ([]tipline.Case, int, error) {
	var cases []tipline.Case
	left := 0
	kinds := map[tipline.Kind]int{}
	for _, ref := range refs {
		c, err := db.Case(ctx, ref)
		if errors.Is(err, tipline.ErrNotFound) {
			return nil, 0, fmt.Errorf("export: no case %s", ref)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("export: %w", err)
		}
		if kind != "" && c.Kind != kind {
			if byPartner {
				continue
			}
			return nil, 0, fmt.Errorf("export: %s is a %s case, not %s", ref, c.Kind, kind)
		}
		if c.Status == tipline.StatusReceived && !unreviewed {
			left++
			continue
		}
		kinds[c.Kind]++
		cases = append(cases, c)
	}
	if len(kinds) > 1 {
		return nil, 0, fmt.Errorf("export: the partner has %d tip(s) and %d missing child case(s): export each with --kind tip, then --kind missing",
			kinds[tipline.KindTip], kinds[tipline.KindMissing])
	}
	return cases, left, nil
}

var _ flag.Value = (*recipientsFlag)(nil)
