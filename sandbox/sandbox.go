// Package sandbox serves the browser page of `tipline sandbox`: a phone-like
// chat in which a person plays a reporter, talking to the bot through the
// Bot API emulator's control API (telegramemu) on the same origin.
//
// The page is sandbox chrome for developers and demos, never seen by real
// reporters, so everything on it except the bot's own words is English.
package sandbox

import (
	"bytes"
	"embed"
	"html"
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

// defaultNote is the page's line about where its data goes, as
// index.html has it: true of a sandbox with in-memory storage.
const defaultNote = "A local bot, an emulated Telegram and in-memory storage: nothing here reaches Telegram or a database, and everything is gone when <code>tipline sandbox</code> stops."

// Page serves the sandbox page and its assets at "/". It expects the
// emulator's control API under /_emulator/ on the same origin; Mount sets
// that up.
func Page() http.Handler { return PageNoting("") }

// PageNoting is Page with note (plain text) as the page's line about where
// its data goes, for a sandbox that keeps it somewhere other than memory;
// "" keeps the page's own line.
func PageNoting(note string) http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// The directory is embedded at compile time; failing here is a
		// build mistake, not a run-time condition.
		panic("sandbox: embedded page missing: " + err.Error())
	}
	files := http.FileServerFS(sub)
	var index []byte
	if note != "" {
		raw, err := fs.ReadFile(sub, "index.html")
		if err != nil || !bytes.Contains(raw, []byte(defaultNote)) {
			panic("sandbox: index.html lost its note about storage")
		}
		index = bytes.Replace(raw, []byte(defaultNote), []byte(html.EscapeString(note)), 1)
	}
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
		if index != nil && (r.URL.Path == "/" || r.URL.Path == "/index.html") {
			h.Set("Content-Type", "text/html; charset=utf-8")
			w.Write(index)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// Mount registers the page at "/" and the emulator at the paths it serves:
// the Bot API under "/bot<token>/", file downloads under "/file/" and the
// control API under "/_emulator/". It panics, as ServeMux.Handle does, if
// mux already has any of these patterns.
func Mount(mux *http.ServeMux, emulator http.Handler) { MountNoting(mux, emulator, "") }

// MountNoting is Mount with the page's line about where its data goes
// (PageNoting).
func MountNoting(mux *http.ServeMux, emulator http.Handler, note string) {
	page := PageNoting(note)
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
