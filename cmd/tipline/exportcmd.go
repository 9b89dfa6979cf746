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
		"missing-child cases as PFIF 1.4 XML, tips as CSV. Tipline never writes a plaintext file.\n"+
		"Each exported case gets an audit event (tipline audit REF). The partner decrypts with\n"+
		"  age -d -i partner-key.txt FILE\n"+
		"Examples:\n"+
		"  tipline export --to age1... --case TL-7K3Q-9XDM --out case.age\n"+
		"  tipline export --to age1... --kind missing --since 2026-11-01 --out missing.age")
	var to recipientsFlag
	fs.Var(&to, "to", "the partner's age public key, age1… (required; repeat for several)")
	caseRef := fs.String("case", "", "one case, by reference")
	kind := fs.String("kind", "", "tip (CSV) or missing (PFIF); required without --case")
	status := fs.String("status", "", "only cases with this status: received, acknowledged or closed")
	since := fs.String("since", "", "only cases submitted on or after this date (YYYY-MM-DD, in TIPLINE_TIME_ZONE)")
	out := fs.String("out", "", "the file to write (required; - for standard output)")
	armored := fs.Bool("armor", false, "write ASCII armor (PEM-like text) instead of binary")
	domain := fs.String("domain", "tipline.invalid", "PFIF: a domain your NGO controls, the prefix of record ids")
	source := fs.String("source", "Tipline", "PFIF: the author and source name of the records (your NGO's name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export: unexpected %q (flags only; see tipline export -h)", fs.Arg(0))
	}
	if len(to) == 0 {
		return errors.New("export: --to is required: the partner's age public key (age1…)")
	}
	if *out == "" {
		return errors.New("export: --out is required (the file will be encrypted)")
	}
	switch *status {
	case "", string(tipline.StatusReceived), string(tipline.StatusAcknowledged), string(tipline.StatusClosed):
	default:
		return errors.New("export: --status must be received, acknowledged or closed")
	}
	db, cfg, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()

	var refs []tipline.Reference
	if *caseRef != "" {
		ref, err := tipline.ParseReference(*caseRef)
		if err != nil {
			return fmt.Errorf("export: --case %q is not a case reference such as TL-7K3Q-9XDM", *caseRef)
		}
		refs = []tipline.Reference{ref}
	} else {
		if *kind != string(tipline.KindTip) && *kind != string(tipline.KindMissing) {
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
		if len(refs) == 0 {
			return errors.New("export: no case matches; nothing written")
		}
	}
	cases := make([]tipline.Case, 0, len(refs))
	for _, ref := range refs {
		c, err := db.Case(ctx, ref)
		if errors.Is(err, tipline.ErrNotFound) {
			return fmt.Errorf("export: no case %s", ref)
		}
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if *kind != "" && string(c.Kind) != *kind {
			return fmt.Errorf("export: %s is a %s case, not %s", ref, c.Kind, *kind)
		}
		cases = append(cases, c)
	}
	format := "csv"
	fill := func(w io.Writer) error { return export.CSV(w, cases) }
	if cases[0].Kind == tipline.KindMissing {
		format = "pfif"
		src := export.Source{Domain: *domain, Name: *source}
		fill = func(w io.Writer) error { return export.PFIF(w, cases, src, time.Now()) }
	}
	err = m.writeEncrypted(*out, to, *armored, fill, func() error { return db.RecordExport(ctx, refs, format) })
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if *out != "-" {
		fmt.Fprintf(m.Stderr, "Exported %d case(s) as %s, encrypted to %d key(s), to %s.\n", len(cases), strings.ToUpper(format), len(to), *out)
	}
	return nil
}

var _ flag.Value = (*recipientsFlag)(nil)
