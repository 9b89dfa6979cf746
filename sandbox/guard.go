package sandbox

import (
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"strings"
)

// TokenParam is the query parameter of the page link that carries the
// run's token: http://127.0.0.1:8080/?token=….
const TokenParam = "token"

// Guard lets only the person who opened the sandbox's own link use it. A
// web page they visit meanwhile must not be able to play the sandbox's
// reviewer: not by sending requests to 127.0.0.1 (CSRF), nor by pointing a
// name it controls at 127.0.0.1 (DNS rebinding). So every request must:
//   - name this machine in its Host header (a rebound name is refused);
//   - come from the page itself when the browser says where it comes from
//     (Origin, Sec-Fetch-Site);
//   - carry the run's token: the link printed in the terminal sets it as a
//     SameSite=Strict, HttpOnly cookie for this port, then drops it from
//     the address bar;
//   - send JSON as application/json, which a foreign page cannot send
//     without the browser asking first (text/plain it can).
//
// The Bot API paths (/bot<token>/…, /file/bot<token>/…) are the bot's own
// calls: they need no cookie, since the bot token in their path is random
// for each run, but the Host check holds for them too. listenAddr is the
// address the sandbox listens on; its host is accepted beside loopback.
func Guard(next http.Handler, token, listenAddr string) http.Handler {
	listenHost, port, _ := net.SplitHostPort(listenAddr)
	cookie := "tipline_sandbox_" + port // cookies ignore ports: one per sandbox
	same := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	refuse := func(w http.ResponseWriter, why string) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("tipline sandbox: " + why + "\n"))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !localHost(r.Host, listenHost) {
			refuse(w, "this address is not the sandbox's; open the link printed in the terminal")
			return
		}
		if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
			refuse(w, "request from another site")
			return
		}
		if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
			refuse(w, "request from another site")
			return
		}
		if botAPI(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/" && r.URL.Query().Has(TokenParam) {
			if !same(r.URL.Query().Get(TokenParam), token) {
				refuse(w, "wrong link; open the link tipline sandbox printed in the terminal")
				return
			}
			http.SetCookie(w, &http.Cookie{Name: cookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		if c, err := r.Cookie(cookie); err != nil || !same(c.Value, token) {
			refuse(w, "open the link tipline sandbox printed in the terminal (it carries this run's token)")
			return
		}
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/_emulator/") {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || (mt != "application/json" && mt != "multipart/form-data") {
				w.WriteHeader(http.StatusUnsupportedMediaType)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// botAPI tells whether a path is the Bot API's or its file downloads'.
func botAPI(path string) bool {
	return strings.HasPrefix(path, "/bot") || strings.HasPrefix(path, "/file/bot")
}

// localHost tells whether a Host header names this machine: localhost, a
// loopback or unspecified address, or the host the sandbox listens on.
func localHost(hostport, listenHost string) bool {
	host := hostOnly(hostport)
	if host == "" {
		return false
	}
	if host == "localhost" || (listenHost != "" && host == listenHost) {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// hostOnly is the host of a Host header, without port or brackets.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}
