package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// What an answer costs, counted rather than timed: PostgreSQL transactions
// and statements, and Redis commands, per answer on a reporter's first
// steps (/start → button → text → button). Counts hardly move with the
// load of the machine, unlike CPU seconds, so they can be compared between
// runs on a shared box; the claims of the inbox and the outbox are counted
// apart, since idle workers and senders run them on a timer too. They are
// read on a PostgreSQL and a Redis of the benchmark's own (nothing else
// talks to them), and what the idle bot does meanwhile (heartbeats, claims,
// routing ticks) is measured first and taken off.

// pathCounts is a sample of the counters of the private servers.
type pathCounts struct {
	xacts, statements, claims, redisCommands float64
	byCommand                                map[string]float64 // Redis calls by command
}

func (c pathCounts) minus(d pathCounts) pathCounts {
	out := pathCounts{c.xacts - d.xacts, c.statements - d.statements, c.claims - d.claims, c.redisCommands - d.redisCommands, map[string]float64{}}
	for k, v := range c.byCommand {
		out.byCommand[k] = v - d.byCommand[k]
	}
	return out
}

func (c pathCounts) scaled(f float64) pathCounts {
	out := pathCounts{c.xacts * f, c.statements * f, c.claims * f, c.redisCommands * f, map[string]float64{}}
	for k, v := range c.byCommand {
		out.byCommand[k] = v * f
	}
	return out
}

// commands lists the Redis commands counted, most called first.
func (c pathCounts) commands() string {
	names := slices.Collect(maps.Keys(c.byCommand))
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(c.byCommand[b], c.byCommand[a]) })
	var out strings.Builder
	for _, n := range names {
		if c.byCommand[n] >= 0.005 {
			fmt.Fprintf(&out, " %s %.2f", n, c.byCommand[n])
		}
	}
	return out.String()
}

// pgStatsDelay is how long PostgreSQL may keep a backend's transaction
// counts before they show in pg_stat_database (PGSTAT_IDLE_INTERVAL).
const pgStatsDelay = 11 * time.Second

// sampleCounts reads the counters: committed transactions of the database
// (pg_stat_database), statements run (pg_stat_statements, the meter's own
// left out), told apart from the claims of the inbox and the outbox (which
// idle workers and senders also run, so their count moves with timing),
// and Redis commands (INFO commandstats, INFO left out; commands a script
// runs count too).
func sampleCounts(ctx context.Context, b *testing.B, conn *pgx.Conn, rc *redis.Client) pathCounts {
	b.Helper()
	c := pathCounts{byCommand: map[string]float64{}}
	const q = `
		select (select xact_commit from pg_stat_database where datname = current_database())::float8,
		       coalesce(sum(calls) filter (where query not like '%with beat as%'), 0)::float8,
		       coalesce(sum(calls) filter (where query like '%with beat as%'), 0)::float8
		from pg_stat_statements where query not like '%pg_stat%'`
	if err := conn.QueryRow(ctx, q).Scan(&c.xacts, &c.statements, &c.claims); err != nil {
		b.Fatalf("read the PostgreSQL counters: %v", err)
	}
	c.xacts-- // this query's own transaction
	info, err := rc.Info(ctx, "commandstats").Result()
	if err != nil {
		b.Fatalf("read the Redis counters: %v", err)
	}
	for line := range strings.SplitSeq(info, "\n") {
		name, stats, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") || name == "cmdstat_info" {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(stats, "calls="), ",")
		n, err := strconv.ParseFloat(calls, 64)
		if err == nil {
			c.redisCommands += n
			c.byCommand[strings.TrimPrefix(name, "cmdstat_")] = n
		}
	}
	return c
}

