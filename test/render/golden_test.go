package render

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"kotaemon-k8s/test/chart"
)

// UpdateGoldenEnv rewrites the golden renders instead of comparing (make golden).
const UpdateGoldenEnv = "UPDATE_GOLDEN"

// goldenDir holds one normalised render per values file and health mode.
const goldenDir = "testdata/golden"

// Every values file in every mode renders exactly as its golden file says: a change to
// a template shows up here as a reviewable diff, and a restructuring of the templates
// proves itself by leaving every golden file as it was. Renders are compared as data
// (keys sorted, documents ordered by kind and name), so layout and comments do not count.
// Regenerate with `make golden` after a deliberate change, and read the diff.
func TestEveryValuesFileInEveryModeRendersAsItsGoldenFile(t *testing.T) {
	t.Parallel()
	files, err := chart.ValuesFiles(chart.ValuesDir())
	require.NoError(t, err)
	update := os.Getenv(UpdateGoldenEnv) == "1"
	want := map[string]bool{}
	// The group returns once its parallel renders are done.
	t.Run("renders", func(t *testing.T) {
		for _, f := range files {
			for _, mode := range chart.Modes {
				name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)) + "-" + mode + ".yaml"
				want[name] = true
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					out, err := renderInProcess(t, []string{f}, map[string]string{"health.mode": mode})
					require.NoError(t, err)
					got, err := normalise(out)
					require.NoError(t, err)
					path := filepath.Join(goldenDir, name)
					if update {
						require.NoError(t, os.MkdirAll(goldenDir, 0o755))
						require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
						return
					}
					golden, err := os.ReadFile(path)
					require.NoError(t, err, "no golden file: run `make golden` and review it")
					if diff := lineDiff(string(golden), got); diff != "" {
						t.Errorf("%s changed (if on purpose, run `make golden` and review the diff):\n%s", path, diff)
					}
				})
			}
		}
	})
	// A golden file whose values file or mode is gone would never be compared again.
	entries, err := os.ReadDir(goldenDir)
	require.NoError(t, err)
	for _, e := range entries {
		if !want[e.Name()] && !update {
			t.Errorf("%s/%s belongs to no values file and mode: delete it or run `make golden`", goldenDir, e.Name())
		}
	}
}

// randomPlaceholder replaces the one value that is random per render (the generated
// health token): "random per render", base64-encoded like the value it stands for.
const randomPlaceholder = "cmFuZG9tIHBlciByZW5kZXI="

// normalise turns a rendered stream into sorted documents with sorted keys, and blanks
// the values that are random per render: the generated token and its checksum.
func normalise(manifest string) (string, error) {
	type doc struct {
		key  string
		body []byte
	}
	var docs []doc
	for _, part := range strings.Split(manifest, "\n---") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(part), &obj); err != nil {
			return "", err
		}
		if len(obj) == 0 {
			continue
		}
		meta, _ := obj["metadata"].(map[string]any)
		if obj["kind"] == "Secret" && strings.HasSuffix(fmt.Sprint(meta["name"]), "-health-auth") {
			if data, ok := obj["data"].(map[string]any); ok {
				for k := range data {
					data[k] = randomPlaceholder
				}
			}
		}
		if obj["kind"] == "Deployment" {
			template, _ := obj["spec"].(map[string]any)["template"].(map[string]any)
			annotations, _ := template["metadata"].(map[string]any)["annotations"].(map[string]any)
			if _, ok := annotations["checksum/health-auth"]; ok {
				annotations["checksum/health-auth"] = randomPlaceholder
			}
		}
		body, err := yaml.Marshal(obj)
		if err != nil {
			return "", err
		}
		docs = append(docs, doc{key: fmt.Sprintf("%v/%v", obj["kind"], meta["name"]), body: body})
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].key < docs[j].key })
	var b strings.Builder
	for _, d := range docs {
		b.WriteString("---\n")
		b.Write(d.body)
	}
	return b.String(), nil
}

// lineDiff is a unified diff of want and got, or "" when they are equal.
func lineDiff(want, got string) string {
	if want == got {
		return ""
	}
	diff, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(want), B: difflib.SplitLines(got),
		FromFile: "golden", ToFile: "rendered", Context: 3,
	})
	if err != nil {
		return err.Error()
	}
	return diff
}
