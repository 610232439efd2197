// Package release is the chart as rendered, the one Go model of it: Load and Render go
// through the helm SDK (values merged as the helm command line merges them, for a given
// Kubernetes version); Decode reads the objects strictly into their types; FindWorkload
// finds the Kotaemon pod, its containers (native sidecars included) and its probes with
// the API's defaults applied and their ports resolved; the probes' timing (windows, time
// to fail, time to pass, the start-up budget) is derived in timing.go and nowhere else;
// Needs lists what a release needs from the cluster and does not create.
//
// The installer, kotaemonctl status, the demo, the invariants package, the render and
// deploy suites and the benchmarks all read the chart through it.
package release
