{{/*
Model providers (kotaemon.providers): the variables Kotaemon's flowsettings.py reads
(Kotaemon 0.11.3, flowsettings.py:110-223), the dependency checks derived from them and
the endpoints Kotaemon calls, all from the same values (docs/kotaemon.md, "Providers").
*/}}

{{/* The base URL of the Ollama server the provider names: its url, else the bundled one. */}}
{{- define "kotaemon.providerOllamaURL" -}}
{{- $o := .Values.kotaemon.providers.ollama -}}
{{- if $o.url -}}
{{- trimSuffix "/" $o.url -}}
{{- else if include "kotaemon.bundledOllama" . -}}
{{- printf "http://127.0.0.1:%d" (int .Values.kotaemon.ollama.port) -}}
{{- end -}}
{{- end -}}

{{/* The OpenAI API URL the openai provider's entries call. */}}
{{- define "kotaemon.providerOpenAIURL" -}}
{{- .Values.kotaemon.providers.openai.baseUrl | default "https://api.openai.com/v1" | trimSuffix "/" -}}
{{- end -}}

{{/*
Kotaemon's variables for the enabled providers, as env entries (keys by secretKeyRef).
With the bundled server, KH_OLLAMA_URL comes from kotaemon.ollamaEnv.
*/}}
{{- define "kotaemon.providerEnv" -}}
{{- $p := .Values.kotaemon.providers -}}
{{- $out := list -}}
{{- with $p.openai -}}{{- if .enabled -}}
{{- with .baseUrl }}{{ $out = append $out (dict "name" "OPENAI_API_BASE" "value" .) }}{{ end -}}
{{- if .existingSecret -}}
{{- $out = append $out (dict "name" "OPENAI_API_KEY" "valueFrom" (dict "secretKeyRef" (dict "name" .existingSecret "key" .apiKeyKey))) -}}
{{- else -}}
{{- /* Any key but Kotaemon's placeholder makes the entries default (flowsettings.py:142-146). */ -}}
{{- $out = append $out (dict "name" "OPENAI_API_KEY" "value" "none") -}}
{{- end -}}
{{- $out = append $out (dict "name" "OPENAI_CHAT_MODEL" "value" .chatModel) -}}
{{- $out = append $out (dict "name" "OPENAI_EMBEDDINGS_MODEL" "value" .embeddingsModel) -}}
{{- end -}}{{- end -}}
{{- with $p.azureOpenAI -}}{{- if .enabled -}}
{{- $out = append $out (dict "name" "AZURE_OPENAI_ENDPOINT" "value" .endpoint) -}}
{{- $out = append $out (dict "name" "AZURE_OPENAI_API_KEY" "valueFrom" (dict "secretKeyRef" (dict "name" .existingSecret "key" .apiKeyKey))) -}}
{{- $out = append $out (dict "name" "OPENAI_API_VERSION" "value" .apiVersion) -}}
{{- with .chatDeployment }}{{ $out = append $out (dict "name" "AZURE_OPENAI_CHAT_DEPLOYMENT" "value" .) }}{{ end -}}
{{- with .embeddingsDeployment }}{{ $out = append $out (dict "name" "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT" "value" .) }}{{ end -}}
{{- end -}}{{- end -}}
{{- with $p.ollama -}}{{- if .enabled -}}
{{- $base := include "kotaemon.providerOllamaURL" $ -}}
{{- if .url }}{{ $out = append $out (dict "name" "KH_OLLAMA_URL" "value" (printf "%s/v1/" $base)) }}{{ end -}}
{{- $out = append $out (dict "name" "LOCAL_MODEL" "value" .chatModel) -}}
{{- $out = append $out (dict "name" "LOCAL_MODEL_EMBEDDINGS" "value" .embeddingsModel) -}}
{{- if .default -}}
{{- /* 0.11.3 seeds its Ollama entries as non-default; the default "openai" ones speak Ollama's OpenAI API. */ -}}
{{- $out = append $out (dict "name" "OPENAI_API_BASE" "value" (printf "%s/v1" $base)) -}}
{{- $out = append $out (dict "name" "OPENAI_API_KEY" "value" "ollama") -}}
{{- $out = append $out (dict "name" "OPENAI_CHAT_MODEL" "value" .chatModel) -}}
{{- $out = append $out (dict "name" "OPENAI_EMBEDDINGS_MODEL" "value" .embeddingsModel) -}}
{{- end -}}
{{- end -}}{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
The endpoints the enabled providers make Kotaemon call, each with the key that names it:
the NetworkPolicy opens their ports and the egress guard asks whether they can leave.
*/}}
{{- define "kotaemon.providerEndpoints" -}}
{{- $p := .Values.kotaemon.providers -}}
{{- $out := list -}}
{{- if $p.openai.enabled -}}
{{- $out = append $out (dict "field" "kotaemon.providers.openai.baseUrl" "url" (include "kotaemon.providerOpenAIURL" .)) -}}
{{- end -}}
{{- if $p.azureOpenAI.enabled -}}
{{- $out = append $out (dict "field" "kotaemon.providers.azureOpenAI.endpoint" "url" $p.azureOpenAI.endpoint) -}}
{{- end -}}
{{- if and $p.ollama.enabled $p.ollama.url -}}
{{- $out = append $out (dict "field" "kotaemon.providers.ollama.url" "url" $p.ollama.url) -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* The dependency checks derived from the enabled providers, in the form of health.checks. */}}
{{- define "kotaemon.providerChecks" -}}
{{- $p := .Values.kotaemon.providers -}}
{{- $out := list -}}
{{- with $p.openai -}}{{- if and .enabled .check.enabled -}}
{{- $c := dict "name" "provider-openai" "type" "openai" "url" (include "kotaemon.providerOpenAIURL" $) "model" .chatModel -}}
{{- with .existingSecret }}{{ $_ := set $c "apiKey" (dict "secretKeyRef" (dict "name" . "key" $p.openai.apiKeyKey)) }}{{ end -}}
{{- $out = append $out (merge $c (pick .check "critical" "intervalSeconds" "timeoutSeconds")) -}}
{{- end -}}{{- end -}}
{{- with $p.azureOpenAI -}}{{- if and .enabled .check.enabled .endpoint -}}
{{- $u := urlParse .endpoint -}}
{{- $address := ternary $u.host (printf "%s:443" $u.host) (regexMatch ":[0-9]+$" $u.host) -}}
{{- $c := dict "name" "provider-azure-openai" "type" "tcp" "address" $address -}}
{{- $out = append $out (merge $c (pick .check "critical" "intervalSeconds" "timeoutSeconds")) -}}
{{- end -}}{{- end -}}
{{- with $p.ollama -}}{{- if and .enabled .check.enabled -}}
{{- $base := include "kotaemon.providerOllamaURL" $ -}}
{{- if $base -}}
{{- range $role, $model := dict "chat" .chatModel "embeddings" .embeddingsModel -}}
{{- $c := dict "name" (printf "provider-ollama-%s" $role) "type" "ollama" "url" $base "model" $model -}}
{{- $out = append $out (merge $c (pick $p.ollama.check "critical" "intervalSeconds" "timeoutSeconds")) -}}
{{- end -}}
{{- end -}}
{{- end -}}{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
Every check the agent runs: health.checks, the bundled Ollama server's, the providers'.
The agent's config, its environment (check secrets) and the NetworkPolicy read this list.
*/}}
{{- define "kotaemon.checks" -}}
{{- $checks := .Values.health.checks | default list -}}
{{- if include "kotaemon.bundledOllama" . -}}
{{- $checks = append $checks (include "kotaemon.bundledOllamaCheck" . | fromYaml) -}}
{{- end -}}
{{- $checks = concat $checks (include "kotaemon.providerChecks" . | fromYamlArray) -}}
{{- toYaml $checks -}}
{{- end -}}
