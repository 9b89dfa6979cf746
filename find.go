package tipline

// FindQuery is one look-up of cases (a reviewer's /find). Exactly one of
// Reference, Place and Near is used, in that order of preference.
type FindQuery struct {
	// Reference finds the case with that reference, open or closed.
	Reference Reference
	// Place finds open cases whose place answer (PlaceAnswers) contains
	// these words, ignoring case.
	Place string
	// Near finds open cases whose shared location lies within WithinKm
	// kilometres of it (FindKm when zero), nearest first.
	Near     *Location
	WithinKm float64
	// For, when not 0, is the reviewer looking: only their own cases and
	// cases nobody has yet are found (an admin looks with 0, for all).
	// A reviewer's phone then reaches no other reviewer's cases.
	For int64
}

// FindKm is how near a shared location a case must be to be found when a
// look-up gives no radius.
const FindKm = 5

// MaxFound bounds how many cases one look-up returns.
const MaxFound = 20

// Found is a case a look-up found.
type Found struct {
	CaseSummary
	// Place is the place answer that matched ("" for a search by reference
	// or location); DistanceKm the distance from FindQuery.Near.
	Place      string
	DistanceKm float64
}
