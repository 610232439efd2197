// Command localcluster runs the embedded single-node Kubernetes cluster of this
// repository: up, down, status, load-images, and exec (run a command inside the
// cluster's network namespace with KUBECONFIG set). See cluster/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"kotaemon-k8s/cluster/localcluster"
)

const usage = `usage: localcluster [flags] up|down|status|build|load-images [tarball...]|exec -- command [args...]
       localcluster [flags] provisioner   (the volume provisioner; up starts it)

flags:
`

func main() {
	repo := flag.String("repo", findRepo(), "repository root (build modules, dist/, .cache/)")
	cache := flag.String("cache", localcluster.DefaultCacheDir(), "cache of built components (kept across clones)")
	kubeconfig := flag.String("kubeconfig", "", "where to write the admin kubeconfig (default <repo>/.cache/cluster/kubeconfig)")
	flag.Usage = func() { fmt.Fprint(os.Stderr, usage); flag.PrintDefaults() }
	flag.Parse()
	if flag.NArg() < 1 {
		flag.Usage()
		os.Exit(2)
	}
	abs, err := filepath.Abs(*repo)
	if err != nil {
		fail(err)
	}
	o := localcluster.Options{Repo: abs, CacheDir: *cache, Kubeconfig: *kubeconfig, Out: os.Stdout}
	if o.Kubeconfig == "" {
		o.Kubeconfig = localcluster.DefaultKubeconfig(abs)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	args := flag.Args()[1:]
	switch flag.Arg(0) {
	case "up":
		err = o.Up(ctx)
	case "down":
		err = o.Down(ctx)
	case "status":
		err = o.Status(ctx)
	case "build":
		err = o.BuildAll()
	case "provisioner":
		err = localcluster.RunProvisioner(ctx)
	case "load-images":
		files := args
		if len(files) == 0 {
			files = o.DistTarballs()
		}
		var names []string
		names, err = localcluster.ImportImages(files)
		for _, n := range names {
			fmt.Println("loaded", n)
		}
	case "exec":
		if len(args) > 0 && args[0] == "--" {
			args = args[1:]
		}
		if len(args) == 0 {
			fail(fmt.Errorf("exec needs a command: localcluster exec -- go test ./test/deploy/..."))
		}
		err = o.Exec(args)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "localcluster:", err)
	os.Exit(1)
}

// findRepo is the nearest directory at or above the working directory that holds the
// cluster's build modules, so the tool works from any subdirectory of a clone.
func findRepo() string {
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "cluster", "build", "kubernetes", "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return wd
		}
	}
}
