package chart

import (
	"context"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/testing"
)

// Release is the release name every render uses.
const Release = "kh"

// Render renders the whole published chart (Published) with the pinned helm binary
// through terratest, from values files and --set overrides (strings as on the command
// line), like a user would.
func Render(t testing.TestingT, ctx context.Context, valuesFiles []string, set map[string]string) (string, error) {
	archive, err := Published()
	if err != nil {
		return "", err
	}
	opts := &helm.Options{
		ValuesFiles: valuesFiles,
		SetValues:   set,
		Logger:      logger.Discard,
	}
	return helm.RenderTemplateContextE(t, ctx, opts, archive, Release, nil, "--kube-version", KubeVersion)
}
