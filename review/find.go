package review

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/reply"
)

// /find for reviewers: a reference, place words, or a shared location.

// Finder looks cases up (the store's FindCases).
type Finder interface {
	FindCases(ctx context.Context, q tipline.FindQuery) ([]tipline.Found, error)
}

// MinFindChars is the fewest characters a place look-up takes.
const MinFindChars = 3

// MaxFindLines bounds the cases one /find lists.
const MaxFindLines = 10

// Find answers "/find ARG": a reference, or place words.
func (d *Desk) Find(ctx context.Context, rv tipline.Reviewer, arg string) ([]Out, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return []Out{Tell(rv, Say("rv_find_help", nil))}, nil
	}
	q := tipline.FindQuery{Place: arg}
	if ref, err := tipline.ParseReference(strings.ToUpper(arg)); err == nil {
		q = tipline.FindQuery{Reference: ref}
	} else if script.Length(arg) < MinFindChars {
		// "/find a" would list every case with an "a" in its place.
		return []Out{Tell(rv, Say("rv_find_help", nil))}, nil
	}
	return d.find(ctx, rv, q)
}

// FindNear answers a location a reviewer shared: open cases within FindKm.
func (d *Desk) FindNear(ctx context.Context, rv tipline.Reviewer, at tipline.Location) ([]Out, error) {
	return d.find(ctx, rv, tipline.FindQuery{Near: &at, WithinKm: tipline.FindKm})
}

func (d *Desk) find(ctx context.Context, rv tipline.Reviewer, q tipline.FindQuery) ([]Out, error) {
	if d.Finder == nil {
		return []Out{Tell(rv, FoundCases(nil, q, d.Now()))}, nil
	}
	if !rv.Admin {
		q.For = rv.ID
	}
	found, err := d.Finder.FindCases(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("find cases: %w", err)
	}
	for i, c := range found {
		if i == MaxFindLines {
			break
		}
		if err := d.recordRead(ctx, rv, c.Reference, readFound); err != nil {
			return nil, err
		}
	}
	return []Out{Tell(rv, FoundCases(found, q, d.Now()))}, nil
}

// FoundCases lists what the look-up q found, at most MaxFindLines, each
// with a button that shows it (for any version: it only reads). A look-up
// by place or location searched open cases only, and says so, found or
// not: "No case found" would hide a closed one.
func FoundCases(list []tipline.Found, q tipline.FindQuery, now time.Time) reply.Message {
	near, open := q.Near != nil, q.Reference == ""
	if len(list) == 0 {
		if open {
			return Say("rv_find_none_open", nil)
		}
		return Say("rv_find_none", nil)
	}
	title := "rv_find_title"
	if open {
		title = "rv_find_title_open"
	}
	m := reply.Message{Lines: []reply.Text{{ID: title}}}
	for i, c := range list {
		if i == MaxFindLines {
			// Narrower words find the rest: a long list helps nobody.
			m.Lines = append(m.Lines, reply.Text{ID: "rv_find_more", Data: map[string]any{"Count": len(list) - MaxFindLines}})
			break
		}
		data := map[string]any{
			"Reference": string(c.Reference),
			"Kind":      listedKind(c.CaseSummary),
			"Urgency":   reply.Text{ID: "rv_urgency_" + string(c.Urgency)},
			"Status":    reply.Text{ID: "rv_status_" + string(c.Status)}, // the team's word, not the reporter's "a person is looking at it"
			"Age":       reply.Elapsed(now.Sub(c.CreatedAt)),
		}
		id := "rv_queue_line"
		if near {
			id = "rv_find_line_near"
			data["Distance"] = reply.Distance(c.DistanceKm)
		}
		m.Lines = append(m.Lines, reply.Text{ID: id, Item: true, Data: data})
		m.Buttons = append(m.Buttons, []reply.Button{{Label: Verbatim(string(c.Reference)), Action: On(Details, c.Reference).String(), Version: AnyVersion}})
	}
	return m
}
