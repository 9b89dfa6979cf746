package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"

	"github.com/tipline/tipline"
)

// partners runs "tipline partners add|list|disable": the organisations a
// reviewer can refer a case to.
func (m *Main) partners(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: tipline partners add --name NAME --kind police|ngo|hotline --country KH|TH [--age-recipient age1…] | list | key ID age1… | disable ID")
	}
	switch args[0] {
	case "add":
		fs := m.flags("partners add", "Adds a partner that cases can be referred to. Its name is an organisation's,\n"+
			"shown to reviewers and in the report; it is stored as typed (not encrypted).")
		name := fs.String("name", "", "the organisation's name, as reviewers will see it (required)")
		kind := fs.String("kind", "", "police (a police unit), ngo or hotline (required)")
		country := fs.String("country", "", "KH (Cambodia) or TH (Thailand) (required)")
		recipient := fs.String("age-recipient", "", "the partner's age public key (age1…, made with age-keygen): tipline export --partner encrypts to it")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *recipient != "" {
			if _, err := age.ParseX25519Recipient(strings.TrimSpace(*recipient)); err != nil {
				return errors.New("partners add: --age-recipient is not an age public key (age1…; the partner makes one with age-keygen)")
			}
		}
		switch {
		case strings.TrimSpace(*name) == "":
			return errors.New("partners add: --name is required")
		case !tipline.PartnerKind(*kind).Valid():
			return fmt.Errorf("partners add: --kind must be police, ngo or hotline, not %q", *kind)
		case *country != "KH" && *country != "TH":
			return fmt.Errorf("partners add: --country must be KH or TH, not %q", *country)
		}
		db, _, err := m.openAdminStore(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		pt, err := db.AddPartner(ctx, *name, tipline.PartnerKind(*kind), strings.ToUpper(*country))
		if err != nil {
			return fmt.Errorf("partners add: %w", err)
		}
		if *recipient != "" {
			if err := db.SetPartnerRecipient(ctx, pt.ID, *recipient); err != nil {
				return fmt.Errorf("partners add: partner %d was added, but its key was not kept (tipline partners key %d age1…): %w", pt.ID, pt.ID, err)
			}
		}
		fmt.Fprintf(m.Stdout, "Partner %d added: %s (%s, %s). Reviewers can now refer cases to it.\n", pt.ID, pt.Name, pt.Kind, pt.Country)
		return nil
	case "list":
		db, _, err := m.openAdminStore(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		all, err := db.Partners(ctx)
		if err != nil {
			return err
		}
		if len(all) == 0 {
			fmt.Fprintln(m.Stdout, "No partners yet: add one with tipline partners add --name NAME --kind police|ngo|hotline --country KH|TH")
			return nil
		}
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tKIND\tCOUNTRY\tACTIVE\tEXPORT KEY")
		for _, p := range all {
			key := "none (tipline partners key ID age1…)"
			if p.AgeRecipient != "" {
				key = p.AgeRecipient
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%v\t%s\n", p.ID, p.Name, p.Kind, p.Country, p.Active, key)
		}
		return w.Flush()
	case "key":
		if len(args) != 3 {
			return errors.New("usage: tipline partners key ID age1… (the partner's age public key, made with age-keygen)")
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return errors.New("partners key: ID must be a number from tipline partners list")
		}
		if _, err := age.ParseX25519Recipient(strings.TrimSpace(args[2])); err != nil {
			return errors.New("partners key: not an age public key (age1…; the partner makes one with age-keygen)")
		}
		db, _, err := m.openAdminStore(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.SetPartnerRecipient(ctx, id, args[2]); err != nil {
			if errors.Is(err, tipline.ErrNotFound) {
				return fmt.Errorf("partners key: no partner %d (see tipline partners list)", id)
			}
			return fmt.Errorf("partners key: %w", err)
		}
		fmt.Fprintf(m.Stdout, "Partner %d's key is kept: tipline export --partner %d encrypts to it.\n", id, id)
		return nil
	case "disable":
		if len(args) != 2 {
			return errors.New("usage: tipline partners disable ID (see tipline partners list)")
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return errors.New("partners disable: ID must be a number from tipline partners list")
		}
		db, _, err := m.openAdminStore(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.DisablePartner(ctx, id); err != nil {
			if errors.Is(err, tipline.ErrNotFound) {
				return fmt.Errorf("partners disable: no partner %d (see tipline partners list)", id)
			}
			return fmt.Errorf("disable partner %d: %w", id, err)
		}
		fmt.Fprintf(m.Stdout, "Partner %d is disabled: it is no longer offered; cases referred to it keep its name.\n", id)
		return nil
	}
	return fmt.Errorf("unknown partners command %q (add, list, key, disable)", args[0])
}

// reporters runs "tipline reporters blocked|unblock REF": blocks made by
// reviewers, listed by the case they were made from (never the reporter's
// pseudonym), and lifted by it.
func (m *Main) reporters(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: tipline reporters blocked | unblock CASE-REF")
	}
	switch args[0] {
	case "blocked":
		db, _, err := m.openAdminStore(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		blocks, err := db.Blocks(ctx)
		if err != nil {
			return err
		}
		if len(blocks) == 0 {
			fmt.Fprintln(m.Stdout, "Nobody is blocked.")
			return nil
		}
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "CASE\tREASON\tBLOCKED")
		for _, b := range blocks {
			ref := string(b.Reference)
			if ref == "" {
				ref = "(not kept)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", ref, b.Reason, b.BlockedAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
		return w.Flush()
	case "unblock":
		if len(args) != 2 {
			return errors.New("usage: tipline reporters unblock CASE-REF (see tipline reporters blocked)")
		}
		ref, err := tipline.ParseReference(args[1])
		if err != nil {
			return fmt.Errorf("reporters unblock: %q is not a case reference such as TL-7K3Q-9XDM", args[1])
		}
		db, _, err := m.openAdminStore(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		lifted, err := db.UnblockByOperator(ctx, ref, time.Now())
		if err != nil {
			return fmt.Errorf("reporters unblock: %w", err)
		}
		if !lifted {
			fmt.Fprintf(m.Stdout, "The reporter of %s is not blocked; nothing changed.\n", ref)
			return nil
		}
		fmt.Fprintf(m.Stdout, "The reporter of %s can send reports again. It is in 'tipline audit %s'.\n", ref, ref)
		return nil
	}
	return fmt.Errorf("unknown reporters command %q (blocked, unblock)", args[0])
}
