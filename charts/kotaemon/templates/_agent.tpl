{{/*
The health agent: its config file (format: docs/agent-config.md), the environment that
carries check secrets by reference, its volumes and mounts, and its own container. Where
they go in the pod is the mode's layout (_layout.tpl).
*/}}

{{- define "kotaemon.agentConfig" -}}
{{- $v := .Values -}}
{{- $h := $v.health -}}
{{- $authDir := include "kotaemon.agentAuthDir" . -}}
{{- $routes := include "kotaemon.appRoutes" . | fromYaml -}}
listen: ":{{ int $h.port }}"
paths:
  live: {{ $h.paths.live | quote }}
  ready: {{ $h.paths.ready | quote }}
  metrics: {{ $h.paths.metrics | quote }}
app:
  url: "http://127.0.0.1:{{ int $v.kotaemon.port }}"
  live:
    path: {{ $routes.live | quote }}
    timeout: {{ include "kotaemon.agentLiveTimeoutMs" . }}ms
  ready:
    path: {{ $routes.ready | quote }}
    timeout: {{ include "kotaemon.agentReadyTimeoutMs" . }}ms
shutdown:
  drainDelay: {{ int $h.shutdown.drainDelaySeconds }}s
  answersTimeout: {{ int $h.shutdown.answersTimeoutSeconds }}s
  stopSignal: {{ $h.shutdown.stopSignal }}
  stopTimeout: {{ int $h.shutdown.stopTimeoutSeconds }}s
details: {{ $h.details }}
auth:
  mode: {{ $h.auth.mode }}
  {{- if eq $h.auth.mode "token" }}
  tokenFile: {{ printf "%s/%s" $authDir $h.auth.tokenKey | quote }}
  {{- else if eq $h.auth.mode "jwt" }}
  jwt:
    algorithms: {{ toJson $h.auth.jwt.algorithms }}
    {{- with $h.auth.jwt.secretKey }}
    secretFile: {{ printf "%s/%s" $authDir . | quote }}
    {{- end }}
    {{- with $h.auth.jwt.publicKeyKey }}
    publicKeyFile: {{ printf "%s/%s" $authDir . | quote }}
    {{- end }}
    {{- with $h.auth.jwt.jwksKey }}
    jwksFile: {{ printf "%s/%s" $authDir . | quote }}
    {{- end }}
    {{- with $h.auth.jwt.issuer }}
    issuer: {{ . | quote }}
    {{- end }}
    {{- with $h.auth.jwt.audience }}
    audience: {{ . | quote }}
    {{- end }}
  {{- end }}
  protectMetrics: {{ $h.auth.protectMetrics }}
  trustLoopback: {{ $h.auth.trustLoopback }}
log:
  level: {{ $h.logLevel }}
# Start-ups, stalls and check latencies, kept across restarts on the data volume for
# kotaemonctl advise (docs/health-agent.md, "History").
history:
  path: {{ include "kotaemon.agentHistoryFile" . | quote }}
{{- $checks := include "kotaemon.checks" . | fromYamlArray -}}
{{- if $checks }}
checks:
{{- range $c := $checks }}
  - name: {{ $c.name }}
    type: {{ $c.type }}
    critical: {{ $c.critical }}
    interval: {{ int $c.intervalSeconds }}s
    timeout: {{ int $c.timeoutSeconds }}s
    {{- if hasKey $c "failureThreshold" }}
    failureThreshold: {{ int $c.failureThreshold }}
    {{- end }}
    {{- if hasKey $c "successThreshold" }}
    successThreshold: {{ int $c.successThreshold }}
    {{- end }}
    {{- with $c.url }}
    url: {{ . | quote }}
    {{- end }}
    {{- with $c.address }}
    address: {{ . | quote }}
    {{- end }}
    {{- with $c.model }}
    model: {{ . | quote }}
    {{- end }}
    {{- with $c.path }}
    path: {{ . | quote }}
    {{- end }}
    {{- if $c.minFreeBytes }}
    minFreeBytes: {{ int64 $c.minFreeBytes }}
    {{- end }}
    {{- with $c.expectedStatus }}
    expectedStatus: {{ toJson . }}
    {{- end }}
    {{- with $c.provider }}
    provider: {{ . }}
    {{- end }}
    {{- if $c.apiKey }}
    apiKey:
      env: {{ include "kotaemon.checkEnvName" (dict "check" $c.name "field" "API_KEY") }}
    {{- end }}
    {{- if $c.headers }}
    headers:
    {{- range $i, $hd := $c.headers }}
      - name: {{ $hd.name | quote }}
        env: {{ include "kotaemon.checkEnvName" (dict "check" $c.name "field" (printf "HEADER_%d" $i)) }}
    {{- end }}
    {{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Environment of the process that runs the agent: check secrets as secretKeyRefs only. */}}
{{- define "kotaemon.agentEnv" -}}
{{- range $c := include "kotaemon.checks" . | fromYamlArray -}}
{{- with $c.apiKey }}
- name: {{ include "kotaemon.checkEnvName" (dict "check" $c.name "field" "API_KEY") }}
  valueFrom:
    secretKeyRef:
      {{- toYaml .secretKeyRef | nindent 6 }}
{{- end }}
{{- range $i, $hd := $c.headers }}
- name: {{ include "kotaemon.checkEnvName" (dict "check" $c.name "field" (printf "HEADER_%d" $i)) }}
  valueFrom:
    secretKeyRef:
      {{- toYaml $hd.secretKeyRef | nindent 6 }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "kotaemon.agentVolumeMounts" -}}
