package main

import (
	"context"
	"regexp"
	"testing"
	"time"
)

// TestAdditionToADuplicateGoesToTheOlderCase: once a case is linked as the
// same as an older one, what its reporter adds is stored on the older case
// and its reviewer is told, under the older case's reference.
func TestAdditionToADuplicateGoesToTheOlderCase(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	e.startOnCall()
	p := e.reviewers[0]
	_, older := e.urgentTip(7_100_700_001)
	p.take(older)
	rep, newer := e.urgentTip(7_100_700_002)
	// The reporter is adding to the newer case when it is linked.
	e.emu.SendText(rep.User, "/start")
	rep.press("menu:mine")
	rep.press("add:" + string(newer))
	rep.MarkSeen()
	if err := e.db.LinkDuplicate(context.Background(), newer, older, p.rv.ID, time.Now()); err != nil {
		t.Fatalf("LinkDuplicate: %v", err)
	}
	e.emu.SendText(rep.User, "Canaryduplicate the van is white")
	waitInboxDone(t, e.testEnv)
	if c := mustCase(t, e.testEnv, older); len(c.Additions) != 1 || c.Additions[0].Text != "Canaryduplicate the van is white" {
		t.Fatalf("the older case has additions %+v, want the one given to its duplicate", c.Additions)
	}
	if c := mustCase(t, e.testEnv, newer); len(c.Additions) != 0 {
		t.Fatalf("the duplicate has %d additions, want none", len(c.Additions))
	}
	p.waitText(regexp.MustCompile(`The reporter of ` + regexp.QuoteMeta(string(older)) + ` sent more:\s+Canaryduplicate the van is white`))
}
