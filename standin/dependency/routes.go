package dependency

// Each dependency is answered with the smallest body its real check accepts; the mode
// decides whether that body, a 503 or nothing at all goes back.

import (
	"io"
	"net/http"
	"time"

	"kotaemon-k8s/standin/control"
)

func (s *Standin) dependencyHandler() http.Handler {
	mux := http.NewServeMux()
	routes := map[string]http.HandlerFunc{
		RouteOllamaTags:    s.ollamaTags,
		RouteOllamaVersion: text(`{"version":"0.0.0-standin"}`+"\n", "application/json"),
		RouteOpenAIModels:  s.openAIModels,
		RouteModels:        s.openAIModels,
		RouteQdrantReady:   text("all shards are ready", "text/plain; charset=utf-8"),
		RouteTEIHealth:     text("", "text/plain; charset=utf-8"),
		RouteChromaV2:      chromaHeartbeat,
		RouteChromaV1:      chromaHeartbeat,
		RouteElasticHealth: text(`{"cluster_name":"dependency-standin","status":"green","timed_out":false,"number_of_nodes":1}`+"\n", "application/json"),
		RouteMilvusHealth:  text("OK", "text/plain; charset=utf-8"),
	}
	for path, h := range routes {
		mux.Handle("GET "+path, s.moded(h))
	}
	mux.Handle("GET /{$}", s.moded(text("dependency stand-in\n", "text/plain; charset=utf-8")))
	return s.counted(mux)
}

// counted records every request, known route or not, before anything else happens.
func (s *Standin) counted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.add(r.URL.Path)
		next.ServeHTTP(w, r)
	})
}

// moded answers as the mode says: up runs next, down is 503, hang waits for a change.
func (s *Standin) moded(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for {
			v := s.mode.current()
			switch {
			case v.up:
				next(w, r)
				return
			case !v.hang:
				http.Error(w, "dependency stand-in is down", http.StatusServiceUnavailable)
				return
			}
			select {
			case <-v.changed: // look again under the new mode
			case <-s.stopping:
				http.Error(w, "dependency stand-in is stopping", http.StatusServiceUnavailable)
				return
			case <-r.Context().Done():
				return
			}
		}
	})
}

func (s *Standin) ollamaTags(w http.ResponseWriter, _ *http.Request) {
	type model struct {
		Name  string `json:"name"`
		Model string `json:"model"`
	}
	out := struct {
		Models []model `json:"models"`
	}{Models: []model{}}
	for _, m := range s.opts.Models {
		out.Models = append(out.Models, model{Name: m, Model: m})
	}
	control.WriteJSON(w, http.StatusOK, out)
}

func (s *Standin) openAIModels(w http.ResponseWriter, _ *http.Request) {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		OwnedBy string `json:"owned_by"`
	}
	out := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	for _, m := range s.opts.Models {
		out.Data = append(out.Data, model{ID: m, Object: "model", OwnedBy: "dependency-standin"})
	}
	control.WriteJSON(w, http.StatusOK, out)
}

func chromaHeartbeat(w http.ResponseWriter, _ *http.Request) {
	control.WriteJSON(w, http.StatusOK, map[string]int64{"nanosecond heartbeat": time.Now().UnixNano()})
}

func text(body, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = io.WriteString(w, body)
	}
}
