package postgres

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
)

// A process that dies with its connection (kill -9, a crash, a lost
// machine) costs a second, not ten: each bot process holds a session-level
// advisory lock of its own on a connection of its own while it lives, and
// records the lock's key in its processes row. PostgreSQL drops the lock
// the moment that connection closes; every heartbeat looks for processes
// whose lock is gone and frees what they held, as their Leave would have.
// A process that hangs with its connection open keeps its lock, and is
// taken over after the usual silence.

// processLock is the lock this store holds for its process.
type processLock struct {
	mu    sync.Mutex
	owner string
	key   int64
	conn  *pgx.Conn // nil while not held
}

// processLockKey is the advisory key of a process, by its owner name.
const processLockKey = `hashtextextended(current_schema() || ':tipline-process:' || $1, 0)`

// lockGone is the SQL condition "processes row pr records a lock that no
// session holds now" (a bigint advisory key shows in pg_locks as its high
// and low halves, objsubid 1).
const lockGone = `pr.lock_key is not null and not exists (
		select 1 from pg_locks l
		where l.locktype = 'advisory' and l.granted and l.objsubid = 1
		  and l.database = (select oid from pg_database where datname = current_database())
		  and l.classid::bigint = ((pr.lock_key >> 32) & 4294967295)
		  and l.objid::bigint = (pr.lock_key & 4294967295))`

// HoldProcessLock takes owner's lock for this store's process, on a
// connection of its own that lives as long as the process does (until
// Leave). The heartbeat takes it again if that connection is lost.
func (p *Store) HoldProcessLock(ctx context.Context, owner string) error {
	p.plock.mu.Lock()
	defer p.plock.mu.Unlock()
	p.plock.owner = owner
	return p.lockLocked(ctx)
}

// lockLocked (re)takes the lock when it is not held; plock.mu is held.
func (p *Store) lockLocked(ctx context.Context) error {
	l := &p.plock
	if l.conn != nil {
		if err := l.conn.Ping(ctx); err == nil {
			return nil
		}
		l.drop()
	}
	c, err := p.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("process lock: %w", dbErr(err))
	}
	conn := c.Hijack() // ours alone, outside the pool, for as long as we live
	var ok bool
	if err := conn.QueryRow(ctx, `select `+processLockKey+`, pg_try_advisory_lock(`+processLockKey+`)`, l.owner).Scan(&l.key, &ok); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return fmt.Errorf("process lock: %w", dbErr(err))
	}
	if !ok {
		_ = conn.Close(context.WithoutCancel(ctx))
		return fmt.Errorf("process lock: held by another session of %q", l.owner)
	}
	l.conn = conn
	return nil
}

// drop closes the lock's connection, which frees the lock; plock.mu is held.
func (l *processLock) drop() {
	if l.conn != nil {
		_ = l.conn.Close(context.Background())
		l.conn = nil
	}
}

// heldKey is the key to record for owner at a heartbeat: its lock's, taken
// again first if it was lost; nil when owner holds none.
func (p *Store) heldKey(ctx context.Context, owner string) *int64 {
	p.plock.mu.Lock()
	defer p.plock.mu.Unlock()
	if p.plock.owner != owner || p.plock.owner == "" {
		return nil
	}
	if err := p.lockLocked(ctx); err != nil {
		return nil
	}
	key := p.plock.key
	return &key
}

// releaseProcessLock gives owner's lock up (Leave).
func (p *Store) releaseProcessLock(owner string) {
	p.plock.mu.Lock()
	defer p.plock.mu.Unlock()
	if p.plock.owner == owner {
		p.plock.drop()
		p.plock.owner = ""
	}
}
