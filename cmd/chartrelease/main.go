// Command chartrelease keeps a release in step and publishes it:
//
//	chartrelease bump -version X.Y.Z [-app-version V]   sets the chart's version (and
//	    appVersion), moves the agent image's tag with it, and copies the version's
//	    CHANGELOG.md entries into Chart.yaml's artifacthub.io/changes (make bump);
//	chartrelease publish -registry HOST[/PATH]         builds the agent image, checks it is
//	    the one the chart pins, pushes it, and writes the chart archive that names it
//	    (make publish pushes that archive with helm).
package main

import (
	"flag"
	"fmt"
	"os"

	"kotaemon-k8s/publish"
)

const usage = "usage: chartrelease bump -chart DIR -changelog FILE -version X.Y.Z [-app-version V]\n" +
	"       chartrelease publish -chart DIR -registry HOST[/PATH] -out DIR"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chartrelease:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", usage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	chart := fs.String("chart", "charts/kotaemon", "chart directory")
	switch args[0] {
	case "bump":
		changelog := fs.String("changelog", "CHANGELOG.md", "changelog file")
		version := fs.String("version", "", "the chart's new version (semver)")
		appVersion := fs.String("app-version", "", "Kotaemon's version, when it moves too")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return Bump(*chart, *changelog, *version, *appVersion)
	case "publish":
		registry := fs.String("registry", "", "registry host[/path] the agent image and the chart go to")
		out := fs.String("out", "dist/publish", "directory of the chart archive")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		archive, err := publish.Publish(*chart, *registry, *out)
		if err != nil {
			return err
		}
		fmt.Println(archive)
		return nil
	}
	return fmt.Errorf("%s", usage)
}
