package invariants

import (
	"fmt"

	"kotaemon-k8s/release"
)

// The rendered release is package release's model: these names keep the package's API
// for the pipelines that call it.
type (
	// Manifest is a rendered release, every document decoded into its Kubernetes type.
	Manifest = release.Manifest
	// Kind names a probe the way the values file does.
	Kind = release.Kind
)

// The probe kinds.
const (
	Startup   = release.Startup
	Readiness = release.Readiness
	Liveness  = release.Liveness
)

// Annotations the chart writes on the Deployment (release's).
const (
	AnnotationExpectedStartup = release.AnnotationExpectedStartup
	AnnotationExternalStores  = release.AnnotationExternalStores
)

// ContainerPort resolves a probe or Service port against a container's ports (release's).
var ContainerPort = release.ContainerPort

// Decode decodes a rendered manifest strictly (PI-15): unknown or duplicate fields,
// missing names, and kinds the chart never renders are errors.
func Decode(data []byte) (*Manifest, error) {
	m, err := release.Decode(data)
	if err != nil {
		return nil, err
	}
	for _, o := range m.Other {
		return nil, fmt.Errorf("PI-15: %s %s: unexpected kind %s/%s", o.GetKind(), o.GetName(), o.GetAPIVersion(), o.GetKind())
	}
	return m, nil
}
