package installer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/cluster/localcluster"
	"kotaemon-k8s/nodeimages"
	"kotaemon-k8s/versions"
)

// Preflight answers, before anything is built or started, whether the release's images
// can reach the embedded cluster's nodes (whose pods have no network): every image but
// the agent's (built here by `make image`) must be in the image cache, already in the
// cluster, or pullable on this machine's network, which is asked with the puller's short
// bound. An image with no way in stops the install here, in seconds, instead of after
// the cluster's first build. Other clusters' nodes pull for themselves: nothing to ask.
func Preflight(ctx context.Context, o Options, embedded bool, puller *nodeimages.Puller, out io.Writer) error {
	if !embedded {
		return nil
	}
	o.Set = append(append([]string{}, o.Set...), "health.image.registry="+agentimage.LocalRegistry)
	p, err := Render(o, nil, versions.Kubernetes)
	if err != nil {
		return err
	}
	agent := agentimage.LocalRegistry + "/" + agentimage.Repository + ":"
	for _, ref := range p.Images {
		if strings.HasPrefix(ref, agent) {
			continue
		}
		if puller.Recorded(ref) {
			fmt.Fprintf(out, "image %s: in the image cache\n", ref)
			continue
		}
		if has, err := localcluster.HasImage(ref); err == nil && has {
			fmt.Fprintf(out, "image %s: already in the cluster\n", ref)
			continue
		}
		err := puller.Reachable(ctx, ref)
		var unreachable *nodeimages.UnreachableError
		if errors.As(err, &unreachable) {
			return unreachableImage(ref, unreachable)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "image %s: its registry answers; pulled once the cluster is up\n", ref)
	}
	return nil
}
