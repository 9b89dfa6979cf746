package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCasesAnswersKnownCasesInOrder(t *testing.T) {
	at := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	trail := func(_ context.Context, ref string) (Trail, bool, error) {
		switch ref {
		case "TL-7K3Q-9XDM":
			return Trail{Reference: ref, Urgent: true, Steps: map[string]Step{StepReported: {At: at}, StepTaken: {At: at, Detail: "by Sokha"}}}, true, nil
		case "TL-AAAA-CCCC":
			return Trail{Reference: ref, Steps: map[string]Step{StepReported: {At: at}}}, true, nil
		}
		return Trail{}, false, nil
	}
	mux := http.NewServeMux()
	MountCases(mux, trail)
	status, ctype, body := get(t, mux, http.MethodGet, "/_sandbox/cases?ref=TL-AAAA-CCCC&ref=TL-9999-9999&ref=<script>&ref=TL-7K3Q-9XDM&ref=TL-AAAA-CCCC")
	if status != http.StatusOK || ctype != "application/json" {
		t.Fatalf("got %d %s, want 200 application/json", status, ctype)
	}
	var got struct{ Cases []Trail }
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Cases) != 2 || got.Cases[0].Reference != "TL-AAAA-CCCC" || got.Cases[1].Reference != "TL-7K3Q-9XDM" {
		t.Fatalf("cases = %+v, want the two known ones, once each, in the order asked", got.Cases)
	}
	if c := got.Cases[1]; !c.Urgent || c.Steps[StepTaken].Detail != "by Sokha" || !c.Steps[StepReported].At.Equal(at) {
		t.Errorf("case = %+v", c)
	}
	if strings.Contains(body, `"notified"`) {
		t.Errorf("a step that did not happen is in %s", body)
	}

	if status, _, _ := get(t, mux, http.MethodPost, "/_sandbox/cases"); status != http.StatusMethodNotAllowed {
		t.Errorf("POST: got %d, want 405", status)
	}
	if status, _, _ := get(t, mux, http.MethodGet, "/_sandbox/cases?"+strings.Repeat("ref=TL-AAAA-CCCC&", maxTrails+1)); status != http.StatusBadRequest {
		t.Errorf("too many references: got %d, want 400", status)
	}
	failing := http.NewServeMux()
	MountCases(failing, func(context.Context, string) (Trail, bool, error) { return Trail{}, false, errors.New("down") })
	if status, _, body := get(t, failing, http.MethodGet, "/_sandbox/cases?ref=TL-AAAA-CCCC"); status != http.StatusInternalServerError || strings.Contains(body, "down") {
		t.Errorf("store error: got %d %q, want 500 without the error's text", status, body)
	}
}

// TestEndPollsOn: the page's long poll ends when the sandbox stops; other
// requests keep their own context.
func TestEndPollsOn(t *testing.T) {
	stop, stopNow := context.WithCancel(context.Background())
	h := EndPollsOn(stop, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			w.WriteHeader(http.StatusNoContent)
		case <-time.After(5 * time.Second):
			w.WriteHeader(http.StatusOK)
		}
	}))
	other := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		rec := httptest.NewRecorder()
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_emulator/send", nil).WithContext(ctx))
		other <- time.Since(start)
	}()
	poll := make(chan int, 1)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_emulator/messages?chat_id=1&version=3&wait=20", nil))
		poll <- rec.Code
	}()
	time.Sleep(50 * time.Millisecond)
	stopNow()
	select {
	case code := <-poll:
		if code != http.StatusNoContent {
			t.Errorf("poll answered %d, want its context ended (204)", code)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the long poll did not end when the sandbox stopped")
	}
	if took := <-other; took < 250*time.Millisecond {
		t.Errorf("another request ended after %v, with the sandbox's stop, want with its own context (300ms)", took)
	}
}
