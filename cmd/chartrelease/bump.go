package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"kotaemon-k8s/agentimage"
)

// Change is one entry of artifacthub.io/changes.
type Change struct{ Kind, Description string }

var (
	semver      = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)
	kinds       = map[string]string{"Added": "added", "Changed": "changed", "Deprecated": "deprecated", "Removed": "removed", "Fixed": "fixed", "Security": "security"}
	versionLine = regexp.MustCompile(`(?m)^version: .*$`)
	appLine     = regexp.MustCompile(`(?m)^appVersion: .*$`)
	// The changes block: the key and every following line indented deeper than it.
	changesBlock = regexp.MustCompile(`(?m)^  artifacthub\.io/changes: \|\n(    .*\n)*`)
	imagesBlock  = regexp.MustCompile(`(?m)^  artifacthub\.io/images: \|\n(    .*\n)*`)
)

// Bump sets version (and appVersion), the agent image tag, and the changes annotation.
func Bump(chartDir, changelogFile, version, appVersion string) error {
	if !semver.MatchString(version) {
		return fmt.Errorf("-version %q is not a semantic version (x.y.z)", version)
	}
	log, err := os.ReadFile(changelogFile)
	if err != nil {
		return err
	}
	changes, err := ParseChangelog(string(log), version)
	if err != nil {
		return err
	}
	chartFile := filepath.Join(chartDir, "Chart.yaml")
	meta, err := os.ReadFile(chartFile)
	if err != nil {
		return err
	}
	out := versionLine.ReplaceAllString(string(meta), "version: "+version)
	if appVersion != "" {
		out = appLine.ReplaceAllString(out, fmt.Sprintf("appVersion: %q", appVersion))
	}
	app := regexp.MustCompile(`(?m)^appVersion: "?([^"\n]+)"?$`).FindStringSubmatch(out)
	if app == nil {
		return fmt.Errorf("%s has no appVersion", chartFile)
	}
	out, err = setBlock(out, changesBlock, "artifacthub.io/changes", ChangesYAML(changes))
	if err != nil {
		return err
	}
	valuesFile := filepath.Join(chartDir, "values.yaml")
	values, err := os.ReadFile(valuesFile)
	if err != nil {
		return err
	}
	var defaults struct {
		Image struct {
			Repository, Flavour string
		}
	}
	if err := yaml.Unmarshal(values, &defaults); err != nil {
		return fmt.Errorf("%s: %w", valuesFile, err)
	}
	pin, err := agentimage.ReadPin(valuesFile)
	if err != nil {
		return err
	}
	pin.Tag = version
	if out, err = setBlock(out, imagesBlock, "artifacthub.io/images", imagesAnnotation(defaults.Image.Repository+":"+app[1]+"-"+defaults.Image.Flavour, pin.Tagged())); err != nil {
		return err
	}
	newValues, err := agentimage.SetPin(values, pin)
	if err != nil {
		return fmt.Errorf("%s: %w", valuesFile, err)
	}
	if err := os.WriteFile(chartFile, []byte(out), 0o644); err != nil {
		return err
	}
	return os.WriteFile(valuesFile, newValues, 0o644)
}

// imagesAnnotation is artifacthub.io/images: the images a default install runs; the
// agent's is the name a release publishes it under (`publish` writes the registry and
// the digest, which the chart's source does not know until then).
func imagesAnnotation(kotaemon, agent string) string {
	return fmt.Sprintf("- name: kotaemon\n  image: %s\n- name: kotaemon-health\n  image: %s\n", kotaemon, agent)
}

// setBlock replaces (or appends under annotations:) a literal-block annotation.
func setBlock(meta string, block *regexp.Regexp, key, body string) (string, error) {
	var b strings.Builder
	b.WriteString("  " + key + ": |\n")
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	if block.MatchString(meta) {
		return block.ReplaceAllLiteralString(meta, b.String()), nil
	}
	if !strings.Contains(meta, "\nannotations:\n") {
		return "", fmt.Errorf("Chart.yaml has no annotations: section for %s", key)
	}
	return strings.Replace(meta, "\nannotations:\n", "\nannotations:\n"+b.String(), 1), nil
}

// ParseChangelog returns the entries of version's section (## version), each under its
// ### Kind heading; a version without a section or without entries is an error.
func ParseChangelog(text, version string) ([]Change, error) {
	var changes []Change
	in, found, kind := false, false, ""
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			in = strings.TrimSpace(strings.TrimPrefix(line, "## ")) == version
			found = found || in
		case !in:
		case strings.HasPrefix(line, "### "):
			name := strings.TrimSpace(strings.TrimPrefix(line, "### "))
			k, ok := kinds[name]
			if !ok {
				return nil, fmt.Errorf("CHANGELOG.md %s: unknown kind %q (one of Added, Changed, Deprecated, Removed, Fixed, Security)", version, name)
			}
			kind = k
		case strings.HasPrefix(line, "- "):
			if kind == "" {
				return nil, fmt.Errorf("CHANGELOG.md %s: entry %q before any ### kind heading", version, line)
			}
			changes = append(changes, Change{Kind: kind, Description: strings.TrimSpace(strings.TrimPrefix(line, "- "))})
		}
	}
	if !found {
		return nil, fmt.Errorf("CHANGELOG.md has no \"## %s\" section: write the release's changes there first", version)
	}
	if len(changes) == 0 {
		return nil, fmt.Errorf("CHANGELOG.md's \"## %s\" section has no entries", version)
	}
	return changes, nil
}

// ChangesYAML is the annotation's value: a YAML list of kind and description.
func ChangesYAML(changes []Change) string {
	var b strings.Builder
	for _, c := range changes {
		fmt.Fprintf(&b, "- kind: %s\n  description: %s\n", c.Kind, quote(c.Description))
	}
	return b.String()
}

// quote makes a description a safe YAML double-quoted scalar.
func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
