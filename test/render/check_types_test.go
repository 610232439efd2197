package render

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// The agent's check-type table (internal/config) is the one home of "which keys a check
// type reads". The chart carries it as data (files/check-types.yaml) for its guards, and
// its schema enumerates the types: both must say what the table says.
func TestTheChartsCheckTypesAreTheAgentsTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(chart.Dir(), "files", "check-types.yaml"))
	require.NoError(t, err)
	var file struct {
		Defaults struct {
			FailureThreshold int `json:"failureThreshold"`
			SuccessThreshold int `json:"successThreshold"`
		} `json:"defaults"`
		Reserved []string `json:"reserved"`
		Keys     []string `json:"keys"`
		Types    map[string]struct {
			Keys     []string `json:"keys"`
			Required []string `json:"required"`
		} `json:"types"`
	}
	require.NoError(t, yaml.UnmarshalStrict(b, &file))
	assert.Equal(t, config.CheckKeys, file.Keys, "keys")
	assert.Equal(t, config.ReservedComponentNames, file.Reserved, "reserved names")
	assert.Equal(t, config.DefaultCheckFailures, file.Defaults.FailureThreshold, "default failureThreshold")
	assert.Equal(t, config.DefaultCheckPasses, file.Defaults.SuccessThreshold, "default successThreshold")
	require.Len(t, file.Types, len(config.CheckTypeTable))
	for _, ct := range config.CheckTypeTable {
		got, ok := file.Types[ct.Name]
		if assert.True(t, ok, "type %s is missing from files/check-types.yaml", ct.Name) {
			assert.Equal(t, ct.Keys, got.Keys, "%s keys", ct.Name)
			assert.Equal(t, ct.Required, got.Required, "%s required", ct.Name)
		}
	}
}

func TestTheSchemaEnumeratesTheAgentsCheckTypesAndKeys(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(chart.Dir(), "values.schema.json"))
	require.NoError(t, err)
	var schema struct {
		Properties struct {
			Health struct {
				Properties struct {
					Checks struct {
						Items struct {
							Properties map[string]json.RawMessage `json:"properties"`
						} `json:"items"`
					} `json:"checks"`
				} `json:"properties"`
			} `json:"health"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(b, &schema))
	props := schema.Properties.Health.Properties.Checks.Items.Properties
	var typ struct {
		Enum []string `json:"enum"`
	}
	require.NoError(t, json.Unmarshal(props["type"], &typ))
	assert.Equal(t, config.CheckTypes, typ.Enum)
	for _, k := range config.CheckKeys {
		assert.Contains(t, props, k, "the schema does not allow the check key %s", k)
	}
}

// PI-05's factor (x 1.2) has one value everywhere: the invariants package, the chart's
// guard (shown by its message) and the schema's minimum safetyFactor.
func TestTheStartupCoverFactorIsOneNumber(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(chart.Dir(), "values.schema.json"))
	require.NoError(t, err)
	var schema struct {
		Properties struct {
			Probes struct {
				Properties struct {
					Startup struct {
						Properties struct {
							SafetyFactor struct {
								Minimum float64 `json:"minimum"`
							} `json:"safetyFactor"`
						} `json:"properties"`
					} `json:"startup"`
				} `json:"properties"`
			} `json:"probes"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(b, &schema))
	factor := float64(invariants.StartupCoverPermille) / 1000
	assert.Equal(t, factor, schema.Properties.Probes.Properties.Startup.Properties.SafetyFactor.Minimum)

	// 100 s expected: a budget of 119 s is refused, 120 s accepted.
	refused := writeValues(t, "short.yaml", "probes:\n  startup:\n    expectedSeconds: 100\n    periodSeconds: 7\n    failureThreshold: 17\n")
	_, err = renderInProcess(t, []string{refused}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "expectedSeconds x 1.2 = 100 x 1.2")
	accepted := writeValues(t, "exact.yaml", "probes:\n  startup:\n    expectedSeconds: 100\n    periodSeconds: 10\n    failureThreshold: 12\n")
	_, err = renderInProcess(t, []string{accepted}, nil)
	require.NoError(t, err)
}