- name: health-config
  mountPath: {{ include "kotaemon.agentConfigDir" . }}/config.yaml
  subPath: config.yaml
  readOnly: true
{{- if ne .Values.health.auth.mode "none" }}
- name: health-auth
  mountPath: {{ include "kotaemon.agentAuthDir" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{- define "kotaemon.agentVolumes" -}}
- name: health-config
  configMap:
    name: {{ include "kotaemon.fullname" . }}-health
{{- if ne .Values.health.auth.mode "none" }}
- name: health-auth
  secret:
    secretName: {{ include "kotaemon.authSecretName" . }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{- define "kotaemon.agentConfigPath" -}}{{ include "kotaemon.agentConfigDir" . }}/config.yaml{{- end -}}

{{/* The agent in its own container (sidecar mode), carrying the probes it is given. */}}
{{- define "kotaemon.agentContainer" -}}
{{- $root := .root -}}
{{- $h := $root.Values.health -}}
- name: health-agent
  image: {{ include "kotaemon.agentImage" $root }}
  imagePullPolicy: {{ $h.image.pullPolicy }}
  {{- if .native }}
  restartPolicy: Always
  {{- end }}
  command: ["/usr/local/bin/kotaemon-health", "serve", "--config", {{ include "kotaemon.agentConfigPath" $root | quote }}]
  ports:
    - name: health
      containerPort: {{ int $h.port }}
      protocol: TCP
  {{- $env := include "kotaemon.agentEnv" $root }}
  {{- if $env }}
  env:
    {{- $env | nindent 4 }}
  {{- end }}
  {{- with .probes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  resources:
    {{- toYaml $h.resources | nindent 4 }}
  securityContext:
    {{- toYaml $h.securityContext | nindent 4 }}
  volumeMounts:
    {{- include "kotaemon.agentVolumeMounts" $root | nindent 4 }}
    # The data volume, writable, at the path the app uses: the agent keeps its history
    # there, and a disk check judges it from here (the check proves it can write).
    - name: data
      mountPath: {{ include "kotaemon.dataDir" $root }}
{{- end -}}

{{/* The agent's history file, on the data volume: it outlives the container. */}}
{{- define "kotaemon.agentHistoryFile" -}}
{{- printf "%s/.kotaemon-health/history.json" (include "kotaemon.dataDir" .) -}}
{{- end -}}


{{/*
The token of the Secret the chart manages (token mode without existingSecret), base64:
the one already in the cluster, else a new random one. Both the Secret and the pod's
checksum annotation need the same value within one render, and a random value cannot be
drawn twice, so the first call keeps it in .Values (render-time state only). Empty when
the chart manages no token.
*/}}
{{- define "kotaemon.generatedToken" -}}
{{- $a := .Values.health.auth -}}
{{- if and (eq $a.mode "token") (not $a.existingSecret) (include "kotaemon.agentEnabled" .) -}}
{{- if not (hasKey $a "_generatedToken") -}}
{{- $token := randAlphaNum 40 | b64enc -}}
{{- $existing := lookup "v1" "Secret" (include "kotaemon.namespace" .) (include "kotaemon.authSecretName" .) -}}
{{- if and $existing $existing.data (hasKey $existing.data $a.tokenKey) -}}
{{- $token = index $existing.data $a.tokenKey -}}
{{- end -}}
{{- $_ := set $a "_generatedToken" $token -}}
{{- end -}}
{{- $a._generatedToken -}}
{{- end -}}
{{- end -}}

{{/*
The bundled Ollama server's check (ollama flavour): critical, on loopback, so readiness
waits for it and drops when it stops answering.
*/}}
{{- define "kotaemon.bundledOllamaCheckName" -}}bundled-ollama{{- end -}}
{{- define "kotaemon.bundledOllamaCheck" -}}
name: {{ include "kotaemon.bundledOllamaCheckName" . }}
type: ollama
critical: true
url: {{ printf "http://127.0.0.1:%d" (int .Values.kotaemon.ollama.port) | quote }}
intervalSeconds: 10
timeoutSeconds: 3
{{- end -}}
