package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"kotaemon-k8s/test/mutants"
)

const rendered = `---
# Source: kotaemon/templates/service.yaml
apiVersion: v1
kind: Service
metadata: {name: kh-kotaemon}
---
# Source: kotaemon/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: kh-kotaemon}
spec:
  template:
    spec:
      initContainers:
        - name: agent
          startupProbe: {httpGet: {path: /health/live, port: health}}
      containers:
        - name: kotaemon
          ports: [{name: http, containerPort: 7860}]
          startupProbe: {httpGet: {path: /health/live, port: health}}
          livenessProbe: {httpGet: {path: /health/live, port: health}}
          readinessProbe: {httpGet: {path: /health/ready, port: health}}
`

func TestTheAppContainerGetsTheNaivePairAndNoOtherProbeIsLeft(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(rendered), &out))
	docs := regexp.MustCompile(`(?m)^---[ \t]*$`).Split(out.String(), -1)
	require.Len(t, docs, 3, "the leading separator, the Service, the Deployment")
	assert.Contains(t, docs[1], "kind: Service", "documents other than the Deployment pass through")

	var d map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(docs[2]), &d))
	spec := mutants.Dig(d, "spec", "template", "spec").(map[string]any)
	agent := spec["initContainers"].([]any)[0].(map[string]any)
	assert.NotContains(t, agent, "startupProbe")
	app := spec["containers"].([]any)[0].(map[string]any)
	assert.NotContains(t, app, "startupProbe")
	for _, key := range []string{"livenessProbe", "readinessProbe"} {
		p := app[key].(map[string]any)
		assert.Equal(t, map[string]any{"path": "/", "port": "http"}, p["httpGet"], key)
		assert.EqualValues(t, 30, p["initialDelaySeconds"], key)
		assert.EqualValues(t, 1, p["timeoutSeconds"], key)
	}
}

func TestARenderWithoutTheAppContainerIsAnError(t *testing.T) {
	err := run(strings.NewReader("kind: Deployment\nspec: {template: {spec: {containers: [{name: other}]}}}\n"), &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"kotaemon"`)
	err = run(strings.NewReader("kind: Deployment\nspec: {template: {spec: {containers: [oops]}}}\n"), &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "spec.template.spec.containers[0]")
}
