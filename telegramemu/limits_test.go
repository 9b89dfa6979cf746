package telegramemu

import (
	"testing"
	"time"
)

// A call that reached the emulator before its 429 was given was already
// on its way: refused, but not counted as a retry_after ignored. A call
// made a while after the 429, while it still runs, is.
func TestLimiterTellsInFlightFromIgnored(t *testing.T) {
	lm := newLimiter(&Limits{Global: 30, GlobalBurst: 1, PerChat: 1, ChatBurst: 1})
	t0 := time.Unix(1_700_000_000, 0)
	if _, ok := lm.take(7, t0, t0); !ok {
		t.Fatal("first message refused")
	}
	ra, ok := lm.take(7, t0, t0.Add(10*time.Millisecond))
	if ok || ra < 1 {
		t.Fatalf("second message in the same instant: ok %v retry_after %d, want a 429", ok, ra)
	}
	// Sent before the 429 was given, handled just after it.
	if _, ok := lm.take(7, t0.Add(5*time.Millisecond), t0.Add(20*time.Millisecond)); ok {
		t.Fatal("a call during the retry_after was admitted")
	}
	if st := lm.stats; st.InFlight != 1 || st.Ignored != 0 {
		t.Fatalf("a call in flight counted as %+v, want InFlight 1, Ignored 0", st)
	}
	// Made half a second after the 429, while it still runs: ignored.
	late := t0.Add(10*time.Millisecond + InFlightGrace + 100*time.Millisecond)
	if _, ok := lm.take(7, late, late); ok {
		t.Fatal("a call during the retry_after was admitted")
	}
	if st := lm.stats; st.Ignored != 1 || st.TooMany != 3 {
		t.Fatalf("a call that ignored the retry_after counted as %+v, want Ignored 1, TooMany 3", st)
	}
	// Once it has run out, the chat is open again.
	after := t0.Add(3 * time.Second)
	if _, ok := lm.take(7, after, after); !ok {
		t.Fatal("refused after the retry_after ran out")
	}
}
