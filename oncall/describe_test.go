package oncall

import (
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
)

func TestDescribe(t *testing.T) {
	reviewers := []tipline.Reviewer{{ID: 1, Name: "Dara"}, {ID: 2, Name: "Sophea"}, {ID: 3, Name: "Niran"}}
	rota := mustRota(t, "",
		"1:mon-fri@08:00-20:00,9:2026-11-28T08:00/2026-11-28T12:00",
		"2:daily@08:00-20:00,3:mon-fri@20:00-08:00")
	tests := []struct {
		name string
		rota Rota
		at   time.Time
		want []string
		not  []string
	}{
		{
			name: "monday morning",
			rota: rota,
			at:   ict(23, 9, 5),
			want: []string{
				"On call now (Mon 23 Nov 2026 09:05, Asia/Phnom_Penh):",
				"  Primary: Dara\n",
				"  Secondary: Sophea\n",
				"Changes in the next 7 days:",
				"  Mon 23 Nov 20:00  primary becomes nobody (was Dara); every active reviewer is notified instead\n",
				"  Mon 23 Nov 20:00  secondary becomes Niran (was Sophea)\n",
				"  Tue 24 Nov 08:00  primary becomes Dara (was nobody)\n",
				"  Sat 28 Nov 08:00  primary becomes reviewer #9 (was nobody)\n",
				"  Sat 28 Nov 12:00  primary becomes nobody",
				"  Sat 28 Nov 08:00  secondary becomes Sophea (was Niran)\n",
			},
			not: []string{"Mon 30 Nov 20:00"}, // beyond seven days
		},
		{
			name: "times in the rota's zone, whatever the caller's",
			rota: rota,
			at:   time.Date(2026, 11, 23, 13, 30, 0, 0, time.UTC),
			want: []string{"(Mon 23 Nov 2026 20:30, Asia/Phnom_Penh)", "  Primary: nobody", "  Secondary: Niran\n"},
		},
		{
			name: "overlap lists both",
			rota: mustRota(t, "Asia/Bangkok", "1:daily@08:00-20:00,2:daily@08:00-20:00", ""),
			at:   ict(23, 9, 0),
			want: []string{"Asia/Bangkok", "  Primary: Dara and Sophea\n", "  Secondary: nobody (every active reviewer is notified instead)\n"},
		},
		{
			name: "empty rota",
			rota: Rota{},
			at:   ict(23, 9, 0),
			want: []string{"  Primary: nobody", "  Secondary: nobody", "No changes in the next 7 days."},
		},
		{
			name: "round-the-clock shift has no changes",
			rota: mustRota(t, "", "1:daily@00:00-24:00", ""),
			at:   ict(23, 9, 0),
			want: []string{"  Primary: Dara\n", "No changes in the next 7 days."},
		},
		{
			name: "unknown zone warns",
			rota: Rota{TimeZone: "Asia/Nowhere"},
			at:   ict(23, 9, 0),
			want: []string{"Warning: time zone \"Asia/Nowhere\" is not known", "every active reviewer is notified"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.rota.Describe(tt.at, reviewers)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Describe does not say %q; got\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("Describe says %q; got\n%s", n, got)
				}
			}
		})
	}
}

func TestDescribeCapsChanges(t *testing.T) {
	var spec []string
	for h := range 12 {
		spec = append(spec, strings.Replace("1:daily@HH:00-HH:30", "HH", twoDigits(h*2), 2))
	}
	rota := mustRota(t, "", strings.Join(spec, ","), "")
	got := rota.Describe(ict(23, 9, 0), nil)
	if !strings.Contains(got, "… and ") || strings.Count(got, "primary becomes") != maxChanges {
		t.Errorf("want %d changes and a count of the rest; got\n%s", maxChanges, got)
	}
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }
