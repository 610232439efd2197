package render

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"kotaemon-k8s/invariants"
	"kotaemon-k8s/versions"
)

var promtoolTool = &pinnedTool{env: "PROMTOOL", pkg: "github.com/prometheus/prometheus/cmd/promtool", version: versions.Prometheus}

// monitored is the chart with every monitoring object on, as the alert tests assume
// (release kh in namespace default, the chart's default probes and persistence).
const monitored = "metrics:\n  enabled: true\n  prometheusRule: {enabled: true}\n  dashboard: {enabled: true}\n"

// ruleGroups is the rendered PrometheusRule's spec.groups.
func ruleGroups(t *testing.T, m *invariants.Manifest) []any {
	t.Helper()
	for _, u := range m.Custom {
		if u.GetKind() == "PrometheusRule" {
			groups, ok := u.Object["spec"].(map[string]any)["groups"].([]any)
			require.True(t, ok, "spec.groups")
			return groups
		}
	}
	require.FailNow(t, "no PrometheusRule rendered")
	return nil
}

// promtool runs the pinned promtool in dir and returns its output.
func promtool(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), renderTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtoolTool.path(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func writeRules(t *testing.T, dir, name string, groups []any) {
	t.Helper()
	b, err := yaml.Marshal(map[string]any{"groups": groups})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
}

// Every alert's expression is PromQL that Prometheus parses, and every annotation a
// template it expands (promtool check rules), in every values file and mode that
// renders the rule.
func TestEveryAlertParsesAsPromQL(t *testing.T) {
	t.Parallel()
	for _, body := range []string{monitored, monitored + "persistence: {enabled: false}\n", monitored + "probes:\n  startup: {enabled: false}\n  liveness: {initialDelaySeconds: 200}\n"} {
		m := renderBody(t, body, "wrapper")
		dir := t.TempDir()
		writeRules(t, dir, "rules.yaml", ruleGroups(t, m))
		out, err := promtool(t, dir, "check", "rules", "rules.yaml")
		require.NoError(t, err, "%s", out)
		assert.Contains(t, out, "SUCCESS")
	}
}

// Each alert fires for its scenario and stays silent for the look-alikes next to it:
// testdata/alerts/alerts_test.yaml in Prometheus' rule-test format, against the rules the
// chart renders. Every alert the chart renders has a test there.
func TestEveryAlertFiresForItsScenarioAndOnlyForIt(t *testing.T) {
	t.Parallel()
	m := renderBody(t, monitored, "wrapper")
	groups := ruleGroups(t, m)
	var rendered []string
	for _, g := range groups {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			rule := r.(map[string]any)
			rendered = append(rendered, fmt.Sprint(rule["alert"]))
			delete(rule, "annotations") // checked by TestEveryAlertParsesAsPromQL
		}
	}
	dir := t.TempDir()
	writeRules(t, dir, "rules.yaml", groups)
	tests, err := os.ReadFile(filepath.Join("testdata", "alerts", "alerts_test.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alerts_test.yaml"), tests, 0o644))

	out, err := promtool(t, dir, "test", "rules", "alerts_test.yaml")
	require.NoError(t, err, "promtool test rules:\n%s", out)
	assert.Contains(t, out, "SUCCESS")

	var suite struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	require.NoError(t, yaml.Unmarshal(tests, &suite))
	fires := map[string]bool{}
	for _, tc := range suite.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			}
		}
	}
	sort.Strings(rendered)
	for _, name := range rendered {
		assert.True(t, fires[name], "alert %s has no test where it fires", name)
	}
	assert.Len(t, rendered, 8)
}

// The Grafana dashboard's queries are PromQL Prometheus parses, and it shows what the
// issue of record asks for: readiness, restarts, each check's state and latency, and the
// start-up against the budget.
func TestTheDashboardsQueriesParseAsPromQL(t *testing.T) {
	t.Parallel()
	m := renderBody(t, monitored, "sidecar")
	var board struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	cm := configMap(t, m, "-dashboard")
	assert.Equal(t, "1", cm.Labels["grafana_dashboard"], "the label Grafana's sidecar selects by")
	require.NoError(t, json.Unmarshal([]byte(cm.Data["kotaemon.json"]), &board))
	var rules []any
	var titles []string
	for _, p := range board.Panels {
		titles = append(titles, p.Title)
		for _, target := range p.Targets {
			rules = append(rules, map[string]any{"record": fmt.Sprintf("dashboard:query_%d", len(rules)), "expr": target.Expr})
		}
	}
	assert.Equal(t, []string{"Ready (1) or not (0), per pod", "Restarts of the Kotaemon container (1h)", "Dependency checks: up (1) or down (0)",
		"Dependency check latency (p95)", "Start-up against the budget (180s)"}, titles)
	dir := t.TempDir()
	writeRules(t, dir, "queries.yaml", []any{map[string]any{"name": "dashboard", "rules": rules}})
	out, err := promtool(t, dir, "check", "rules", "queries.yaml")
	require.NoError(t, err, "%s", out)
	assert.Contains(t, out, fmt.Sprintf("%d rules found", len(rules)))
	assert.True(t, strings.Contains(cm.Data["kotaemon.json"], "vector(180)"), "the budget line is the rendered startup budget")
}
