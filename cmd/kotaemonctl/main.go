// Command kotaemonctl is the front door `make install`, `make status`, `make uninstall`,
// `make demo` and `make advise` call: it installs the chart into the cluster in KUBECONFIG
// (or the embedded one), puts the images the release needs where the nodes find them, and
// waits until the release is Ready, saying what happens (package release); the demo plays
// the probes' script with the Kotaemon stand-in (package demo); advise writes probe values
// from the agents' history (package advise).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"kotaemon-k8s/advise"
	"kotaemon-k8s/demo"
	"kotaemon-k8s/installer"
	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/nodeimages"
)

const usage = `usage: kotaemonctl <command> [flags]

commands:
  preflight  before anything is built: can the release's images reach the nodes?
  install    install or upgrade the release and wait until it is Ready
  status     the release, its pods, their probes and the agent's last state changes
  uninstall  remove the release (the data PVC stays)
  demo       install the chart with the Kotaemon stand-in and play the probes' script
  advise     probe values for an environment from how its release really starts and stalls

Without KUBECONFIG the embedded cluster of the clone (-repo) is used.
Run 'kotaemonctl <command> -h' for the flags of a command.
`

// common are the flags every command takes.
type common struct {
	repo, release, namespace string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.repo, "repo", ".", "the clone's root (the embedded cluster's kubeconfig lives under it)")
	fs.StringVar(&c.release, "release", "kotaemon", "release name")
	fs.StringVar(&c.namespace, "namespace", "kotaemon", "namespace")
}

// parseAndConnect parses the command line, then connects to the cluster it names.
func (c *common) parseAndConnect(fs *flag.FlagSet, args []string) (*installer.Cluster, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return installer.Connect(os.Getenv("KUBECONFIG"), c.repo)
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1], os.Args[2:], os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cmd string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("kotaemonctl "+cmd, flag.ContinueOnError)
	var c common
	c.register(fs)
	switch cmd {
	case "install", "preflight":
		var o installer.Options
		var files, sets listFlag
		fs.StringVar(&o.Chart, "chart", "charts/kotaemon", "the chart's directory")
		fs.Var(&files, "f", "values file (repeatable, later ones win)")
		fs.Var(&sets, "set", "key=value after the files (repeatable)")
		fs.StringVar(&o.Images, "images", "dist", "directory of `make image`'s archive")
		fs.StringVar(&o.Registry, "registry", "", "registry the agent image was pushed to (make push); sets health.image.registry")
		fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "wait for Ready this long beyond the start-up budget")
		if cmd == "preflight" {
			if err := fs.Parse(args); err != nil {
				return err
			}
			o.Release, o.Namespace, o.ValuesFiles, o.Set = c.release, c.namespace, files, sets
			embedded := installer.IsEmbedded(os.Getenv("KUBECONFIG"), c.repo)
			return installer.Preflight(ctx, o, embedded, nodeimages.New(out), out)
		}
		cl, err := c.parseAndConnect(fs, args)
		if err != nil {
			return err
		}
		o.Release, o.Namespace, o.ValuesFiles, o.Set = c.release, c.namespace, files, sets
		_, err = cl.Install(ctx, o, nodeimages.New(out), out)
		return err
	case "status":
		cl, err := c.parseAndConnect(fs, args)
		if err != nil {
			return err
		}
		return cl.Status(ctx, c.namespace, c.release, out)
	case "uninstall":
		cl, err := c.parseAndConnect(fs, args)
		if err != nil {
			return err
		}
		return cl.Uninstall(c.namespace, c.release, out)
	case "demo":
		d := &demo.Demo{Out: out}
		var fault string
		fs.StringVar(&d.Chart, "chart", "charts/kotaemon", "the chart's directory")
		fs.StringVar(&d.Images, "images", "dist", "directory of `make image`'s archives")
		fs.StringVar(&fault, "fault", "", "play one step: "+strings.Join(demo.Steps, ", ")+" (empty: all)")
		// The demo's own names, so it never touches a release of `make install`.
		c.release, c.namespace = "kotaemon-demo", "kotaemon-demo"
		cl, err := c.parseAndConnect(fs, args)
		if err != nil {
			return err
		}
		d.Cluster, d.Module, d.Release, d.Namespace = cl, c.repo, c.release, c.namespace
		var steps []string
		if fault != "" {
			steps = []string{fault}
		}
		return d.Run(ctx, steps)
	case "advise":
		o := advise.Options{Now: time.Now()}
		var files, sets, histories listFlag
		fs.StringVar(&o.Chart, "chart", "charts/kotaemon", "the chart's directory")
		fs.Var(&files, "f", "the environment's values file (repeatable, later ones win; the last one names the environment)")
		fs.Var(&sets, "set", "key=value after the files (repeatable)")
		fs.Var(&histories, "history", "a saved history (the JSON the agent serves at "+config.HistoryPath+"), repeatable: advise from these instead of the release's pods")
		fs.StringVar(&o.Out, "out", "", "where the advised values go (default: the last values file, with .advised.yaml)")
		fs.StringVar(&o.Prometheus, "prometheus", "", "base URL of a Prometheus that scrapes the agents: advise from their histograms instead of the pods' histories")
		fs.StringVar(&o.Selector, "selector", "", "with -prometheus, the label matchers of the release's series (default: namespace=\"<namespace>\")")
		if err := fs.Parse(args); err != nil {
			return err
		}
		o.ValuesFiles, o.Set, o.Histories = files, sets, histories
		if o.Out == "" && len(files) > 0 {
			o.Out = strings.TrimSuffix(files[len(files)-1], ".yaml") + ".advised.yaml"
		}
		if o.Prometheus != "" && o.Selector == "" {
			o.Selector = fmt.Sprintf("namespace=%q", c.namespace)
		}
		if len(histories) == 0 && o.Prometheus == "" {
			cl, err := installer.Connect(os.Getenv("KUBECONFIG"), c.repo)
			if err != nil {
				return err
			}
			// A token of the user's wins over the one the chart mounts (JWT mode needs one).
			o.Collect = advise.FromRelease(cl.Config, cl.Client, c.namespace, c.release, os.Getenv("KOTAEMON_HEALTH_TOKEN"))
		}
		return advise.Run(ctx, o, out)
	case "-h", "--help", "help":
		fmt.Fprint(out, usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
