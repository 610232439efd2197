package kotaemon

// Faults must be switchable while the app port hangs or is closed, so the suite talks
// to a second server that shares nothing with the app's gate or worker pool.

import (
	"net/http"

	"kotaemon-k8s/standin/control"
)

func (s *Standin) controlHandler() http.Handler {
	mux := control.Mux(func() any { return s.State() })
	mux.HandleFunc("POST "+ControlFaultPath, s.postFault)
	return mux
}

func (s *Standin) postFault(w http.ResponseWriter, r *http.Request) {
	req, err := parseFaultRequest(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := s.switchFault(req); err != nil {
		http.Error(w, "switch "+string(req.kind)+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	if req.kind != FaultCrash {
		control.WriteJSON(w, http.StatusOK, s.State())
		return
	}
	// The caller must get its answer before the process dies: send it whole, then crash.
	w.Header().Set("Connection", "close")
	control.WriteJSON(w, http.StatusOK, s.State())
	if err := http.NewResponseController(w).Flush(); err != nil {
		s.log.Warn("flush before crash", "err", err)
	}
	s.crashOnce.Do(func() { close(s.crash) })
}
