package oncall

import (
	"slices"
	"testing"
	"time"

	"github.com/tipline/tipline"
)

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	if p.Urgent != 5*time.Minute || p.Normal != 30*time.Minute || p.Repeat != 30*time.Minute || p.MaxRepeats != 12 {
		t.Errorf("got %+v, want 5m, 30m, every 30m, 12 repeats", p)
	}
}

func TestPolicyNext(t *testing.T) {
	def := DefaultPolicy()
	custom := Policy{Urgent: time.Minute, Normal: 10 * time.Minute, Repeat: time.Hour, MaxRepeats: 2}
	tests := []struct {
		name    string
		policy  Policy
		level   int
		urgency tipline.Urgency
		next    int
		after   time.Duration
		ok      bool
	}{
		{"urgent: primary to secondary", def, 0, tipline.UrgencyUrgent, 1, 5 * time.Minute, true},
		{"urgent: secondary to everyone", def, 1, tipline.UrgencyUrgent, 2, 5 * time.Minute, true},
		{"urgent: everyone repeated", def, 2, tipline.UrgencyUrgent, 3, 30 * time.Minute, true},
		{"urgent: second repeat", def, 3, tipline.UrgencyUrgent, 4, 30 * time.Minute, true},
		{"urgent: last repeat", def, 13, tipline.UrgencyUrgent, 14, 30 * time.Minute, true},
		{"urgent: stops after 12 repeats", def, 14, tipline.UrgencyUrgent, 0, 0, false},
		{"normal: primary to secondary", def, 0, tipline.UrgencyNormal, 1, 30 * time.Minute, true},
		{"normal: secondary to everyone", def, 1, tipline.UrgencyNormal, 2, 30 * time.Minute, true},
		{"normal: everyone repeated", def, 2, tipline.UrgencyNormal, 3, 30 * time.Minute, true},
		{"normal: stops after 12 repeats", def, 14, tipline.UrgencyNormal, 0, 0, false},
		{"unknown urgency counts as urgent", def, 0, "", 1, 5 * time.Minute, true},
		{"negative level", def, -1, tipline.UrgencyUrgent, 0, 0, false},
		{"custom urgent", custom, 1, tipline.UrgencyUrgent, 2, time.Minute, true},
		{"custom normal", custom, 0, tipline.UrgencyNormal, 1, 10 * time.Minute, true},
		{"custom repeat", custom, 3, tipline.UrgencyNormal, 4, time.Hour, true},
		{"custom stops after 2 repeats", custom, 4, tipline.UrgencyNormal, 0, 0, false},
		{"no repeats: everyone once", Policy{MaxRepeats: 0}, 2, tipline.UrgencyUrgent, 0, 0, false},
		{"zero policy uses default deadlines", Policy{}, 0, tipline.UrgencyNormal, 1, 30 * time.Minute, true},
		{"zero repeat uses the default", Policy{MaxRepeats: 1}, 2, tipline.UrgencyNormal, 3, 30 * time.Minute, true},
		{"negative max repeats", Policy{MaxRepeats: -3}, 2, tipline.UrgencyNormal, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, after, ok := tt.policy.Next(tt.level, tt.urgency)
			if next != tt.next || after != tt.after || ok != tt.ok {
				t.Errorf("Next(%d, %q) = %d, %v, %v; want %d, %v, %v", tt.level, tt.urgency, next, after, ok, tt.next, tt.after, tt.ok)
			}
		})
	}
}

