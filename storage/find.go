package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/tipline/tipline"
)

// Looking cases up for a reviewer's /find. Answers are sealed, so a search
// by place opens them in Go; it reads open cases only, which keeps it
// bounded by the team's workload rather than by history.

// FindQuery is one look-up. Exactly one of Reference, Place and Near is
// used, in that order of preference.
type FindQuery struct {
	// Reference finds the case with that reference, open or closed.
	Reference tipline.Reference
	// Place finds open cases whose place answer ("where" of a tip,
	// "seen_where" of a missing child) contains these words, ignoring case.
	Place string
	// Near finds open cases whose shared location lies within WithinKm
	// kilometres of it (DefaultFindKm when zero), nearest first.
	Near     *tipline.Location
	WithinKm float64
}

// DefaultFindKm is the radius of a search near a location when none is
// given.
const DefaultFindKm = 5

// MaxFound bounds how many cases one look-up returns.
const MaxFound = 20

// PlaceAnswers are the answers that hold a place in the reporter's words.
var PlaceAnswers = []string{"where", "seen_where"}

// Found is a case a look-up found.
type Found struct {
	tipline.CaseSummary
	// Place is the place answer that matched ("" for a search by reference
	// or location); DistanceKm the distance from FindQuery.Near.
	Place      string
	DistanceKm float64
}

// checkFind refuses a look-up with nothing to look for.
func checkFind(q FindQuery) error {
	if q.Reference == "" && strings.TrimSpace(q.Place) == "" && q.Near == nil {
		return fmt.Errorf("%w: nothing to look for", ErrInvalid)
	}
	if q.WithinKm < 0 || q.WithinKm > 500 {
		return fmt.Errorf("%w: radius must be between 0 and 500 km", ErrInvalid)
	}
	return nil
}

// haversineKm is the distance between two points on the Earth, in km.
func haversineKm(a, b tipline.Location) float64 {
	const earthKm = 6371.0
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	dLat, dLon := rad(b.Latitude-a.Latitude), rad(b.Longitude-a.Longitude)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(rad(a.Latitude))*math.Cos(rad(b.Latitude))*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthKm * math.Asin(math.Sqrt(min(1, h)))
}

// matchOpenCase tells whether an open case with these answers and this
// location matches a place or location look-up, and how.
func matchOpenCase(q FindQuery, answers tipline.Answers, loc *tipline.Location) (Found, bool) {
	if place := strings.ToLower(strings.TrimSpace(q.Place)); place != "" {
		for _, key := range PlaceAnswers {
			if v := answers[key]; v != "" && strings.Contains(strings.ToLower(v), place) {
				return Found{Place: v}, true
			}
		}
		return Found{}, false
	}
	if q.Near == nil || loc == nil {
		return Found{}, false
	}
	radius := q.WithinKm
	if radius == 0 {
		radius = DefaultFindKm
	}
	if d := haversineKm(*q.Near, *loc); d <= radius {
		return Found{DistanceKm: d}, true
	}
	return Found{}, false
}

// sortFound orders a look-up's results: nearest first for a location,
// otherwise newest first; and cuts them to MaxFound.
func sortFound(q FindQuery, out []Found) []Found {
	sort.SliceStable(out, func(i, j int) bool {
		if q.Near != nil && q.Place == "" && out[i].DistanceKm != out[j].DistanceKm {
			return out[i].DistanceKm < out[j].DistanceKm
		}
		return out[i].CreatedAt.After(out[j].CreatedAt)
	})
	if len(out) > MaxFound {
		out = out[:MaxFound]
	}
	return out
}

// FindCases looks cases up: by reference (any status), or open cases by
// place words or near a location. An empty list, not an error, when
// nothing matches; ErrInvalid for a query with nothing to look for.
func (p *Postgres) FindCases(ctx context.Context, q FindQuery) ([]Found, error) {
	const open = `
		select reference, draft_id, kind, urgency, status, created_at, answers
		from cases
		where status <> 'closed'
		order by id`
	if err := checkFind(q); err != nil {
		return nil, fmt.Errorf("find cases: %w", err)
	}
	if q.Reference != "" {
		c, err := p.Case(ctx, q.Reference)
		if err != nil {
			if isNotFound(err) {
				return []Found{}, nil
			}
			return nil, fmt.Errorf("find cases: %w", err)
		}
		return []Found{{CaseSummary: summaryOf(c)}}, nil
	}
	rows, err := p.pool.Query(ctx, open)
	if err != nil {
		return nil, fmt.Errorf("find cases: %w", dbErr(err))
	}
	defer rows.Close()
	out := []Found{}
	for rows.Next() {
		var (
			cs                        tipline.CaseSummary
			ref, draft, kind, urg, st string
			sealed                    []byte
		)
		if err := rows.Scan(&ref, &draft, &kind, &urg, &st, &cs.CreatedAt, &sealed); err != nil {
			return nil, fmt.Errorf("find cases: %w", dbErr(err))
		}
		cs.Reference, cs.Kind, cs.Urgency, cs.Status = tipline.Reference(ref), tipline.Kind(kind), tipline.Urgency(urg), tipline.Status(st)
		plain, err := p.ring.Open(sealed, caseAAD(draft, "answers"))
		if err != nil {
			return nil, fmt.Errorf("find cases: case %s: answers: %w", ref, err)
		}
		var ans sealedAnswers
		if err := json.Unmarshal(plain, &ans); err != nil {
			return nil, fmt.Errorf("find cases: case %s: answers: malformed", ref)
		}
		if f, ok := matchOpenCase(q, ans.Answers, ans.Location); ok {
			f.CaseSummary = cs
			out = append(out, f)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find cases: %w", dbErr(err))
	}
	return sortFound(q, out), nil
}

// summaryOf is what a look-up shows of a case.
func summaryOf(c tipline.Case) tipline.CaseSummary {
	return tipline.CaseSummary{Reference: c.Reference, Kind: c.Kind, Urgency: c.Urgency, Status: c.Status, CreatedAt: c.CreatedAt}
}

// isNotFound tells whether err is tipline.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, tipline.ErrNotFound) }
