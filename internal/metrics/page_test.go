package metrics

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingPage answers the number of renders so far; the first render waits for
// release, so requests pile up behind it.
type countingPage struct {
	renders atomic.Int32
	release chan struct{}
	entered chan struct{}
}

func (c *countingPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.renders.Add(1)
	if n == 1 {
		close(c.entered)
		<-c.release
	}
	w.Header().Set("Content-Type", "text/plain")
	if enc := r.Header.Get("Accept-Encoding"); enc != "" {
		w.Header().Set("Content-Encoding", enc)
	}
	_, _ = io.WriteString(w, strconv.Itoa(int(n)))
}

// behindARender starts a request that renders and holds the renderer until release.
func behindARender(t *testing.T) (*pageRenderer, *countingPage, <-chan string) {
	t.Helper()
	page := &countingPage{release: make(chan struct{}), entered: make(chan struct{})}
	p := &pageRenderer{render: page}
	first := make(chan string, 1)
	go func() { first <- get(p, "") }()
	<-page.entered
	return p, page, first
}

// get is one request to p, with an Accept-Encoding if enc is not empty.
func get(p http.Handler, enc string) string {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if enc != "" {
		r.Header.Set("Accept-Encoding", enc)
	}
	p.ServeHTTP(w, r)
	return w.Header().Get("Content-Encoding") + w.Body.String()
}

// Requests that arrive while a render is under way share the next render: a flood of
// scrapes costs one gather at a time, not one per connection.
func TestScrapesWaitingOnARenderShareTheNextOne(t *testing.T) {
	t.Parallel()
	p, page, first := behindARender(t)
	const waiting = 8
	var wg sync.WaitGroup
	answers := make([]string, waiting)
	for i := range waiting {
		wg.Go(func() { answers[i] = get(p, "") })
	}
	time.Sleep(50 * time.Millisecond) // they queue behind the first render
	close(page.release)
	assert.Equal(t, "1", <-first)
	wg.Wait()
	for _, a := range answers {
		assert.Equal(t, "2", a, "the render that began after they arrived")
	}
	assert.Equal(t, int32(2), page.renders.Load())
}

// A scrape never gets a page gathered before it arrived: one after another, each sees
// what happened before it.
func TestAScrapeSeesEverythingBeforeIt(t *testing.T) {
	t.Parallel()
	m := New("0.1.0")
	h := m.Handler()
	for i := range 3 {
		m.Probe("live", http.StatusOK)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		assert.Contains(t, w.Body.String(), `kotaemon_health_probe_requests_total{code="200",endpoint="live"} `+strconv.Itoa(i+1))
	}
}

// Scrapes asking for other encodings do not share a page, even waiting on the same
// render: each gets its own format, with its headers.
func TestAPageIsSharedOnlyByTheSameFormat(t *testing.T) {
	t.Parallel()
	p, page, first := behindARender(t)
	var plain, zipped string
	var wg sync.WaitGroup
	wg.Go(func() { plain = get(p, "") })
	wg.Go(func() { zipped = get(p, "gzip") })
	time.Sleep(50 * time.Millisecond)
	close(page.release)
	<-first
	wg.Wait()
	assert.Equal(t, int32(3), page.renders.Load(), "one render per format")
	assert.Regexp(t, `^[23]$`, plain)
	assert.Regexp(t, `^gzip[23]$`, zipped)
}

// The registry's page through the renderer keeps promhttp's negotiation: gzip when
// asked, the text format's content type.
func TestTheMetricsPageKeepsItsEncoding(t *testing.T) {
	t.Parallel()
	h := New("0.1.0").Handler()
	plain := httptest.NewRecorder()
	h.ServeHTTP(plain, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	zipped := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	h.ServeHTTP(zipped, req)

	require.Equal(t, http.StatusOK, zipped.Code)
	assert.Equal(t, "gzip", zipped.Header().Get("Content-Encoding"))
	zr, err := gzip.NewReader(zipped.Body)
	require.NoError(t, err)
	unzipped, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Contains(t, string(unzipped), "kotaemon_health_build_info")
	assert.Empty(t, plain.Header().Get("Content-Encoding"))
	assert.Contains(t, plain.Body.String(), "kotaemon_health_build_info")
	assert.Contains(t, plain.Header().Get("Content-Type"), "text/plain")
}
