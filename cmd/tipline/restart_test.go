package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipline/tipline/internal/testio"
	"github.com/tipline/tipline/telegramemu"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// binary builds the real program once per test run.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tipline-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "tipline")
		out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = &buildError{out: string(out), err: err}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

// process is the program running as its own OS process, so a test can
// kill it without warning.
type process struct {
	cmd  *exec.Cmd
	logs *testio.Buffer
}

func (e *testEnv) spawn(t testing.TB) *process {
	t.Helper()
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = os.Environ()
	for k, v := range e.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, logs: e.logs}
	cmd.Stderr = e.logs
	cmd.Stdout = e.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(e.logs.String(), "tipline is running") {
		if time.Now().After(deadline) {
			t.Fatalf("program did not start:\n%s", e.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p
}

// kill stops the process at once, as a crash or a power cut would.
func (p *process) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// TestCrashLosesNothing kills the program (SIGKILL) while it handles the
// reporter's Send: after the case is committed, before the reporter was
// told. Started again, it finishes the job: one case, and the reporter
// gets the reference (G1, G2). Updates sent while it was down wait at
// Telegram and are handled once it is back.
func TestCrashLosesNothing(t *testing.T) {
	e := newTestEnv(t)
	e.env["TIPLINE_INBOX_LEASE"] = "1s"
	p := e.spawn(t)
	r := e.reporter(7_500_000_001, "km")
	r.tipToReview("what I saw")

	// The reply to Send will hang: the program is killed with the case
	// stored and the reporter not yet told.
	e.emu.InjectFault("sendMessage", 1, telegramemu.Fault{Delay: 3 * time.Second})
	r.press("send:anon")
	deadline := time.Now().Add(waitFor)
	for e.countRows("cases") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("case never stored:\n%s", e.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.kill()

	// While the program is down the reporter writes again.
	e.emu.SendText(r.User, "/start")

	e.spawn(t)
	m := r.waitText(referenceRE)
	waitInboxDone(t, e)
	if n := e.countRows("cases"); n != 1 {
		t.Errorf("cases = %d after the crash, want 1", n)
	}
	ref := referenceRE.FindString(m.Text)
	for _, bm := range e.emu.BotMessages(r.User.ID) {
		if got := referenceRE.FindString(bm.Text); got != "" && got != ref {
			t.Errorf("two references for one report: %s and %s", ref, got)
		}
	}
	// The /start sent during the outage was handled after the restart.
	last := e.emu.BotMessages(r.User.ID)
	if len(last) == 0 || len(last[len(last)-1].Buttons) == 0 {
		t.Errorf("the message sent while the program was down got no answer:\n%s", r.Transcript())
	}
	// After a crash the new process repeats what the dead one had begun:
	// answering the button (Telegram says it is too old) and clearing its
	// keyboard (already cleared); and the request the kill cut in half is
	// refused. All are harmless; nothing else may fail.
	for _, c := range e.emu.Rejected() {
		if strings.Contains(c.Err, "query is too old") || strings.Contains(c.Err, "message is not modified") ||
			strings.Contains(c.Err, "can't parse request body") { // a request cut off by the kill
			continue
		}
		t.Errorf("Telegram would refuse %s: %s", c.Method, c.Err)
	}
}

// TestGracefulStopFinishesInFlight: SIGTERM (context cancel) while an update
// is being handled lets it finish before the program exits, and what it
// queued goes out (Telegram takes a second to answer the send).
func TestGracefulStopFinishesInFlight(t *testing.T) {
	e := newTestEnv(t)
	_, stop := e.start()
	r := e.reporter(7_500_000_002, "en")
	e.emu.InjectFault("sendMessage", 1, telegramemu.Fault{Delay: time.Second})
	e.emu.SendText(r.User, "/start")
	// Wait until the update is in hand (claimed by a worker), or done
	// with its answer on the way (processed as it came in), then stop.
	deadline := time.Now().Add(waitFor)
	for e.countWhere("inbox", "claimed_by is not null or processed_at is not null") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("update never stored")
		}
		time.Sleep(2 * time.Millisecond)
	}
	stop()
	n, err := inboxPending(e)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d updates left unprocessed after a graceful stop", n)
	}
	if len(e.emu.BotMessages(r.User.ID)) == 0 {
		t.Error("the update in hand was not answered before exit")
	}
}
