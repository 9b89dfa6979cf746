package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"time"
)

// The page's "Cases on this page" checklist is built from what happened to
// each case, as the store records it, not from the buttons the phones show:
// a button goes away when it is pressed, and a reload starts the page
// afresh, but a case that was reported stays reported.

// The steps of a case, in the order the checklist shows them.
const (
	StepReported = "reported" // the case is stored
	StepNotified = "notified" // a reviewer was sent a notification
	StepTaken    = "taken"    // a reviewer took it
	StepReplied  = "replied"  // the team wrote to the reporter
	StepClosed   = "closed"   // closed, and not reopened since
)

// Step is one step that happened; At is zero when the store keeps no time
// for it. Detail is a few English words for the page ("by Sokha").
type Step struct {
	At     time.Time `json:"at,omitzero"`
	Detail string    `json:"detail,omitempty"`
}

// Trail is what happened to one case: the steps done so far, by name.
type Trail struct {
	Reference string          `json:"ref"`
	Urgent    bool            `json:"urgent"`
	Steps     map[string]Step `json:"steps"`
}

// TrailFunc returns the trail of the case with reference ref; ok is false
// when there is no such case.
type TrailFunc func(ctx context.Context, ref string) (t Trail, ok bool, err error)

// maxTrails bounds the references one request may ask about.
const maxTrails = 50

var referenceRE = regexp.MustCompile(`^TL-[0-9A-Z]{4}-[0-9A-Z]{4}$`)

// Cases answers GET /_sandbox/cases?ref=TL-…&ref=… with the trails of the
// cases named that exist, in the order asked: {"cases": [...]}.
func Cases(trail TrailFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		refs := r.URL.Query()["ref"]
		if len(refs) > maxTrails {
			http.Error(w, "too many references", http.StatusBadRequest)
			return
		}
		out := struct {
			Cases []Trail `json:"cases"`
		}{Cases: []Trail{}}
		seen := map[string]bool{}
		for _, ref := range refs {
			if !referenceRE.MatchString(ref) || seen[ref] {
				continue
			}
			seen[ref] = true
			t, ok, err := trail(r.Context(), ref)
			if err != nil {
				http.Error(w, "cannot read the case", http.StatusInternalServerError)
				return
			}
			if ok {
				out.Cases = append(out.Cases, t)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(out)
	})
}

// MountCases registers Cases at /_sandbox/cases.
func MountCases(mux *http.ServeMux, trail TrailFunc) {
	mux.Handle("/_sandbox/cases", Cases(trail))
}

// EndPollsOn makes the page's long polls (GET /_emulator/messages?wait=…)
// end when stop ends, so that stopping the sandbox does not wait for them;
// every other request to h runs as it would.
func EndPollsOn(stop context.Context, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_emulator/messages" {
			h.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer context.AfterFunc(stop, cancel)()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
