package dependency

// The mode must be switchable while the dependency port hangs, so the suite talks to a
// second server that never waits on the mode.

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"kotaemon-k8s/standin/control"
)

func (s *Standin) controlHandler() http.Handler {
	mux := control.Mux(func() any { return s.State() })
	mux.HandleFunc("POST "+ControlModePath, s.postMode)
	return mux
}

func (s *Standin) postMode(w http.ResponseWriter, r *http.Request) {
	mode, period, err := parseModeRequest(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mode.set(mode, period)
	s.log.Info("mode switched", "mode", string(mode), "period", period.String())
	control.WriteJSON(w, http.StatusOK, s.State())
}

// parseModeRequest names the parameter at fault, so a failing suite says what it sent wrong.
func parseModeRequest(q url.Values) (Mode, time.Duration, error) {
	mode := Mode(q.Get("state"))
	if mode == "" {
		return "", 0, fmt.Errorf("state: required, one of %s", modeList())
	}
	if !slices.Contains(Modes, mode) {
		return "", 0, fmt.Errorf("state: %q is not one of %s", mode, modeList())
	}
	raw, given := q["period"]
	if !given {
		return mode, 0, nil
	}
	if mode != ModeFlap {
		return "", 0, fmt.Errorf("period: only applies to state=%s", ModeFlap)
	}
	period, err := parsePeriod(raw[0])
	if err != nil {
		return "", 0, fmt.Errorf("period: %w", err)
	}
	return mode, period, nil
}
