// Package agentimage is the health agent's release image: how it is built so that one
// source tree gives one digest on any machine (Build), the reference the chart renders
// for it (Pin, read from and written into values.yaml's health.image), and how it is
// handed to a registry or to a cluster's nodes. `make image`, `make push`, `make
// publish`, `make install`, the demo and the deploy suite all name the image through
// this package, so what one of them pushes is what the chart renders.
package agentimage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Repository is the agent image's name under the registry it is published to.
const Repository = "kotaemon-health"

// LocalRegistry names the agent image where it is loaded into the nodes by hand (the
// embedded cluster, kind) and never pulled: no one can publish under it, and the
// digest pins the content anyway.
const LocalRegistry = "localhost"

// Pin is health.image of the chart's values: where the agent image is published and the
// one content the chart accepts under that name.
type Pin struct {
	Registry   string // host[/path]; empty in the chart from source (the render asks for it)
	Repository string
	Tag        string
	Digest     string // sha256:<64 hex>
}

var digestForm = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Name is registry/repository, or the repository alone without a registry.
func (p Pin) Name() string {
	if p.Registry == "" {
		return p.Repository
	}
	return strings.TrimSuffix(p.Registry, "/") + "/" + p.Repository
}

// Tagged is the name with the tag: what a push writes.
func (p Pin) Tagged() string { return p.Name() + ":" + p.Tag }

// Ref is what the chart renders without a mirror: name:tag@digest (the digest decides
// what runs; the tag is for the reader).
func (p Pin) Ref() string { return p.Tagged() + "@" + p.Digest }

// DigestRef is name@digest: the name a node's image store must hold for Ref to be
// found without a pull (the kubelet's runtime drops the tag of a name:tag@digest).
func (p Pin) DigestRef() string { return p.Name() + "@" + p.Digest }

// Check says what is missing or malformed, naming the values key.
func (p Pin) Check() error {
	var errs []error
	if p.Repository == "" {
		errs = append(errs, errors.New("health.image.repository is empty"))
	}
	if p.Tag == "" {
		errs = append(errs, errors.New("health.image.tag is empty"))
	}
	if !digestForm.MatchString(p.Digest) {
		errs = append(errs, fmt.Errorf("health.image.digest %q is not sha256:<64 lowercase hex digits>", p.Digest))
	}
	return errors.Join(errs...)
}

// pinKeys are health.image's keys in values.yaml, in the order of Pin's fields.
var pinKeys = []string{"registry", "repository", "tag", "digest"}

func (p *Pin) fields() []*string { return []*string{&p.Registry, &p.Repository, &p.Tag, &p.Digest} }

// ReadPin reads health.image from a values file (the chart's values.yaml).
func ReadPin(valuesFile string) (Pin, error) {
	data, err := os.ReadFile(valuesFile)
	if err != nil {
		return Pin{}, err
	}
	nodes, err := pinNodes(data)
	if err != nil {
		return Pin{}, fmt.Errorf("%s: %w", valuesFile, err)
	}
	var p Pin
	for i, f := range p.fields() {
		*f = nodes[i].Value
	}
	if err := p.Check(); err != nil {
		return Pin{}, fmt.Errorf("%s: %w", valuesFile, err)
	}
	return p, nil
}

// SetPin writes p into a values.yaml's health.image keys and changes nothing else: every
// comment and every other line stays byte for byte (the published chart's values.yaml
// is the one users read).
func SetPin(values []byte, p Pin) ([]byte, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	nodes, err := pinNodes(values)
	if err != nil {
		return nil, err
	}
	lines := bytes.Split(values, []byte("\n"))
	for i, f := range p.fields() {
		n := nodes[i]
		line := lines[n.Line-1]
		// The scalar is the rest of its line after the key (a comment after it is lost:
		// values.yaml documents keys on the lines above them).
		lines[n.Line-1] = append(append([]byte{}, line[:n.Column-1]...), []byte(fmt.Sprintf("%q", *f))...)
	}
	return bytes.Join(lines, []byte("\n")), nil
}

// pinNodes finds the scalar nodes of health.image's keys.
func pinNodes(values []byte) ([]*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(values, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("empty values")
	}
	image := child(child(doc.Content[0], "health"), "image")
	if image == nil {
		return nil, errors.New("no health.image")
	}
	var out []*yaml.Node
	for _, k := range pinKeys {
		n := child(image, k)
		if n == nil || n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("health.image.%s is not a scalar", k)
		}
		out = append(out, n)
	}
	return out, nil
}

// child is the value node of key in a mapping node, or nil.
func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
