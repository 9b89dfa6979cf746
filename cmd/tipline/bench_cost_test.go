package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// What an answer costs, beside how fast it comes: the CPU seconds of the
// bot's own process, of the PostgreSQL processes serving it and of Redis,
// and the bot's peak resident memory. An NGO pays for CPU and memory on
// the smallest server it can rent, not for answers a second.

// clockTicks is the unit of utime and stime in /proc/<pid>/stat
// (sysconf(_SC_CLK_TCK), 100 on every Linux this runs on).
const clockTicks = 100

// cpuSeconds reads the user and system CPU time a process has used from
// /proc/<pid>/stat; ok is false when the process is gone or unreadable.
func cpuSeconds(pid int) (float64, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces: fields start after it.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	// Fields 14 and 15 of the whole line (utime, stime) are 12 and 13 here.
	user, err1 := strconv.ParseFloat(f[11], 64)
	sys, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (user + sys) / clockTicks, true
}

// peakResidentMB reads a process's peak resident memory (VmHWM).
func peakResidentMB(pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// redisCPU reads Redis's own CPU seconds (INFO cpu), server-wide.
func redisCPU(ctx context.Context, rc *redis.Client) (float64, bool) {
	info, err := rc.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, false
	}
	total, found := 0.0, 0
	for line := range strings.SplitSeq(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				total += x
				found++
			}
		}
	}
	return total, found == 2
}

// costMeter measures a run's cost. botPID is the bot's process; pgPIDs
// lists the PostgreSQL processes to count (the bot's backends on a shared
// server, every process of a private one); rc is the Redis to ask.
type costMeter struct {
	botPID int
	pgPIDs func() []int
	rc     *redis.Client

	bot0, redis0 float64
	pg0          map[int]float64
}

func (c *costMeter) start(ctx context.Context) {
	c.bot0, _ = cpuSeconds(c.botPID)
	c.redis0, _ = redisCPU(ctx, c.rc)
	c.pg0 = map[int]float64{}
	for _, pid := range c.pgPIDs() {
		c.pg0[pid], _ = cpuSeconds(pid)
	}
}

// cost is what a run cost, per answer where it says so.
type cost struct {
	botMS, pgMS, redisMS float64 // CPU milliseconds per answer
	botPeakMB            float64
}

// stop measures the cost of the answers given since start; the bot must
// still be running (its PostgreSQL backends end with it).
func (c *costMeter) stop(ctx context.Context, answers int) cost {
	per := 1000 / float64(max(1, answers))
	var out cost
	if s, ok := cpuSeconds(c.botPID); ok {
		out.botMS = (s - c.bot0) * per
	}
	pg := 0.0
	for _, pid := range c.pgPIDs() {
		if s, ok := cpuSeconds(pid); ok {
			pg += s - c.pg0[pid] // a backend started since counts whole
		}
	}
	out.pgMS = pg * per
	if s, ok := redisCPU(ctx, c.rc); ok {
		out.redisMS = (s - c.redis0) * per
	}
	out.botPeakMB = peakResidentMB(c.botPID)
	return out
}

// medianCost is the median of each cost of several runs, and the highest
// peak of memory.
func medianCost(cs []cost) cost {
	var out cost
	pick := func(f func(cost) float64) float64 {
		xs := make([]float64, len(cs))
		for i, c := range cs {
			xs[i] = f(c)
		}
		return median(xs)
	}
	out.botMS = pick(func(c cost) float64 { return c.botMS })
	out.pgMS = pick(func(c cost) float64 { return c.pgMS })
	out.redisMS = pick(func(c cost) float64 { return c.redisMS })
	for _, c := range cs {
		out.botPeakMB = max(out.botPeakMB, c.botPeakMB)
	}
	return out
}

func (c cost) report(b *testing.B) {
	b.ReportMetric(c.botMS, "bot-cpu-ms/answer")
	b.ReportMetric(c.pgMS, "pg-cpu-ms/answer")
	b.ReportMetric(c.redisMS, "redis-cpu-ms/answer")
	b.ReportMetric(c.botPeakMB, "bot-peak-MB")
}

// tagDatabaseURL names the bot's connections (application_name) so that
// its backends can be told from other clients of a shared server.
func tagDatabaseURL(b *testing.B, raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		b.Skipf("the cost of PostgreSQL needs a URL-form TIPLINE_TEST_DATABASE_URL")
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// backendsOf lists the PostgreSQL backends of the clients named name.
func backendsOf(conn *pgx.Conn, name string) func() []int {
	return func() []int {
		rows, err := conn.Query(context.Background(), `select pid from pg_stat_activity where application_name = $1`, name)
		if err != nil {
			return nil
		}
		pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return nil
		}
		out := make([]int, len(pids))
		for i, p := range pids {
			out[i] = int(p)
		}
		return out
	}
}
