package storage

import (
	"github.com/tipline/tipline"
)

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
	// For, when not 0, is the reviewer looking: only their own cases and
	// cases nobody has yet are found (an admin looks with 0, for all).
	// A reviewer's phone then reaches no other reviewer's cases.
	For int64
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
