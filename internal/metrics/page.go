package metrics

import (
	"net/http"
	"sync"
	"time"
)

// pageRenderer renders the metrics page one request at a time, and a render serves every
// request of the same format that arrived before it began: each gather allocates the
// registry's metric families anew, and a flood of scrapes (pipelined, or never read)
// would otherwise hold one set per connection (7 MiB over 128 connections, measured by
// the flood bench). A request never gets a page gathered before it arrived.
type pageRenderer struct {
	render http.Handler
	mu     sync.Mutex
	last   *renderedPage
}

// renderedPage is one render's answer, read-only once made.
type renderedPage struct {
	format string // the request headers that chose the answer's encoding
	began  time.Time
	code   int
	header http.Header
	body   []byte
}

func (p *pageRenderer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	page := p.page(r, time.Now())
	for k, v := range page.header {
		w.Header()[k] = v
	}
	w.WriteHeader(page.code)
	_, _ = w.Write(page.body)
}

func (p *pageRenderer) page(r *http.Request, arrived time.Time) *renderedPage {
	format := r.Header.Get("Accept") + "\n" + r.Header.Get("Accept-Encoding")
	p.mu.Lock()
	defer p.mu.Unlock()
	if last := p.last; last != nil && last.format == format && !last.began.Before(arrived) {
		return last
	}
	rec := &renderedPage{format: format, began: time.Now(), header: http.Header{}}
	p.render.ServeHTTP(rec, r)
	rec.WriteHeader(http.StatusOK)
	p.last = rec
	return rec
}

// Header, WriteHeader and Write make a renderedPage the writer a render records into.
func (rp *renderedPage) Header() http.Header { return rp.header }

func (rp *renderedPage) WriteHeader(code int) {
	if rp.code == 0 {
		rp.code = code
	}
}

func (rp *renderedPage) Write(b []byte) (int, error) {
	rp.WriteHeader(http.StatusOK)
	rp.body = append(rp.body, b...)
	return len(b), nil
}
