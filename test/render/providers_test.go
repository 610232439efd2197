package render

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/invariants"
)

// providerCase is one provider's values and what Kotaemon, the agent and the
// NetworkPolicy must get from them.
type providerCase struct {
	name   string
	set    map[string]string
	env    map[string]string // Kotaemon's variable -> plain value, or "secret:<name>/<key>"
	absent []string          // variables the chart must not set
	checks map[string]string // derived check name -> "type url-or-address model"
	port   int32             // the egress port opened for the provider (0: none expected)
}

// The variable names are the ones Kotaemon's flowsettings.py reads at 0.11.3 (lines
// 110-223): OPENAI_API_BASE, OPENAI_API_KEY, OPENAI_CHAT_MODEL, OPENAI_EMBEDDINGS_MODEL;
// AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, OPENAI_API_VERSION,
// AZURE_OPENAI_CHAT_DEPLOYMENT, AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT; KH_OLLAMA_URL (with
// the trailing v1/ its long-context entry strips), LOCAL_MODEL, LOCAL_MODEL_EMBEDDINGS.
var providerCases = []providerCase{
	{
		name: "openai",
		set:  map[string]string{"kotaemon.providers.openai.enabled": "true", "kotaemon.providers.openai.existingSecret": "llm-keys"},
		env: map[string]string{
			"OPENAI_API_KEY": "secret:llm-keys/OPENAI_API_KEY", "OPENAI_CHAT_MODEL": "gpt-4o-mini",
			"OPENAI_EMBEDDINGS_MODEL": "text-embedding-3-large",
		},
		absent: []string{"OPENAI_API_BASE", "KH_OLLAMA_URL", "AZURE_OPENAI_ENDPOINT"},
		checks: map[string]string{"provider-openai": "openai https://api.openai.com/v1 gpt-4o-mini"},
		port:   443,
	},
	{
		name: "an OpenAI-compatible endpoint without a key",
		set: map[string]string{
			"kotaemon.providers.openai.enabled": "true", "kotaemon.providers.openai.baseUrl": "http://vllm.models.svc:8000/v1",
			"kotaemon.providers.openai.chatModel": "llama-3.1-8b", "kotaemon.providers.openai.embeddingsModel": "bge-m3",
		},
		env: map[string]string{
			"OPENAI_API_BASE": "http://vllm.models.svc:8000/v1", "OPENAI_API_KEY": "none",
			"OPENAI_CHAT_MODEL": "llama-3.1-8b", "OPENAI_EMBEDDINGS_MODEL": "bge-m3",
		},
		checks: map[string]string{"provider-openai": "openai http://vllm.models.svc:8000/v1 llama-3.1-8b"},
		port:   8000,
	},
	{
		name: "azure openai",
		set: map[string]string{
			"kotaemon.providers.azureOpenAI.enabled": "true", "kotaemon.providers.azureOpenAI.endpoint": "https://acme.openai.azure.com/",
			"kotaemon.providers.azureOpenAI.existingSecret": "azure-keys", "kotaemon.providers.azureOpenAI.chatDeployment": "gpt-4o",
			"kotaemon.providers.azureOpenAI.embeddingsDeployment": "embed-3",
		},
		env: map[string]string{
			"AZURE_OPENAI_ENDPOINT": "https://acme.openai.azure.com/", "AZURE_OPENAI_API_KEY": "secret:azure-keys/AZURE_OPENAI_API_KEY",
			"OPENAI_API_VERSION": "2024-02-15-preview", "AZURE_OPENAI_CHAT_DEPLOYMENT": "gpt-4o",
			"AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT": "embed-3",
		},
		absent: []string{"OPENAI_API_KEY", "OPENAI_API_BASE"},
		checks: map[string]string{"provider-azure-openai": "tcp acme.openai.azure.com:443 "},
		port:   443,
	},
	{
		name: "ollama in the cluster, the default models",
		set:  map[string]string{"kotaemon.providers.ollama.enabled": "true", "kotaemon.providers.ollama.url": "http://ollama.ai.svc:11434/"},
		env: map[string]string{
			"KH_OLLAMA_URL": "http://ollama.ai.svc:11434/v1/", "LOCAL_MODEL": "qwen2.5:7b", "LOCAL_MODEL_EMBEDDINGS": "nomic-embed-text",
			"OPENAI_API_BASE": "http://ollama.ai.svc:11434/v1", "OPENAI_API_KEY": "ollama",
			"OPENAI_CHAT_MODEL": "qwen2.5:7b", "OPENAI_EMBEDDINGS_MODEL": "nomic-embed-text",
		},
		checks: map[string]string{
			"provider-ollama-chat":       "ollama http://ollama.ai.svc:11434 qwen2.5:7b",
			"provider-ollama-embeddings": "ollama http://ollama.ai.svc:11434 nomic-embed-text",
		},
		port: 11434,
	},
	{
		name: "ollama beside openai, not the default",
		set: map[string]string{
			"kotaemon.providers.ollama.enabled": "true", "kotaemon.providers.ollama.url": "http://ollama.ai.svc:11434",
			"kotaemon.providers.ollama.default": "false", "kotaemon.providers.ollama.check.enabled": "false",
			"kotaemon.providers.openai.enabled": "true", "kotaemon.providers.openai.existingSecret": "llm-keys",
		},
		env: map[string]string{
			"KH_OLLAMA_URL": "http://ollama.ai.svc:11434/v1/", "LOCAL_MODEL": "qwen2.5:7b",
			"OPENAI_API_KEY": "secret:llm-keys/OPENAI_API_KEY", "OPENAI_CHAT_MODEL": "gpt-4o-mini",
		},
		absent: []string{"OPENAI_API_BASE"},
		checks: map[string]string{"provider-openai": "openai https://api.openai.com/v1 gpt-4o-mini"},
		port:   11434, // the check is off; Kotaemon still calls the server
	},
	{
		name: "the bundled ollama",
		set:  map[string]string{"image.flavour": "ollama", "kotaemon.providers.ollama.enabled": "true"},
		env: map[string]string{
			"KH_OLLAMA_URL": "http://127.0.0.1:11434/v1/", "LOCAL_MODEL": "qwen2.5:7b",
			"OPENAI_API_BASE": "http://127.0.0.1:11434/v1", "OPENAI_API_KEY": "ollama",
		},
		checks: map[string]string{
			"bundled-ollama":             "ollama http://127.0.0.1:11434 ",
			"provider-ollama-chat":       "ollama http://127.0.0.1:11434 qwen2.5:7b",
			"provider-ollama-embeddings": "ollama http://127.0.0.1:11434 nomic-embed-text",
		},
	},
}

