package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/tipline/tipline"
)

// partnersAdd is `tipline partners add`: an organisation a reviewer can
// refer a case to, with the age key its exports are encrypted to.
func (m *Main) partnersAdd(ctx context.Context, args []string) error {
	fs := m.flags("partners add", "Adds a partner that cases can be referred to. Its name is an organisation's,\n"+
		"shown to reviewers and in the report; it is stored as typed (not encrypted).")
	name := fs.String("name", "", "the organisation's name, as reviewers will see it (required)")
	kind := fs.String("kind", "", "police (a police unit), ngo or hotline (required)")
	country := fs.String("country", "", "KH (Cambodia) or TH (Thailand) (required)")
	recipient := fs.String("age-recipient", "", "the partner's age public key (age1…, made with age-keygen): tipline export --partner encrypts to it")
	if err := fs.Parse(args); err != nil {
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
		if err := db.SetPartnerRecipient(ctx, pt.ID, strings.TrimSpace(*recipient)); err != nil {
			return fmt.Errorf("partners add: partner %d was added, but its key was not kept (tipline partners key %d age1…): %w", pt.ID, pt.ID, err)
		}
	}
	fmt.Fprintf(m.Stdout, "Partner %d added: %s (%s, %s). Reviewers can now refer cases to it.\n", pt.ID, pt.Name, pt.Kind, pt.Country)
	return nil
}

// partnersKey is `tipline partners key ID AGE-KEY`: the partner's age
// public key, which `tipline export --partner ID` encrypts to.
func (m *Main) partnersKey(ctx context.Context, args []string) error {
	rest, err := m.operands("partners key", "Keeps a partner's age public key (age1…, made by the partner with age-keygen):\n"+
		"tipline export --partner ID encrypts to it.", args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return errors.New("usage: tipline partners key ID age1… (the partner's age public key, made with age-keygen)")
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil {
		return errors.New("partners key: ID must be a number from tipline partners list")
	}
	key := strings.TrimSpace(rest[1])
	if _, err := age.ParseX25519Recipient(key); err != nil {
		return errors.New("partners key: not an age public key (age1…; the partner makes one with age-keygen)")
	}
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetPartnerRecipient(ctx, id, key); err != nil {
		if errors.Is(err, tipline.ErrNotFound) {
			return fmt.Errorf("partners key: no partner %d (see tipline partners list)", id)
		}
		return fmt.Errorf("partners key: %w", err)
	}
	fmt.Fprintf(m.Stdout, "Partner %d's key is kept: tipline export --partner %d encrypts to it.\n", id, id)
	return nil
}

// partnersList is `tipline partners list`.
func (m *Main) partnersList(ctx context.Context, args []string) error {
	if err := m.noOperands("partners list", "Lists the partners: id, name, kind, country, whether still offered, the key exports go to.", args); err != nil {
		return err
	}
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
	return m.table("ID\tNAME\tKIND\tCOUNTRY\tACTIVE\tEXPORT KEY", len(all), func(i int) string {
		p := all[i]
		key := "none (tipline partners key ID age1…)"
		if p.AgeRecipient != "" {
			key = p.AgeRecipient
		}
		return fmt.Sprintf("%d\t%s\t%s\t%s\t%v\t%s", p.ID, p.Name, p.Kind, p.Country, p.Active, key)
	})
}

// partnersDisable is `tipline partners disable ID`: the partner is no
// longer offered; cases referred to it keep its name.
func (m *Main) partnersDisable(ctx context.Context, args []string) error {
	id, err := m.idOperand("partners disable", "Stops offering a partner to reviewers; cases referred to it keep its name.", args)
	if err != nil {
		return err
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

// reportersBlocked is `tipline reporters blocked`: blocks made by
// reviewers, listed by the case they were made from (never the reporter's
// pseudonym).
func (m *Main) reportersBlocked(ctx context.Context, args []string) error {
	if err := m.noOperands("reporters blocked", "Lists the reporters blocked by reviewers: the case the block was made from, the reason\nand the date; never who.", args); err != nil {
		return err
	}
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
	return m.table("CASE\tREASON\tBLOCKED", len(blocks), func(i int) string {
		b := blocks[i]
		ref := string(b.Reference)
		if ref == "" {
			ref = "(not kept)"
		}
		return fmt.Sprintf("%s\t%s\t%s", ref, b.Reason, b.BlockedAt.UTC().Format("2006-01-02 15:04 UTC"))
	})
}

// reportersUnblock is `tipline reporters unblock CASE-REF`: it lifts the
// block made from that case.
func (m *Main) reportersUnblock(ctx context.Context, args []string) error {
	rest, err := m.operands("reporters unblock", "Lifts the block made from a case (see tipline reporters blocked); it is in the case's audit.", args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("usage: tipline reporters unblock CASE-REF (see tipline reporters blocked)")
	}
	ref, err := tipline.ParseReference(rest[0])
	if err != nil {
		return fmt.Errorf("reporters unblock: %q is not a case reference such as TL-7K3Q-9XDM", rest[0])
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