// TestPolicyChain walks a whole escalation as the routing jobs would.
func TestPolicyChain(t *testing.T) {
	tests := []struct {
		urgency tipline.Urgency
		// offsets of each notification from the first, in minutes
		want []int
	}{
		{tipline.UrgencyUrgent, []int{0, 5, 10, 40, 70, 100, 130, 160, 190, 220, 250, 280, 310, 340, 370}},
		{tipline.UrgencyNormal, []int{0, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330, 360, 390, 420}},
	}
	for _, tt := range tests {
		t.Run(string(tt.urgency), func(t *testing.T) {
			p := DefaultPolicy()
			var got []int
			level, at := 0, time.Duration(0)
			for {
				got = append(got, int(at/time.Minute))
				next, after, ok := p.Next(level, tt.urgency)
				if !ok {
					break
				}
				if next != level+1 {
					t.Fatalf("level %d is followed by %d", level, next)
				}
				level, at = next, at+after
				if len(got) > 100 {
					t.Fatal("the chain does not stop")
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("notifications at %v minutes, want %v", got, tt.want)
			}
			if level != 14 {
				t.Errorf("last level %d, want 14 (everyone, then 12 repeats)", level)
			}
		})
	}
}

func TestRecipients(t *testing.T) {
	dara := tipline.Reviewer{ID: 1, Name: "Dara", Active: true}
	sophea := tipline.Reviewer{ID: 2, Name: "Sophea", Active: true}
	niran := tipline.Reviewer{ID: 3, Name: "Niran", Active: true}
	gone := tipline.Reviewer{ID: 4, Name: "Gone", Active: false}
	all := []tipline.Reviewer{niran, gone, sophea, dara}
	blocked := dara
	blocked.Unreachable = ict(23, 8, 0)
	withBlocked := []tipline.Reviewer{niran, gone, sophea, blocked}
	allBlocked := []tipline.Reviewer{blocked, {ID: 2, Name: "Sophea", Active: true, Unreachable: ict(23, 8, 0)}}

	rota := mustRota(t, "",
		"1:mon-fri@08:00-20:00,4:sat+sun@08:00-20:00",
		"2:daily@08:00-20:00,3:mon-fri@20:00-08:00")
	mon9, mon22, sat9, sat22 := ict(23, 9, 0), ict(23, 22, 0), ict(28, 9, 0), ict(28, 22, 0)

	tests := []struct {
		name      string
		rota      Rota
		level     int
		at        time.Time
		reviewers []tipline.Reviewer
		want      []int64
		reason    string
	}{
		{"primary on shift", rota, 0, mon9, all, []int64{1}, ReasonPrimary},
		{"secondary on shift", rota, 1, mon9, all, []int64{2}, ReasonSecondary},
		{"secondary at night", rota, 1, mon22, all, []int64{3}, ReasonSecondary},
		{"everyone: active only", rota, 2, mon9, all, []int64{1, 2, 3}, ReasonEveryone},
		{"repeat of everyone", rota, 7, mon9, all, []int64{1, 2, 3}, ReasonEveryone},
		{"no primary at night: everyone", rota, 0, mon22, all, []int64{1, 2, 3}, ReasonNobody},
		{"primary on shift is disabled: everyone", rota, 0, sat9, all, []int64{1, 2, 3}, ReasonNobody},
		{"nobody on saturday night", rota, 1, sat22, all, []int64{1, 2, 3}, ReasonNobody},
		{"empty rota: everyone", Rota{}, 0, mon9, all, []int64{1, 2, 3}, ReasonNobody},
		{"on shift but not a reviewer: everyone", rota, 0, mon9, []tipline.Reviewer{sophea, niran}, []int64{2, 3}, ReasonNobody},
		{"duplicates counted once", rota, 2, mon9, []tipline.Reviewer{dara, dara, sophea}, []int64{1, 2}, ReasonEveryone},
		{"no active reviewers", rota, 0, mon9, []tipline.Reviewer{gone}, nil, ReasonNoReviewers},
		{"no reviewers at all", rota, 2, mon9, nil, nil, ReasonNoReviewers},
		{"negative level: everyone", rota, -1, mon9, all, []int64{1, 2, 3}, ReasonEveryone},
		{"primary unreachable: everyone reachable", rota, 0, mon9, withBlocked, []int64{2, 3}, ReasonNobody},
		{"everyone: reachable only", rota, 2, mon9, withBlocked, []int64{2, 3}, ReasonEveryone},
		{"nobody reachable: everyone active", rota, 0, mon9, allBlocked, []int64{1, 2}, ReasonNoneReachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := Recipients(tt.rota, tt.level, tt.at, tt.reviewers)
			var ids []int64
			for _, rv := range got {
				if !rv.Active {
					t.Errorf("disabled reviewer %d chosen", rv.ID)
				}
				ids = append(ids, rv.ID)
			}
			if !slices.Equal(ids, tt.want) || reason != tt.reason {
				t.Errorf("got %v (%q), want %v (%q)", ids, reason, tt.want, tt.reason)
			}
		})
	}
}
