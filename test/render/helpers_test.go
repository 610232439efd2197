package render

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// deployment returns the one Kotaemon Deployment of a manifest.
func deployment(t *testing.T, m *invariants.Manifest) *appsv1.Deployment {
	t.Helper()
	require.Len(t, m.Deployments, 1)
	return &m.Deployments[0]
}

// container finds a container (init containers included) by name.
func container(t *testing.T, m *invariants.Manifest, name string) *corev1.Container {
	t.Helper()
	spec := &deployment(t, m).Spec.Template.Spec
	for i := range spec.Containers {
		if spec.Containers[i].Name == name {
			return &spec.Containers[i]
		}
	}
	for i := range spec.InitContainers {
		if spec.InitContainers[i].Name == name {
			return &spec.InitContainers[i]
		}
	}
	require.FailNow(t, "no container "+name)
	return nil
}

func hasContainer(m *invariants.Manifest, name string) bool {
	spec := &m.Deployments[0].Spec.Template.Spec
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		if c.Name == name {
			return true
		}
	}
	return false
}

func configMap(t *testing.T, m *invariants.Manifest, suffix string) *corev1.ConfigMap {
	t.Helper()
	for i := range m.ConfigMaps {
		if m.ConfigMaps[i].Name == "kh-kotaemon"+suffix {
			return &m.ConfigMaps[i]
		}
	}
	require.FailNow(t, "no ConfigMap kh-kotaemon"+suffix)
	return nil
}

// timing is a probe's five numbers in the seed article's order.
type timing struct{ delay, period, timeout, success, failure int32 }

func timingOf(p *corev1.Probe) timing {
	return timing{p.InitialDelaySeconds, p.PeriodSeconds, p.TimeoutSeconds, p.SuccessThreshold, p.FailureThreshold}
}

func ids(vs []invariants.Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

// networkPolicy finds a NetworkPolicy of the release by name suffix ("" for the app's).
func networkPolicy(t *testing.T, m *invariants.Manifest, suffix string) *networkingv1.NetworkPolicy {
	t.Helper()
	for i := range m.NetworkPolicies {
		if m.NetworkPolicies[i].Name == "kh-kotaemon"+suffix {
			return &m.NetworkPolicies[i]
		}
	}
	require.FailNow(t, "no NetworkPolicy kh-kotaemon"+suffix)
	return nil
}

// eachValuesFileInEveryMode runs check as a parallel subtest for every file of values/
// in every health mode.
func eachValuesFileInEveryMode(t *testing.T, check func(t *testing.T, file, mode string)) {
	t.Helper()
	files, err := chart.ValuesFiles(chart.ValuesDir())
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		for _, mode := range chart.Modes {
			t.Run(filepath.Base(f)+" "+mode, func(t *testing.T) {
				t.Parallel()
				check(t, f, mode)
			})
		}
	}
}
