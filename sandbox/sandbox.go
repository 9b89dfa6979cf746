// Package sandbox serves the browser page of `tipline sandbox`: a phone-like
// chat in which a person plays a reporter, talking to the bot through the
// Bot API emulator's control API (bot/telegramtest) on the same origin.
//
// The page is sandbox chrome for developers and demos, never seen by real
// reporters, so everything on it except the bot's own words is English.
package sandbox

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// static holds the page: index.html, app.js and style.css, plain files with
// no build step, so what is reviewed is what the browser runs.
//
//go:embed static
var static embed.FS

// contentSecurityPolicy keeps the page to its own origin: no CDN, no inline
// script, and images and audio only from the emulator's file endpoint or
// blobs the page made itself.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Page serves the sandbox page and its assets at "/". It expects the
// emulator's control API under /_emulator/ on the same origin; Mount sets
// that up.
func Page() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// The directory is embedded at compile time; failing here is a
		// build mistake, not a run-time condition.
		panic("sandbox: embedded page missing: " + err.Error())
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		// The page changes with the binary; never let a browser keep an old
		// app.js against a newer emulator.
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		files.ServeHTTP(w, r)
	})
}

// Mount registers the page at "/" and the emulator at the paths it serves:
// the Bot API under "/bot<token>/", file downloads under "/file/" and the
// control API under "/_emulator/". It panics, as ServeMux.Handle does, if
// mux already has any of these patterns.
func Mount(mux *http.ServeMux, emulator http.Handler) {
	page := Page()
	mux.Handle("/_emulator/", emulator)
	mux.Handle("/file/", emulator)
	// The Bot API's paths are /bot<token>/<method>: the token is part of the
	// first segment, so no ServeMux pattern can match them as a prefix.
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/bot") {
			emulator.ServeHTTP(w, r)
			return
		}
		page.ServeHTTP(w, r)
	}))
}