// topStatements lists the statements run most since the counters were
// reset, for the log: where the count comes from.
func topStatements(ctx context.Context, conn *pgx.Conn, n int) string {
	rows, err := conn.Query(ctx, `
		select calls, regexp_replace(left(query, 400), '\s+', ' ', 'g') from pg_stat_statements
		where query not like '%pg_stat%' order by calls desc limit $1`, n)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out strings.Builder
	for rows.Next() {
		var calls int64
		var q string
		if rows.Scan(&calls, &q) == nil {
			fmt.Fprintf(&out, "\n%8d  %s", calls, q)
		}
	}
	return out.String()
}

// countPath runs users reporters through /start → button → text → button
// at once against a bot on servers of its own, and reports the counts per
// answer (one answer per update). Without the tools for those servers it
// says so and reports none (the rest of the benchmark stands).
func countPath(b *testing.B, users int) {
	ctx := context.Background()
	if err := missingTool(serverTools...); err != nil {
		b.Logf("counts per answer not measured: they need servers of their own, and %v", err)
		return
	}
	s := startSmallServer(b, "shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all")
	b.Setenv("TIPLINE_TEST_DATABASE_URL", s.pgURL)
	b.Setenv("TIPLINE_TEST_REDIS_URL", s.redisURL)
	e := newTestEnv(b)
	conn := e.sql()
	if _, err := conn.Exec(ctx, `create extension if not exists pg_stat_statements`); err != nil {
		b.Fatal(err)
	}
	e.spawn(b)
	// Settled, then idle: what the bot does with nothing to do.
	time.Sleep(pgStatsDelay)
	idle0, idleStart := sampleCounts(ctx, b, conn, e.rc), time.Now()
	time.Sleep(pgStatsDelay)
	idle := sampleCounts(ctx, b, conn, e.rc).minus(idle0)
	perSecond := idle.scaled(1 / time.Since(idleStart).Seconds())
	if _, err := conn.Exec(ctx, `select pg_stat_statements_reset()`); err != nil {
		b.Fatal(err)
	}
	start, began := sampleCounts(ctx, b, conn, e.rc), time.Now()

	var wg sync.WaitGroup
	failed := make(chan string, users)
	for i := range users {
		u := newUser(e, 8_700_000_000+int64(i), "en")
		wg.Go(func() {
			e.emu.SendText(u.User, "/start")
			if !u.press("menu:tip", time.Minute) {
				failed <- "no menu"
				return
			}
			if _, _, ok := u.WaitButton("back", time.Minute); !ok {
				failed <- "no first question"
				return
			}
			e.emu.SendText(u.User, "a girl is taken tonight")
			if !u.press("a:yes", time.Minute) {
				failed <- "no question after the text"
				return
			}
			if _, ok := u.WaitNew(u.Seen, time.Minute); !ok {
				failed <- "no answer to the last press"
			}
		})
	}
	wg.Wait()
	close(failed)
	for why := range failed {
		b.Fatalf("a reporter's path stopped: %s\n%s", why, e.logs)
	}
	waitInboxDone(b, e)
	time.Sleep(pgStatsDelay)
	spent := sampleCounts(ctx, b, conn, e.rc).minus(start)
	// The statements were reset at the start, so the idle part is taken
	// off each count for the time since.
	spent = spent.minus(perSecond.scaled(time.Since(began).Seconds()))
	per := spent.scaled(1 / float64(4*users))
	b.ReportMetric(per.xacts, "pg-xacts/answer")
	b.ReportMetric(per.statements, "pg-statements/answer")
	b.ReportMetric(per.claims, "pg-claims/answer")
	b.ReportMetric(per.redisCommands, "redis-commands/answer")
	b.Logf("per answer on /start → button → text → button (%d reporters): %.2f PostgreSQL transactions, "+
		"%.2f statements and %.2f claims, %.2f Redis commands (%s); idle bot per second: %.2f transactions, %.2f claims; most run:%s",
		users, per.xacts, per.statements, per.claims, per.redisCommands, strings.TrimSpace(per.commands()), perSecond.xacts,
		perSecond.claims, topStatements(ctx, conn, 20))
}
