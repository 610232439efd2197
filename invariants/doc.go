// Package invariants checks the probe invariants PI-01..PI-19 of docs/invariants.md on
// rendered manifests, or on the objects an API server stored. It is the one place where
// those rules live as code: the render suite, the deploy suite and users' own pipelines
// all call it.
//
//	m, err := invariants.Decode(renderedYAML) // strict: unknown fields are errors (PI-15)
//	for _, v := range invariants.Check(m) { fmt.Println(v) }
//
// Check returns every violation, each with its invariant id; an empty slice means the
// manifest passes. The Kotaemon workload is the Deployment with a container named
// "kotaemon"; the agent's config is the ConfigMap behind its "health-config" volume.
package invariants
