package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// smallServerPostgres are the PostgreSQL settings the README recommends
// for a server with 1 GB of RAM shared with Redis and the bot (one CPU).
// Durability is left as it is (fsync, synchronous_commit on): G1 rests on
// it. TestSmallServerSettingsInReadme keeps the README in step.
var smallServerPostgres = []string{
	"max_connections=40",
	"shared_buffers=128MB",
	"effective_cache_size=384MB",
	"work_mem=4MB",
	"maintenance_work_mem=32MB",
	"wal_buffers=4MB",
	"min_wal_size=64MB",
	"max_wal_size=256MB",
	"max_worker_processes=2",
	"max_parallel_workers=0",
	"max_parallel_workers_per_gather=0",
	"max_parallel_maintenance_workers=0",
	"random_page_cost=1.1",
	"huge_pages=off",
}

// smallServerRedis are the Redis settings it recommends: a bound on memory
// that refuses writes rather than evicting sessions or limits.
var smallServerRedis = []string{"--maxmemory", "128mb", "--maxmemory-policy", "noeviction"}

// smallServer is a PostgreSQL cluster and a Redis of a benchmark's own,
// started with initdb/pg_ctl and redis-server under a temporary directory,
// pinned to one CPU with taskset.
type smallServer struct {
	dir        string
	cpu        string
	pgURL      string
	redisURL   string
	postmaster int
}

// needTools skips the benchmark, saying why, when a tool is missing.
func needTools(b *testing.B, tools ...string) {
	b.Helper()
	if err := missingTool(tools...); err != nil {
		b.Skipf("the one-CPU benchmark needs %v", err)
	}
}

// missingTool names the first of tools not found, if any.
func missingTool(tools ...string) error {
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("%s (not found: %w)", t, err)
		}
	}
	return nil
}

// serverTools are what a PostgreSQL and a Redis of a benchmark's own need.
var serverTools = []string{"taskset", "initdb", "pg_ctl", "redis-server"}

// freeTCPPort finds a TCP port free on 127.0.0.1 now.
func freeTCPPort(b testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// asPostgres runs a command as the user postgres when we are root
// (initdb refuses root), as ourselves otherwise.
func asPostgres(args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		args = append([]string{"runuser", "-u", "postgres", "--"}, args...)
	}
	return exec.Command(args[0], args[1:]...)
}

// startSmallServer starts the private PostgreSQL (with the small-server
// settings, then extra ones) and Redis.
func startSmallServer(b *testing.B, extra ...string) *smallServer {
	b.Helper()
	needTools(b, serverTools...)
	var uid, gid int
	if os.Geteuid() == 0 {
		needTools(b, "runuser")
		u, err := osuser.Lookup("postgres")
		if err != nil {
			b.Skipf("the one-CPU benchmark runs as root and needs a user postgres for initdb: %v", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	dir, err := os.MkdirTemp("", "tipline-small-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			b.Fatal(err)
		}
	}
	s := &smallServer{dir: dir, cpu: strconv.Itoa(runtime.NumCPU() - 1)}
	s.startPostgres(b, extra)
	s.startRedis(b)
	return s
}

func (s *smallServer) startPostgres(b *testing.B, extra []string) {
	data := filepath.Join(s.dir, "pg")
	if out, err := asPostgres("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
		"--no-locale", "--no-sync").CombinedOutput(); err != nil {
		b.Fatalf("initdb: %v\n%s", err, out)
	}
	port := freeTCPPort(b)
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, s.dir)
	for _, o := range append(slices.Clone(smallServerPostgres), extra...) {
		opts += " -c " + o
	}
	start := asPostgres("taskset", "-c", s.cpu, "pg_ctl", "-D", data, "-l", filepath.Join(s.dir, "pg.log"),
		"-w", "-t", "60", "-o", opts, "start")
	if out, err := start.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "pg.log"))
		b.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	b.Cleanup(func() {
		_ = asPostgres("pg_ctl", "-D", data, "-m", "immediate", "stop").Run()
	})
	raw, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		b.Fatal(err)
	}
	s.postmaster, _ = strconv.Atoi(strings.SplitN(string(raw), "\n", 2)[0])
	s.pgURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

