// Package publish is a release of the chart: the agent image pushed to a registry, and
// the chart archive that names it there by digest (values.yaml's health.image and
// Artifact Hub's images annotation), so `helm install oci://<registry>/kotaemon` with no
// values pulls the one agent build the chart pins. `make publish` and the release
// workflow run it through cmd/chartrelease; the suites render the chart stamped by it.
package publish

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"

	"kotaemon-k8s/agentimage"
)

// Publish builds the agent image from the module in the working directory, checks that
// it is the image the chart pins (values.yaml's health.image.digest), pushes it to
// registry and writes into outDir the chart archive that names it there. It returns the
// archive's path. The archive is pushed after this returns (make publish: helm push),
// so a published chart never names an image its registry does not hold.
func Publish(chartDir, registry, outDir string, opts ...remote.Option) (string, error) {
	if registry == "" {
		return "", errors.New("publish: no registry: set REGISTRY=<host>/<path>")
	}
	pin, err := agentimage.ReadPin(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return "", err
	}
	binDir, err := os.MkdirTemp("", "chartrelease-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(binDir)
	im, err := agentimage.Build(".", binDir, pin.Tag)
	if err != nil {
		return "", err
	}
	if im.Digest != pin.Digest {
		return "", fmt.Errorf("values.yaml pins the agent image %s, but this tree builds %s: run `make pin-agent`, commit, and publish that commit", pin.Digest, im.Digest)
	}
	published, err := im.Push(registry, opts...)
	if err != nil {
		return "", err
	}
	fmt.Printf("pushed %s\n", published.Ref())
	return Stamp(chartDir, published, outDir)
}

// Stamp writes the archive of the chart in chartDir into outDir, with pin as its agent
// image: values.yaml's health.image keys (the rest of the file byte for byte) and the
// kotaemon-health entry of Artifact Hub's images annotation. The archive is what
// `helm package` writes (the same loader, .helmignore, and writer).
func Stamp(chartDir string, pin agentimage.Pin, outDir string) (string, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return "", fmt.Errorf("loading the chart %s: %w", chartDir, err)
	}
	stamped := false
	for _, f := range ch.Raw {
		if f.Name != chartutil.ValuesfileName {
			continue
		}
		if f.Data, err = agentimage.SetPin(f.Data, pin); err != nil {
			return "", fmt.Errorf("%s/values.yaml: %w", chartDir, err)
		}
		if ch.Values, err = chartutil.ReadValues(f.Data); err != nil {
			return "", err
		}
		stamped = true
	}
	if !stamped {
		return "", fmt.Errorf("%s has no values.yaml", chartDir)
	}
	if ch.Metadata.Annotations == nil {
		ch.Metadata.Annotations = map[string]string{}
	}
	var images []map[string]string
	if err := yaml.Unmarshal([]byte(ch.Metadata.Annotations["artifacthub.io/images"]), &images); err != nil {
		return "", fmt.Errorf("Chart.yaml artifacthub.io/images: %w", err)
	}
	found := false
	for _, im := range images {
		if im["name"] == agentimage.Repository {
			im["image"], found = pin.Ref(), true
		}
	}
	if !found {
		return "", fmt.Errorf("Chart.yaml artifacthub.io/images has no %s entry", agentimage.Repository)
	}
	b, err := yaml.Marshal(images)
	if err != nil {
		return "", err
	}
	ch.Metadata.Annotations["artifacthub.io/images"] = string(b)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	return chartutil.Save(ch, outDir)
}
