package installer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"helm.sh/helm/v3/pkg/action"
	helmrelease "helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"

	"kotaemon-k8s/nodeimages"
)

// helmConfig is the helm SDK's view of the cluster, for releases in namespace.
func (c *Cluster) helmConfig(namespace string) (*action.Configuration, error) {
	cfg := &action.Configuration{}
	if err := cfg.Init(c.getter(namespace), namespace, "secret", func(string, ...any) {}); err != nil {
		return nil, err
	}
	return cfg, nil
}

// KubeVersion is the API server's version (what the chart renders for).
func (c *Cluster) KubeVersion() (string, error) {
	v, err := c.Client.Discovery().ServerVersion()
	if err != nil {
		return "", err
	}
	return v.GitVersion, nil
}

// Install renders the chart, puts its images where the nodes find them, installs or
// upgrades the release, and waits until it is Ready, writing one line per change to
// out. It returns an error naming the cause and the next step when the release cannot
// get there (and installs nothing when an image is out of reach).
func (c *Cluster) Install(ctx context.Context, o Options, puller *nodeimages.Puller, out io.Writer) (*Plan, error) {
	kv, err := c.KubeVersion()
	if err != nil {
		return nil, err
	}
	plan, err := Render(o, c, kv)
	if err != nil {
		return nil, err
	}
	ns := o.Namespace
	if plan.Target.Namespace != "" {
		ns = plan.Target.Namespace // the chart's namespaceOverride
	}
	if err := c.CheckNeeds(ctx, plan, ns); err != nil {
		return nil, err
	}
	if err := c.EnsureImages(ctx, plan, o, puller, out); err != nil {
		return nil, err
	}
	begin := time.Now()
	rel, err := c.apply(ctx, o, plan)
	if err != nil {
		return nil, err
	}
	w := plan.Target
	budget := "no startupProbe"
	if w.Startup != nil {
		budget = fmt.Sprintf("start-up budget %s: startupProbe %d x %ds on %s", w.Budget(), w.Startup.FailureThreshold, w.Startup.PeriodSeconds, w.probed())
	}
	fmt.Fprintf(out, "%s %s revision %d in namespace %s: %s/%s, %s\n",
		map[bool]string{true: "installed", false: "upgraded"}[rel.Version == 1], rel.Name, rel.Version, o.Namespace, w.Kind, w.Name, budget)
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	return plan, c.WaitReady(ctx, ns, w, begin, w.Budget()+timeout, out)
}

// apply installs the release, or upgrades it when it exists; it does not wait.
func (c *Cluster) apply(ctx context.Context, o Options, plan *Plan) (*helmrelease.Release, error) {
	cfg, err := c.helmConfig(o.Namespace)
	if err != nil {
		return nil, err
	}
	_, err = action.NewHistory(cfg).Run(o.Release)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		inst := action.NewInstall(cfg)
		inst.ReleaseName, inst.Namespace, inst.CreateNamespace = o.Release, o.Namespace, true
		rel, err := inst.RunWithContext(ctx, plan.Chart.Chart, plan.Values)
		if err != nil {
			return nil, fmt.Errorf("helm install %s: %w", o.Release, err)
		}
		return rel, nil
	}
	if err != nil {
		return nil, fmt.Errorf("helm history %s: %w", o.Release, err)
	}
	up := action.NewUpgrade(cfg)
	up.Namespace = o.Namespace
	rel, err := up.RunWithContext(ctx, o.Release, plan.Chart.Chart, plan.Values)
	if err != nil {
		return nil, fmt.Errorf("helm upgrade %s: %w", o.Release, err)
	}
	return rel, nil
}

// Uninstall removes the release (the data PVC stays: the chart keeps it on purpose).
func (c *Cluster) Uninstall(namespace, name string, out io.Writer) error {
	cfg, err := c.helmConfig(namespace)
	if err != nil {
		return err
	}
	res, err := action.NewUninstall(cfg).Run(name)
	if err != nil {
		return fmt.Errorf("helm uninstall %s: %w", name, err)
	}
	fmt.Fprintf(out, "uninstalled %s from namespace %s\n", name, namespace)
	if res != nil && res.Info != "" {
		fmt.Fprintln(out, res.Info)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
