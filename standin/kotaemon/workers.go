package kotaemon

// Gradio runs sync routes on a bounded thread pool; modelling it is what lets the suite
// show /app_id stalling while /startup-events, which needs no worker, still answers.

import (
	"context"
	"sync"
)

type pool struct {
	mu      sync.Mutex
	size    int
	busy    int
	held    bool          // the exhaust fault holds every worker
	changed chan struct{} // closed and replaced on every change, to wake waiters
}

func newPool(size int) *pool {
	return &pool{size: size, changed: make(chan struct{})}
}

// acquire waits for a free worker; the returned release must be called once.
func (p *pool) acquire(ctx context.Context) (release func(), err error) {
	for {
		p.mu.Lock()
		if !p.held && p.busy < p.size {
			p.busy++
			p.mu.Unlock()
			var once sync.Once
			return func() { once.Do(p.release) }, nil
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (p *pool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy--
	p.wake()
}

func (p *pool) hold(held bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = held
	p.wake()
}

func (p *pool) inUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.busy
}

// wake must be called with mu held.
func (p *pool) wake() {
	close(p.changed)
	p.changed = make(chan struct{})
}
