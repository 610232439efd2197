package installer

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kotaemon-k8s/release"
)

// MissingError is a release that needs what the cluster does not have: installing it
// would leave a pod that never becomes Ready (or an object helm refuses), so nothing is
// installed.
type MissingError struct{ Missing []string }

func (e *MissingError) Error() string {
	var b strings.Builder
	b.WriteString("cannot install: the release needs what the cluster does not have:\n")
	for _, m := range e.Missing {
		b.WriteString("  - " + m + "\n")
	}
	b.WriteString("Create them (each values file of values/ lists what it needs at its top), then install again. Nothing was installed.")
	return b.String()
}

// CheckNeeds asks the cluster for every need of the plan (namespace: the release's) and
// returns a MissingError naming each one it lacks, with what refers to it.
func (c *Cluster) CheckNeeds(ctx context.Context, p *Plan, namespace string) error {
	needs, err := p.Manifest.Needs()
	if err != nil {
		return err
	}
	var missing []string
	for _, n := range needs {
		lack, err := c.lacks(ctx, n, namespace)
		if err != nil {
			return fmt.Errorf("asking the cluster for %s: %w", n, err)
		}
		if lack != "" {
			missing = append(missing, fmt.Sprintf("%s (%s): %s", described(n, namespace), n.Why, lack))
		}
	}
	if len(missing) > 0 {
		return &MissingError{Missing: missing}
	}
	return nil
}

// described names the need with its namespace spelled out.
func described(n release.Need, namespace string) string {
	if n.Namespace == "" && (n.Kind == "Secret" || n.Kind == "ConfigMap" || n.Kind == "Service" || n.Kind == "PersistentVolumeClaim") {
		n.Namespace = namespace
	}
	return n.String()
}

// lacks says what of n the cluster lacks ("" when it has it).
func (c *Cluster) lacks(ctx context.Context, n release.Need, namespace string) (string, error) {
	ns := n.Namespace
	if ns == "" {
		ns = namespace
	}
	var err error
	var have map[string]bool
	cs := c.Client
	switch n.Kind {
	case "Secret":
		s, e := cs.CoreV1().Secrets(ns).Get(ctx, n.Name, metav1.GetOptions{})
		if err = e; err == nil {
			have = map[string]bool{}
			for k := range s.Data {
				have[k] = true
			}
		}
	case "ConfigMap":
		cm, e := cs.CoreV1().ConfigMaps(ns).Get(ctx, n.Name, metav1.GetOptions{})
		if err = e; err == nil {
			have = map[string]bool{}
			for k := range cm.Data {
				have[k] = true
			}
			for k := range cm.BinaryData {
				have[k] = true
			}
		}
	case "PersistentVolumeClaim":
		_, err = cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, n.Name, metav1.GetOptions{})
	case "Service":
		_, err = cs.CoreV1().Services(ns).Get(ctx, n.Name, metav1.GetOptions{})
	case "Namespace":
		if n.Selector == "" {
			_, err = cs.CoreV1().Namespaces().Get(ctx, n.Name, metav1.GetOptions{})
			break
		}
		list, e := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: n.Selector})
		if e != nil {
			return "", e
		}
		if len(list.Items) == 0 {
			return "no namespace has these labels", nil
		}
		return "", nil
	case "StorageClass":
		if n.Name != "" {
			_, err = cs.StorageV1().StorageClasses().Get(ctx, n.Name, metav1.GetOptions{})
			break
		}
		list, e := cs.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
		if e != nil {
			return "", e
		}
		for _, sc := range list.Items {
			if sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
				return "", nil
			}
		}
		return "the cluster has no default StorageClass (set persistence.storageClass to one it has)", nil
	case "CustomResourceDefinition":
		// Served resources, not the definition itself: that needs no right to read CRDs.
		plural, _, _ := strings.Cut(n.Name, ".")
		list, e := cs.Discovery().ServerResourcesForGroupVersion(n.APIVersion)
		if e != nil && !apierrors.IsNotFound(e) {
			return "", e
		}
		if list != nil {
			for _, r := range list.APIResources {
				if r.Name == plural {
					return "", nil
				}
			}
		}
		return "the cluster does not serve " + n.APIVersion + " " + plural + " (install its CustomResourceDefinition)", nil
	default:
		return "", fmt.Errorf("no way to ask for a %s", n.Kind)
	}
	if apierrors.IsNotFound(err) {
		return "not found", nil
	}
	if err != nil {
		return "", err
	}
	var absent []string
	for _, k := range n.Keys {
		if !have[k] {
			absent = append(absent, k)
		}
	}
	if len(absent) > 0 {
		return "it has no key " + strings.Join(absent, ", "), nil
	}
	return "", nil
}