func (s *smallServer) startRedis(b *testing.B) {
	port := freeTCPPort(b)
	args := append([]string{"-c", s.cpu, "redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", s.dir, "--daemonize", "no"}, smallServerRedis...)
	cmd := exec.Command("taskset", args...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	s.redisURL = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	rc := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer rc.Close()
	for deadline := time.Now().Add(20 * time.Second); rc.Ping(context.Background()).Err() != nil; {
		if time.Now().After(deadline) {
			b.Fatal("the private redis-server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pgPIDs lists every process of the private cluster: the postmaster and
// its children (backends, WAL writer, checkpointer...).
func (s *smallServer) pgPIDs() []int {
	pids := []int{s.postmaster}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(raw), ')')
		if f := strings.Fields(string(raw[i+1:])); len(f) > 1 && f[1] == strconv.Itoa(s.postmaster) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// BenchmarkSmallServer: the surge of BenchmarkSurge on the smallest
// server, the bot, a PostgreSQL and a Redis of its own all pinned to one
// CPU (taskset), PostgreSQL with the settings for 1 GB of RAM. It holds
// the surge's figures there: ≥ 28 msg/s, nothing dropped, no retry_after
// ignored, the urgent case on the reviewer's phone within 2 s, callbacks
// answered within 300 ms p99; and reports what each action cost (all of
// PostgreSQL's and Redis's CPU counts: they serve nothing else).
// It needs taskset, initdb, pg_ctl and redis-server, and skips without.
func BenchmarkSmallServer(b *testing.B) {
	for b.Loop() {
		s := startSmallServer(b)
		b.Setenv("TIPLINE_TEST_DATABASE_URL", s.pgURL)
		b.Setenv("TIPLINE_TEST_REDIS_URL", s.redisURL)
		e := &onCallEnv{testEnv: limitedEnv(b)}
		e.withReviewers("Primary Pich")
		p := e.spawnOnCall(b, "taskset", "-c", s.cpu)
		meter := &costMeter{botPID: p.cmd.Process.Pid, pgPIDs: s.pgPIDs, rc: e.rc}
		meter.start(context.Background())
		f := runSurge(b, e, false)
		spent := meter.stop(context.Background(), f.actions)
		f.report(b)
		spent.report(b)
		// Said in the log too: a benchmark that fails prints no metrics.
		b.Logf("one CPU: %.1f msg/s, %d dropped, %d retry_after ignored, urgent %v, callbacks %v p99; "+
			"per action: bot %.2f ms, PostgreSQL %.2f ms, Redis %.2f ms CPU; bot peak %.0f MB",
			f.msgMean, f.dropped, f.ignored, f.urgent, f.callbackP99, spent.botMS, spent.pgMS, spent.redisMS, spent.botPeakMB)
		if f.msgMean < 28 {
			b.Errorf("%.1f msg/s on one CPU, want ≥ 28", f.msgMean)
		}
		if f.dropped > 0 || f.ignored > 0 {
			b.Errorf("%d dropped, %d retry_after ignored on one CPU, want none", f.dropped, f.ignored)
		}
		if f.urgent > 2*time.Second {
			b.Errorf("urgent case after %v on one CPU, want ≤ 2 s", f.urgent)
		}
		if f.callbackP99 > 300*time.Millisecond {
			b.Errorf("callbacks answered in %v p99 on one CPU, want ≤ 300 ms", f.callbackP99)
		}
	}
}

// TestSmallServerSettingsInReadme: the settings the README recommends for
// the smallest server are those BenchmarkSmallServer measured.
func TestSmallServerSettingsInReadme(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, setting := range smallServerPostgres {
		name, value, _ := strings.Cut(setting, "=")
		line := "\n" + name + " = " + value
		if !strings.Contains(readme, line) {
			t.Errorf("README does not recommend %s = %s (BenchmarkSmallServer's setting)", name, value)
		}
	}
	for i := 0; i+1 < len(smallServerRedis); i += 2 {
		if want := "`" + strings.TrimPrefix(smallServerRedis[i], "--") + " " + smallServerRedis[i+1] + "`"; !strings.Contains(readme, want) {
			t.Errorf("README does not recommend Redis's %s", want)
		}
	}
}
