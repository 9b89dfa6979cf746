package oncall_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/storage/memory"
)

// TestLoad reads the rota through the store the way routing, the metrics
// and `tipline oncall show` do: none set is not an error but "everyone",
// a saved one comes back whole, and a damaged one is an error.
func TestLoad(t *testing.T) {
	ctx := t.Context()
	store := memory.New(time.Now)
	if r, found, err := oncall.Load(ctx, store); err != nil || found || len(r.Primary) != 0 {
		t.Fatalf("no rota set: %+v, found %v, %v; want an empty rota, not found, no error", r, found, err)
	}
	want := oncall.Rota{TimeZone: "Asia/Bangkok"}
	loc, _ := want.Location()
	var err error
	if want.Primary, err = oncall.ParseShifts("1:daily@08:00-20:00", loc); err != nil {
		t.Fatal(err)
	}
	doc, err := want.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SaveRota(ctx, doc); err != nil {
		t.Fatal(err)
	}
	got, found, err := oncall.Load(ctx, store)
	if err != nil || !found || got.TimeZone != want.TimeZone || len(got.Primary) != 1 || got.Primary[0].ReviewerID != 1 {
		t.Fatalf("saved rota read back as %+v, found %v, %v", got, found, err)
	}
	if err := store.SaveRota(ctx, []byte(`{"primary": "not a list"}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := oncall.Load(ctx, store); err == nil {
		t.Error("a damaged rota was read without an error")
	}
}

func TestCheckAndOnCall(t *testing.T) {
	loc := time.FixedZone("ICT", 7*3600)
	r := oncall.Rota{TimeZone: "Asia/Phnom_Penh"}
	var err error
	if r.Primary, err = oncall.ParseShifts("1:daily@08:00-20:00", loc); err != nil {
		t.Fatal(err)
	}
	if r.Secondary, err = oncall.ParseShifts("2:daily@00:00-24:00", loc); err != nil {
		t.Fatal(err)
	}
	team := []tipline.Reviewer{{ID: 1, Active: true}, {ID: 2, Active: true}, {ID: 3, Active: true}}
	if err := r.Check(team); err != nil {
		t.Errorf("a rota of active reviewers refused: %v", err)
	}
	disabled := []tipline.Reviewer{{ID: 1, Active: true}, {ID: 2, Active: false}}
	if err := r.Check(disabled); err == nil || !strings.Contains(err.Error(), "reviewer 2") {
		t.Errorf("a rota naming a disabled reviewer: %v, want an error naming reviewer 2", err)
	}
	if err := r.Check(team[:1]); err == nil || !strings.Contains(err.Error(), "reviewer 2") {
		t.Errorf("a rota naming an unknown reviewer: %v, want an error naming reviewer 2", err)
	}
	if n := oncall.Active(disabled); n != 1 {
		t.Errorf("Active = %d, want 1", n)
	}

	noon := time.Date(2026, 11, 23, 12, 0, 0, 0, loc)
	night := time.Date(2026, 11, 23, 23, 0, 0, 0, loc)
	if got := ids(oncall.OnCall(r, noon, team)); got != "1" {
		t.Errorf("on call at noon: %s, want the primary on shift, 1", got)
	}
	if got := ids(oncall.OnCall(r, night, team)); got != "1,2,3" {
		t.Errorf("on call at night, with no primary on shift: %s, want every active reviewer", got)
	}
	if got := ids(oncall.OnCall(oncall.Rota{}, noon, disabled)); got != "1" {
		t.Errorf("on call without a rota: %s, want every active reviewer (1)", got)
	}
}

func ids(rs []tipline.Reviewer) string {
	var s []string
	for _, r := range rs {
		s = append(s, strconv.FormatInt(r.ID, 10))
	}
	return strings.Join(s, ",")
}
