package release

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// Manifest is a rendered release, every document decoded into its Kubernetes type.
type Manifest struct {
	Deployments     []appsv1.Deployment
	Services        []corev1.Service
	ConfigMaps      []corev1.ConfigMap
	Secrets         []corev1.Secret
	ServiceAccounts []corev1.ServiceAccount
	Claims          []corev1.PersistentVolumeClaim
	Pods            []corev1.Pod
	Ingresses       []networkingv1.Ingress
	NetworkPolicies []networkingv1.NetworkPolicy
	Budgets         []policyv1.PodDisruptionBudget
	HTTPRoutes      []gatewayv1.HTTPRoute
	// Custom resources (ServiceMonitor, PrometheusRule) have no Go types here; they are
	// kept whole and checked for identity only.
	Custom []unstructured.Unstructured
	// Other holds documents of kinds the chart itself never renders (a user's
	// extraObjects): kept whole, and an error for Decode's strict callers.
	Other []unstructured.Unstructured
}

// customKinds are the non-core kinds the chart may render.
var customKinds = map[string]bool{
	"monitoring.coreos.com/v1/ServiceMonitor": true,
	"monitoring.coreos.com/v1/PrometheusRule": true,
}

// Decode splits a multi-document YAML stream and decodes each document strictly into its
// typed object: unknown or duplicate fields and missing names are errors (PI-15); a
// document of a kind the chart never renders lands in Other.
func Decode(data []byte) (*Manifest, error) {
	m := &Manifest{}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for index := 0; ; index++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return nil, fmt.Errorf("PI-15: reading document %d: %w", index, err)
		}
		if isBlank(doc) {
			continue
		}
		if err := m.add(doc); err != nil {
			return nil, fmt.Errorf("PI-15: document %d: %w", index, err)
		}
	}
}

func (m *Manifest) add(doc []byte) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return err
	}
	if head.APIVersion == "" || head.Kind == "" || head.Metadata.Name == "" {
		return fmt.Errorf("apiVersion, kind and metadata.name are required (got %q %q %q)", head.APIVersion, head.Kind, head.Metadata.Name)
	}
	id := head.APIVersion + "/" + head.Kind
	where := fmt.Sprintf("%s %s", head.Kind, head.Metadata.Name)
	switch id {
	case "apps/v1/Deployment":
		return appendStrict(doc, &m.Deployments, where)
	case "v1/Service":
		return appendStrict(doc, &m.Services, where)
	case "v1/ConfigMap":
		return appendStrict(doc, &m.ConfigMaps, where)
	case "v1/Secret":
		return appendStrict(doc, &m.Secrets, where)
	case "v1/ServiceAccount":
		return appendStrict(doc, &m.ServiceAccounts, where)
	case "v1/PersistentVolumeClaim":
		return appendStrict(doc, &m.Claims, where)
	case "v1/Pod":
		return appendStrict(doc, &m.Pods, where)
	case "networking.k8s.io/v1/Ingress":
		return appendStrict(doc, &m.Ingresses, where)
	case "networking.k8s.io/v1/NetworkPolicy":
		return appendStrict(doc, &m.NetworkPolicies, where)
	case "policy/v1/PodDisruptionBudget":
		return appendStrict(doc, &m.Budgets, where)
	case "gateway.networking.k8s.io/v1/HTTPRoute":
		return appendStrict(doc, &m.HTTPRoutes, where)
	}
	var u unstructured.Unstructured
	if err := yaml.Unmarshal(doc, &u.Object); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if customKinds[id] {
		m.Custom = append(m.Custom, u)
	} else {
		m.Other = append(m.Other, u)
	}
	return nil
}

// Images are the images of every pod the manifest runs (the workload's and the test
// hooks', init containers included), each once, in order of appearance.
func (m *Manifest) Images() []string {
	var specs []corev1.PodSpec
	for _, d := range m.Deployments {
		specs = append(specs, d.Spec.Template.Spec)
	}
	for _, p := range m.Pods {
		specs = append(specs, p.Spec)
	}
	var out []string
	for _, spec := range specs {
		for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
			if !slices.Contains(out, c.Image) {
				out = append(out, c.Image)
			}
		}
	}
	return out
}

func appendStrict[T any](doc []byte, into *[]T, where string) error {
	var obj T
	if err := yaml.UnmarshalStrict(doc, &obj); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	*into = append(*into, obj)
	return nil
}

func isBlank(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed != "" && trimmed != "---" && !strings.HasPrefix(trimmed, "#") {
			return false
		}
	}
	return true
}
