{{/* Model providers: each enabled one must give Kotaemon a model it can call. */}}
{{- define "kotaemon.guards.providers" -}}
{{- $p := .Values.kotaemon.providers -}}
{{- $f := "kotaemon.providers" -}}
{{- with $p.openai }}{{ if .enabled -}}
{{- if and (not .baseUrl) (not .existingSecret) -}}
{{- fail (printf "%s.openai.existingSecret is required: api.openai.com (baseUrl empty) takes no call without a key. Name the Secret holding it (key %s), or set %s.openai.baseUrl for an endpoint that needs none" $f .apiKeyKey $f) -}}
{{- end -}}
{{- end }}{{ end -}}
{{- with $p.azureOpenAI }}{{ if .enabled -}}
{{- if not .endpoint -}}
{{- fail (printf "%s.azureOpenAI.endpoint is required (https://<resource>.openai.azure.com/)" $f) -}}
{{- end -}}
{{- if not .existingSecret -}}
{{- fail (printf "%s.azureOpenAI.existingSecret is required: name the Secret holding the API key (key %s)" $f .apiKeyKey) -}}
{{- end -}}
{{- if not (or .chatDeployment .embeddingsDeployment) -}}
{{- fail (printf "%s.azureOpenAI: set chatDeployment or embeddingsDeployment (or both): Kotaemon adds an Azure entry only for a deployment it is given (flowsettings.py:113,127)" $f) -}}
{{- end -}}
{{- end }}{{ end -}}
{{- with $p.ollama }}{{ if .enabled -}}
{{- if and (not .url) (not (include "kotaemon.bundledOllama" $)) -}}
{{- fail (printf "%s.ollama.url is required (e.g. http://ollama.ollama.svc:11434) unless image.flavour is ollama with kotaemon.ollama.serve, whose bundled server it then uses" $f) -}}
{{- end -}}
{{- if and .url (not (has (urlParse .url).path (list "" "/"))) -}}
{{- fail (printf "%s.ollama.url %q: give the server's base URL, without a path: the chart adds /v1/ for Kotaemon (KH_OLLAMA_URL)" $f .url) -}}
{{- end -}}
{{- if and .default $p.openai.enabled -}}
{{- fail (printf "%s.ollama.default and %s.openai.enabled both configure Kotaemon's default \"openai\" entries (OPENAI_API_BASE, OPENAI_API_KEY): set %s.ollama.default to false to keep OpenAI the default, or disable %s.openai" $f $f $f $f) -}}
{{- end -}}
{{- end }}{{ end -}}
{{- range $name := list "openai" "azureOpenAI" "ollama" -}}
{{- $c := (index $p $name).check -}}
{{- if and (index $p $name).enabled $c.enabled -}}
{{- include "kotaemon.checkTimeoutFits" (dict "field" (printf "%s.%s.check" $f $name) "check" $c) -}}
{{- end -}}
{{- end -}}
{{- /* A derived check's name taken by health.checks would make the agent refuse its config. */ -}}
{{- $derived := dict -}}
{{- range (include "kotaemon.providerChecks" . | fromYamlArray) }}{{ $_ := set $derived .name true }}{{ end -}}
{{- range $i, $c := .Values.health.checks -}}
{{- if hasKey $derived $c.name -}}
{{- fail (printf "health.checks[%d].name %q is the name of a check the chart derives from kotaemon.providers: choose another name, or set that provider's check.enabled to false" $i $c.name) -}}
{{- end -}}
{{- end -}}
{{- /* A variable given twice would win or lose by position: say which one counts. */ -}}
{{- $given := include "kotaemon.userEnvNames" . | fromYamlArray -}}
{{- $secretEnv := keys (.Values.kotaemon.secretEnv | default dict) -}}
{{- range (include "kotaemon.providerEnv" . | fromYamlArray) -}}
{{- if has .name $given -}}
{{- fail (printf "kotaemon.env/extraEnv: %s is set by the chart from kotaemon.providers; remove it, or configure it there" .name) -}}
{{- end -}}
{{- if has .name $secretEnv -}}
{{- fail (printf "kotaemon.secretEnv: %s is set by the chart from kotaemon.providers (the chart's variable would win over the Secret's); remove it, or configure it there" .name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
