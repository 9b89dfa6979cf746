package rules

import (
	"math"
	"sort"
	"strings"

	"github.com/tipline/tipline"
)

// HaversineKm is the distance between two points on the Earth, in km.
func HaversineKm(a, b tipline.Location) float64 {
	const earthKm = 6371.0
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	dLat, dLon := rad(b.Latitude-a.Latitude), rad(b.Longitude-a.Longitude)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(rad(a.Latitude))*math.Cos(rad(b.Latitude))*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthKm * math.Asin(math.Sqrt(min(1, h)))
}

// MatchOpenCase tells whether an open case with these answers and this
// location matches a place or location look-up, and how.
func MatchOpenCase(q tipline.FindQuery, answers tipline.Answers, loc *tipline.Location) (tipline.Found, bool) {
	if place := strings.ToLower(strings.TrimSpace(q.Place)); place != "" {
		for _, key := range tipline.PlaceAnswers {
			if v := answers[key]; v != "" && strings.Contains(strings.ToLower(v), place) {
				return tipline.Found{Place: v}, true
			}
		}
		return tipline.Found{}, false
	}
	if q.Near == nil || loc == nil {
		return tipline.Found{}, false
	}
	radius := q.WithinKm
	if radius == 0 {
		radius = tipline.FindKm
	}
	if d := HaversineKm(*q.Near, *loc); d <= radius {
		return tipline.Found{DistanceKm: d}, true
	}
	return tipline.Found{}, false
}

// SortFound orders a look-up's results: nearest first for a location,
// otherwise newest first; and cuts them to MaxFound.
func SortFound(q tipline.FindQuery, out []tipline.Found) []tipline.Found {
	sort.SliceStable(out, func(i, j int) bool {
		if q.Near != nil && q.Place == "" && out[i].DistanceKm != out[j].DistanceKm {
			return out[i].DistanceKm < out[j].DistanceKm
		}
		return out[i].CreatedAt.After(out[j].CreatedAt)
	})
	if len(out) > tipline.MaxFound {
		out = out[:tipline.MaxFound]
	}
	return out
}

// InScope tells whether a case with this status and assignee (0: nobody)
// may be found by q: every case when q.For is 0, else the reviewer's own
// and the open ones nobody has.
func InScope(q tipline.FindQuery, status tipline.Status, assignee int64) bool {
	return q.For == 0 || assignee == q.For || (assignee == 0 && status != tipline.StatusClosed)
}

// SummaryOf is what a look-up shows of a case.
func SummaryOf(c tipline.Case) tipline.CaseSummary {
	return tipline.CaseSummary{Reference: c.Reference, Kind: c.Kind, Urgency: c.Urgency, Status: c.Status, CreatedAt: c.CreatedAt,
		Exploitation: c.Classification.Exploitation, Risk: c.Classification.Risk}
}
