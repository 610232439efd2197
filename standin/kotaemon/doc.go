// Package kotaemon is a stand-in for Kotaemon's Gradio 4 server, so the deploy suite can
// drive start-up, probes, faults and SIGTERM in a real cluster without the 6 GB image.
//
// It mimics what the chart depends on (docs/kotaemon.md says how closely): the app port
// stays closed until start-up ends, /startup-events is async (no worker), /app_id and /
// need a worker from a bounded pool, state lives in a data-dir volume, SIGTERM kills and
// SIGINT closes within 5 s. Faults are switched at run time
// through a separate control port, never through the app port.
package kotaemon