// Each provider gives Kotaemon the variables its flowsettings.py reads (keys only by
// secretKeyRef, each name once), the agent a check it accepts with its secrets provided,
// and, with egress restricted, the NetworkPolicy a way to the provider's port.
func TestEachModelProviderSetsKotaemonsVariablesACheckAndAWayOut(t *testing.T) {
	t.Parallel()
	for _, c := range providerCases {
		for _, mode := range []string{"wrapper", "sidecar"} {
			t.Run(c.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				set := map[string]string{
					"health.mode": mode, "networkPolicy.enabled": "true", "networkPolicy.egress.enabled": "true",
					"networkPolicy.egress.publicHTTPS.enabled": "true",
				}
				for k, v := range c.set {
					set[k] = v
				}
				m := mustRender(t, nil, set)
				app := container(t, m, "kotaemon")
				env := map[string]string{}
				for _, e := range app.Env {
					_, twice := env[e.Name]
					require.False(t, twice, "%s is set twice on the Kotaemon container", e.Name)
					env[e.Name] = envValue(e)
				}
				for name, want := range c.env {
					assert.Equal(t, want, env[name], "Kotaemon's %s", name)
				}
				for _, name := range c.absent {
					assert.NotContains(t, env, name)
				}

				cfg, err := config.Parse([]byte(configMap(t, m, "-health").Data["config.yaml"]))
				require.NoError(t, err, "the agent refuses the rendered config")
				runner := container(t, m, map[string]string{"wrapper": "kotaemon", "sidecar": "health-agent"}[mode])
				require.NoError(t, cfg.ResolveSecretsWith(envOf(runner), mountedFilesOf(runner)), "a check's key is not provided to %s", runner.Name)
				got := map[string]string{}
				for _, ch := range cfg.Checks {
					target := ch.URL
					if target == "" {
						target = ch.Address
					}
					got[ch.Name] = ch.Type + " " + target + " " + ch.Model
				}
				assert.Equal(t, c.checks, got, "the agent's checks")

				if c.port != 0 {
					assert.Contains(t, egressPorts(t, m), c.port, "the NetworkPolicy lets Kotaemon reach the provider")
				}
			})
		}
	}
}

// envValue is an env entry as "value" or "secret:<name>/<key>".
func envValue(e corev1.EnvVar) string {
	if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
		return "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
	}
	return e.Value
}

// egressPorts are the TCP ports the release's NetworkPolicy lets the pod reach.
func egressPorts(t *testing.T, m *invariants.Manifest) []int32 {
	var ports []int32
	for _, rule := range networkPolicy(t, m, "").Spec.Egress {
		for _, p := range rule.Ports {
			if p.Port != nil && (p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP) {
				ports = append(ports, p.Port.IntVal)
			}
		}
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	return ports
}
