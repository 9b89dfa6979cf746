package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tipline/tipline/telegramemu"
)

const (
	guardAddr   = "127.0.0.1:8080"
	guardToken  = "f3a9c2d4e5b6a7980112233445566778"
	guardCookie = "tipline_sandbox_8080"
)

// guarded is the sandbox as `tipline sandbox` serves it: the page and the
// real emulator behind Guard. It returns the emulator to look at.
func guarded(t *testing.T) (http.Handler, *telegramemu.Server) {
	t.Helper()
	emu := telegramemu.NewHandlerServer()
	t.Cleanup(emu.Close)
	emu.SetURL("http://" + guardAddr)
	emu.AddUser(telegramemu.User{ID: 2001, FirstName: "Sandbox reviewer"})
	mux := http.NewServeMux()
	Mount(mux, emu.Handler())
	return Guard(mux, guardToken, guardAddr), emu
}

type req struct {
	method, path, host, origin, fetchSite, ctype, body string
	cookie                                             bool
}

func (q req) do(h http.Handler) *http.Response {
	r := httptest.NewRequest(q.method, q.path, strings.NewReader(q.body))
	r.Host = q.host
	if q.origin != "" {
		r.Header.Set("Origin", q.origin)
	}
	if q.fetchSite != "" {
		r.Header.Set("Sec-Fetch-Site", q.fetchSite)
	}
	if q.ctype != "" {
		r.Header.Set("Content-Type", q.ctype)
	}
	if q.cookie {
		r.AddCookie(&http.Cookie{Name: guardCookie, Value: guardToken})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Result()
}

// TestGuardRefusesForeignPages: what a web page the user visits can make
// their browser send to the sandbox: a form or fetch posting "JSON" as
// text/plain (CSRF), the same from a name rebound to 127.0.0.1 (DNS
// rebinding), from another local port, or without the run's token. None
// may press a button or type as the sandbox's reviewer.
func TestGuardRefusesForeignPages(t *testing.T) {
	h, emu := guarded(t)
	send := `{"user_id":2001,"text":"/queue"}`
	for _, tc := range []struct {
		name string
		req  req
		want int
	}{
		{"CSRF: text/plain from another site", req{method: "POST", path: "/_emulator/send", host: guardAddr, origin: "https://evil.example", fetchSite: "cross-site", ctype: "text/plain", body: send}, 403},
		{"CSRF: with the cookie a same-site request carries, from another port", req{method: "POST", path: "/_emulator/send", host: guardAddr, origin: "http://127.0.0.1:9999", fetchSite: "same-site", ctype: "application/json", body: send, cookie: true}, 403},
		{"CSRF: an image tag from another port", req{method: "GET", path: "/_emulator/messages?chat_id=2001", host: guardAddr, fetchSite: "same-site", cookie: true}, 403},
		{"no token", req{method: "POST", path: "/_emulator/send", host: guardAddr, origin: "http://" + guardAddr, ctype: "application/json", body: send}, 403},
		{"text/plain even with the token", req{method: "POST", path: "/_emulator/send", host: guardAddr, origin: "http://" + guardAddr, ctype: "text/plain", body: send, cookie: true}, 415},
		{"no content type", req{method: "POST", path: "/_emulator/send", host: guardAddr, origin: "http://" + guardAddr, body: send, cookie: true}, 415},
		{"DNS rebinding: the page link", req{method: "GET", path: "/?token=" + guardToken, host: "rebind.evil.example:8080"}, 403},
		{"DNS rebinding: reading messages", req{method: "GET", path: "/_emulator/messages?chat_id=2001", host: "rebind.evil.example:8080", cookie: true}, 403},
		{"DNS rebinding: posting", req{method: "POST", path: "/_emulator/send", host: "rebind.evil.example:8080", origin: "http://rebind.evil.example:8080", ctype: "application/json", body: send, cookie: true}, 403},
		{"DNS rebinding: the Bot API", req{method: "POST", path: "/bot" + telegramemu.DefaultToken + "/getUpdates", host: "rebind.evil.example:8080"}, 403},
		{"a wrong token in the link", req{method: "GET", path: "/?token=0000", host: guardAddr}, 403},
		{"the page without the token", req{method: "GET", path: "/", host: guardAddr}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.req.do(h).StatusCode; got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
		})
	}
	if msgs := emu.Messages(2001); len(msgs) != 0 {
		t.Fatalf("a refused request wrote in the reviewer's chat: %v", msgs)
	}
}

// TestGuardLetsTheLinkIn: the printed link sets the cookie and leaves the
// token out of the address bar; then the page and its calls work.
func TestGuardLetsTheLinkIn(t *testing.T) {
	h, emu := guarded(t)
	res := req{method: "GET", path: "/?token=" + guardToken, host: guardAddr, fetchSite: "none"}.do(h)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("the link: status %d to %q, want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
	var set *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == guardCookie {
			set = c
		}
	}
	if set == nil || set.Value != guardToken || !set.HttpOnly || set.SameSite != http.SameSiteStrictMode {
		t.Fatalf("the link set cookie %+v, want %s HttpOnly SameSite=Strict", set, guardCookie)
	}
	for _, tc := range []req{
		{method: "GET", path: "/", host: guardAddr, fetchSite: "same-origin", cookie: true},
		{method: "GET", path: "/app.js", host: "localhost:8080", cookie: true},
		{method: "POST", path: "/_emulator/send", host: guardAddr, origin: "http://" + guardAddr, fetchSite: "same-origin", ctype: "application/json", body: `{"user_id":2001,"text":"/queue"}`, cookie: true},
		{method: "GET", path: "/_emulator/messages?chat_id=2001", host: guardAddr, fetchSite: "same-origin", cookie: true},
		// The bot's own calls: no cookie, the random bot token in the path.
		{method: "POST", path: "/bot" + emu.Token() + "/getMe", host: guardAddr},
	} {
		if got := tc.do(h).StatusCode; got != http.StatusOK {
			t.Errorf("%s %s (Host %s): status %d, want 200", tc.method, tc.path, tc.host, got)
		}
	}
}
