package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/memory"
)

// TestPartnersCommands: add partners, refuse a bad one with a message
// that names the flag, list them, disable one.
func TestPartnersCommands(t *testing.T) {
	e := newTestEnv(t)
	if out, err := e.runCLI(t, "partners", "add", "--name", "APLE", "--kind", "church", "--country", "KH"); err == nil || !strings.Contains(err.Error(), "--kind") {
		t.Fatalf("a bad kind: %v\n%s", err, out)
	}
	if out, err := e.runCLI(t, "partners", "add", "--name", "APLE", "--kind", "ngo", "--country", "VN"); err == nil || !strings.Contains(err.Error(), "--country") {
		t.Fatalf("a bad country: %v\n%s", err, out)
	}
	out, err := e.runCLI(t, "partners", "add", "--name", "Anti-Trafficking Police, Poipet", "--kind", "police", "--country", "KH")
	if err != nil || !strings.Contains(out, "Partner 1 added") {
		t.Fatalf("partners add: %v\n%s", err, out)
	}
	if out, err = e.runCLI(t, "partners", "add", "--name", "Pattaya shelter", "--kind", "ngo", "--country", "TH"); err != nil {
		t.Fatalf("partners add: %v\n%s", err, out)
	}
	// A partner's key: an age public key, kept for exports to it.
	key, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := e.runCLI(t, "partners", "key", "1", "age1notakey"); err == nil {
		t.Fatalf("partners key took a bad key: %s", out)
	}
	if out, err := e.runCLI(t, "partners", "key", "9", key.Recipient().String()); err == nil || !strings.Contains(err.Error(), "no partner 9") {
		t.Fatalf("partners key of an unknown partner: %v\n%s", err, out)
	}
	if out, err = e.runCLI(t, "partners", "key", "1", key.Recipient().String()); err != nil {
		t.Fatalf("partners key: %v\n%s", err, out)
	}
	if out, err = e.runCLI(t, "partners", "disable", "2"); err != nil {
		t.Fatalf("partners disable: %v\n%s", err, out)
	}
	if out, err = e.runCLI(t, "partners", "disable", "9"); err == nil {
		t.Fatalf("disabling an unknown partner succeeded: %s", out)
	}
	out, err = e.runCLI(t, "partners", "list")
	if err != nil {
		t.Fatalf("partners list: %v\n%s", err, out)
	}
	for _, want := range []string{
		`(?m)^1\s+Anti-Trafficking Police, Poipet\s+police\s+KH\s+true\s+` + key.Recipient().String() + `$`,
		`(?m)^2\s+Pattaya shelter\s+ngo\s+TH\s+false\s+none \(tipline partners key ID age1…\)$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("partners list has no line %s:\n%s", want, out)
		}
	}
	list, err := e.db.Partners(context.Background())
	if err != nil || len(list) != 2 || list[0].Kind != tipline.PartnerPolice || list[1].Active {
		t.Fatalf("stored partners = %+v, %v", list, err)
	}
}

// TestReportersCommands: a block made by a reviewer is listed by case,
// reason and date, never by pseudonym, and the operator lifts it.
func TestReportersCommands(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	out, err := e.runCLI(t, "reporters", "blocked")
	if err != nil || !strings.Contains(out, "Nobody is blocked") {
		t.Fatalf("reporters blocked with none: %v\n%s", err, out)
	}
	const pseudonym = "f00dfeedf00dfeedf00dfeedf00dfeed"
	ref := tipline.NewReference()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	if _, _, err := e.db.SubmitCase(ctx, tipline.NewCase{DraftID: "d-cli-block", Reference: ref, Kind: tipline.KindTip,
		Urgency: tipline.UrgencyNormal, Lang: "en", Reporter: pseudonym, Answers: tipline.Answers{"what": "x"}, SubmittedAt: now}); err != nil {
		t.Fatal(err)
	}
	code := []byte("0123456789abcdef0123456789abcdef")
	if err := e.db.CreateInvite(ctx, code, "Dara", false, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	rv, err := e.db.RedeemInvite(ctx, code, 7_300_000_001, "en", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.BlockReporterFor(ctx, ref, rv.ID, tipline.BlockThreats, now); err != nil {
		t.Fatal(err)
	}
	out, err = e.runCLI(t, "reporters", "blocked")
	if err != nil || !regexp.MustCompile(`(?m)^`+string(ref)+`\s+threats\s+2026-03-01 08:00 UTC$`).MatchString(out) {
		t.Fatalf("reporters blocked: %v\n%s", err, out)
	}
	if strings.Contains(out, pseudonym) {
		t.Fatalf("reporters blocked shows the pseudonym:\n%s", out)
	}
	if out, err = e.runCLI(t, "reporters", "unblock", "not-a-ref"); err == nil {
		t.Fatalf("unblock of a bad reference succeeded: %s", out)
	}
	out, err = e.runCLI(t, "reporters", "unblock", strings.ToLower(string(ref)))
	if err != nil || !strings.Contains(out, "can send reports again") {
		t.Fatalf("reporters unblock: %v\n%s", err, out)
	}
	if blocked, err := e.db.IsBlocked(ctx, pseudonym); err != nil || blocked {
		t.Fatalf("IsBlocked after unblock = %v, %v", blocked, err)
	}
	if out, err = e.runCLI(t, "reporters", "unblock", string(ref)); err != nil || !strings.Contains(out, "not blocked") {
		t.Fatalf("second unblock: %v\n%s", err, out)
	}
	audit, err := e.db.Audit(ctx, ref)
	if err != nil || audit[len(audit)-1].Actor != "operator" || audit[len(audit)-1].Action != "reporter_unblocked" {
		t.Fatalf("audit = %+v, %v; want the operator's unblock last", audit, err)
	}
}

// TestSandboxSeedsPartners: the sandbox offers made-up partners to refer
// a case to, once, and keeps partners it finds.
func TestSandboxSeedsPartners(t *testing.T) {
	ctx := context.Background()
	store := memory.New(nil)
	for range 2 {
		if err := seedPartners(ctx, store); err != nil {
			t.Fatal(err)
		}
	}
	list, err := store.Partners(ctx)
	if err != nil || len(list) != len(sandboxPartners) || !list[0].Active {
		t.Fatalf("partners after seeding twice = %+v, %v; want %d", list, err, len(sandboxPartners))
	}
	kept := memory.New(nil)
	if _, err := kept.AddPartner(ctx, "Real partner", tipline.PartnerHotline, "KH"); err != nil {
		t.Fatal(err)
	}
	if err := seedPartners(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if list, _ := kept.Partners(ctx); len(list) != 1 || list[0].Name != "Real partner" {
		t.Fatalf("partners = %+v, want the one there kept alone", list)
	}
}
