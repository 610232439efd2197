// Command imagebuild builds the agent's release image (package agentimage) with the
// tag of the chart's values.yaml, and writes it, pushes it or pins the chart to it.
// See make/agent.mk.
//
//	imagebuild -out dist                        # make image: dist/kotaemon-health-<tag>.oci.tar
//	imagebuild -push registry.example/team      # make push: registry.example/team/kotaemon-health:<tag>
//	imagebuild -pin                             # make pin-agent: the digest into values.yaml
//	imagebuild -print tag
package main

import (
	"flag"
	"fmt"
	"os"

	"kotaemon-k8s/agentimage"
)

// maxSize is the budget for the multi-arch archive.
const maxSize = 15 << 20

func main() {
	values := flag.String("values", "charts/kotaemon/values.yaml", "the chart's values.yaml (health.image)")
	print := flag.String("print", "", "print the tag and exit")
	out := flag.String("out", "dist", "directory of the binaries and the archive")
	push := flag.String("push", "", "registry host[/path] to push <registry>/kotaemon-health:<tag> to")
	pin := flag.Bool("pin", false, "write this build's digest into the values file")
	flag.Parse()
	if err := run(*values, *print, *out, *push, *pin); err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
}

func run(values, print, out, push string, pin bool) error {
	chartPin, err := agentimage.ReadPin(values)
	if err != nil {
		return err
	}
	switch print {
	case "":
	case "tag":
		fmt.Println(chartPin.Tag)
		return nil
	default:
		return fmt.Errorf("-print: want tag")
	}
	im, err := agentimage.Build(".", out, chartPin.Tag)
	if err != nil {
		return err
	}
	fmt.Printf("agent image %s: digest %s\n", chartPin.Tag, im.Digest)
	inStep := im.Digest == chartPin.Digest
	switch {
	case pin:
		return writePin(values, chartPin, im)
	case push != "":
		p, err := im.Push(push)
		if err != nil {
			return err
		}
		fmt.Printf("pushed %s\ninstall with: --set health.image.registry=%s", p.Tagged(), push)
		if !inStep {
			fmt.Printf(" --set health.image.digest=%s", p.Digest)
		}
		fmt.Println()
	default:
		file, err := im.WriteArchive(out)
		if err != nil {
			return err
		}
		fi, err := os.Stat(file)
		if err != nil {
			return err
		}
		fmt.Printf("%s  %.1f MB  (OCI layout, %v)\n", file, float64(fi.Size())/1e6, agentimage.Archs)
		if fi.Size() > maxSize {
			return fmt.Errorf("%s is %d bytes, over the %d budget", file, fi.Size(), maxSize)
		}
	}
	if !inStep {
		fmt.Printf("note: %s pins %s, built from another source: `make pin-agent` pins this build\n", values, chartPin.Digest)
	}
	return nil
}

// writePin puts the build's digest into the values file.
func writePin(values string, chartPin agentimage.Pin, im *agentimage.Image) error {
	data, err := os.ReadFile(values)
	if err != nil {
		return err
	}
	chartPin.Digest = im.Digest
	data, err = agentimage.SetPin(data, chartPin)
	if err != nil {
		return fmt.Errorf("%s: %w", values, err)
	}
	if err := os.WriteFile(values, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: health.image.digest %s\n", values, im.Digest)
	return nil
}
