package memory

import (
	"context"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Peek reads the twin's data straight, for tests: what storagetest.Peek
// reads of PostgreSQL's tables. The program never uses it.
func (m *Store) Peek() Peek { return Peek{m} }

// Peek is the twin's data as a test reads it.
type Peek struct{ m *Store }

// InboxPending counts updates not yet processed, claimed or not.
func (p Peek) InboxPending(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	n := 0
	for _, r := range p.m.inbox {
		if !r.processed {
			n++
		}
	}
	return n, nil
}

// PendingJobs lists a case's routing jobs, claimed or not, oldest first;
// none for an unknown case.
func (p Peek) PendingJobs(ctx context.Context, ref tipline.Reference) ([]tipline.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	out := []tipline.Job{}
	sc, ok := p.m.cases[ref]
	if !ok {
		return out, nil
	}
	for _, j := range p.m.jobs {
		if j.sc == sc {
			out = append(out, j.job)
		}
	}
	rules.SortJobs(out)
	return out, nil
}
