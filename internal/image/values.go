package image

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"go.yaml.in/yaml/v3"
)

// Defaults used while the chart's values.yaml does not name the agent image yet.
const (
	DefaultRepository = "kotaemon-k8s/kotaemon-health"
	DefaultTag        = "0.1.0"
)

// ChartImage reads health.image.repository and health.image.tag from the chart's
// values.yaml: the one place the agent's image name and tag live. A missing file or
// key falls back to the defaults (found=false).
func ChartImage(valuesFile string) (repository, tag string, found bool, err error) {
	repository, tag = DefaultRepository, DefaultTag
	data, err := os.ReadFile(valuesFile)
	if errors.Is(err, fs.ErrNotExist) {
		return repository, tag, false, nil
	}
	if err != nil {
		return "", "", false, err
	}
	var v struct {
		Health struct {
			Image struct {
				Repository string `yaml:"repository"`
				Tag        any    `yaml:"tag"`
			} `yaml:"image"`
		} `yaml:"health"`
	}
	if err := yaml.Unmarshal(data, &v); err != nil {
		return "", "", false, fmt.Errorf("%s: %w", valuesFile, err)
	}
	img := v.Health.Image
	if img.Repository != "" {
		repository, found = img.Repository, true
	}
	if img.Tag != nil && fmt.Sprint(img.Tag) != "" {
		tag = fmt.Sprint(img.Tag)
	} else {
		found = false
	}
	return repository, tag, found, nil
}
