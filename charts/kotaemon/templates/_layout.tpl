{{/*
The pod's shape by health.mode, resolved once. Each mode has two templates here, side by
side, so a reader sees what its pod looks like:
  kotaemon.mode.<mode>  facts: what the agent does (supervise, serve or nothing), the
                        ports each container declares, where each probe points and
                        which container carries it;
  kotaemon.pod.<mode>   pieces: init containers, the Kotaemon container's command,
                        ports, extra env and mounts, extra containers, volumes.
"kotaemon.podLayout" combines them with the resolved probes (_probes.tpl), and
deployment.yaml renders that layout with no mode branch. Templates choose a mode by
name (include "kotaemon.mode.<mode>"), never by an if on health.mode.
*/}}

{{/* The facts of the chosen mode. */}}
{{- define "kotaemon.mode" -}}
{{- include (printf "kotaemon.mode.%s" .Values.health.mode) . -}}
{{- end -}}

{{/*
The resolved pod: initContainers, app (command, args, ports, env, probes, volumeMounts),
containers (beside Kotaemon) and volumes.
*/}}
{{- define "kotaemon.podLayout" -}}
{{- $probes := include "kotaemon.effectiveProbes" . | fromYaml -}}
{{- $mode := include "kotaemon.mode" . | fromYaml -}}
{{- $placed := dict "kotaemon" (dict) "health-agent" (dict) -}}
{{- range $kind, $p := $probes -}}
{{- $_ := set (index $placed (index $mode.probes $kind).container) (printf "%sProbe" $kind) $p -}}
{{- end -}}
{{- $pod := include (printf "kotaemon.pod.%s" .Values.health.mode) (dict "root" . "agentProbes" (index $placed "health-agent")) | fromYaml -}}
{{- $app := $pod.app -}}
{{- $_ := set $app "probes" (index $placed "kotaemon") -}}
{{- if .Values.diagnosticMode.enabled -}}
{{- $_ := set $app "command" .Values.diagnosticMode.command -}}
{{- $_ := set $app "args" .Values.diagnosticMode.args -}}
{{- end -}}
{{- if include "kotaemon.bundledOllama" . -}}
{{- $_ := set $app "env" (concat $app.env (include "kotaemon.ollamaEnv" . | fromYamlArray)) -}}
{{- /* Where the agent supervises Kotaemon, Ollama is its companion (in the command);
elsewhere it is a container of its own. */ -}}
{{- if ne $mode.agent "supervise" -}}
{{- $_ := set $pod "containers" (append $pod.containers (include "kotaemon.ollamaContainer" . | fromYaml)) -}}
{{- end -}}
{{- end -}}
{{- toYaml $pod -}}
{{- end -}}

{{/*
The ollama flavour's bundled Ollama server runs in the pod (the image's launch.sh would
start it, but the chart runs python directly).
*/}}
{{- define "kotaemon.bundledOllama" -}}
{{- if and (eq .Values.image.flavour "ollama") .Values.kotaemon.ollama.serve (not .Values.diagnosticMode.enabled) }}true{{ end -}}
{{- end -}}

{{/*
The container that runs the models and gets the GPUs (gpu.enabled): the bundled Ollama
server's own container (sidecar and none modes), else Kotaemon's, where the bundled server
runs in wrapper mode and local models run in Kotaemon's own process. Empty without gpu.
*/}}
{{- define "kotaemon.gpuContainer" -}}
{{- if .Values.gpu.enabled -}}
{{- if and (include "kotaemon.bundledOllama" .) (ne (include "kotaemon.mode" . | fromYaml).agent "supervise") }}ollama{{ else }}kotaemon{{ end -}}
{{- end -}}
{{- end -}}

{{/* A container's resources (.resources), with the GPU limit when it is .container that runs the models. */}}
{{- define "kotaemon.resourcesWithGPU" -}}
{{- $r := deepCopy (.resources | default dict) -}}
{{- if eq (include "kotaemon.gpuContainer" .root) .container -}}
{{- $limits := deepCopy ($r.limits | default dict) -}}
{{- $_ := set $limits .root.Values.gpu.resource (int .root.Values.gpu.count) -}}
{{- $_ := set $r "limits" $limits -}}
{{- end -}}
{{- toYaml $r -}}
{{- end -}}

{{/*
Where Kotaemon and the bundled server find each other, unless kotaemon.env or
kotaemon.extraEnv already set the variable (a duplicate name would be refused by a
server-side apply, and the chart's would silently win).
*/}}
{{- define "kotaemon.ollamaEnv" -}}
{{- $v := .Values -}}
{{- $given := include "kotaemon.userEnvNames" . | fromYamlArray -}}
{{- $port := int $v.kotaemon.ollama.port -}}
{{- $out := list -}}
{{- if not (has "OLLAMA_HOST" $given) }}{{ $out = append $out (dict "name" "OLLAMA_HOST" "value" (printf "127.0.0.1:%d" $port)) }}{{ end -}}
{{- $provider := and $v.kotaemon.providers.ollama.enabled $v.kotaemon.providers.ollama.url -}}
{{- if not (or (has "KH_OLLAMA_URL" $given) $provider) }}{{ $out = append $out (dict "name" "KH_OLLAMA_URL" "value" (printf "http://127.0.0.1:%d/v1/" $port)) }}{{ end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* The names of the variables the user gives Kotaemon (kotaemon.env, kotaemon.extraEnv). */}}
{{- define "kotaemon.userEnvNames" -}}
{{- $names := keys (.Values.kotaemon.env | default dict) -}}
{{- range (.Values.kotaemon.extraEnv | default list) }}{{ $names = append $names .name }}{{ end -}}
{{- toYaml $names -}}
{{- end -}}

{{/*
The bundled Ollama server as a container of its own (sidecar and none modes). It gets
what the companion would inherit in wrapper mode: Kotaemon's plain environment (HOME
included, for a read-only root filesystem) and the shared /tmp.
*/}}
{{- define "kotaemon.ollamaContainer" -}}
{{- $v := .Values -}}
name: ollama
image: {{ include "kotaemon.image" . }}
imagePullPolicy: {{ $v.image.pullPolicy }}
command:
  {{- toYaml $v.kotaemon.ollama.command | nindent 2 }}
env:
  {{- range $name, $value := ($v.kotaemon.env | default dict) }}
  - name: {{ $name }}
    value: {{ $value | toString | quote }}
  {{- end }}
  {{- with $v.kotaemon.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- with include "kotaemon.ollamaEnv" . | fromYamlArray }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
resources:
  {{- include "kotaemon.resourcesWithGPU" (dict "root" . "resources" .Values.kotaemon.ollama.resources "container" "ollama") | nindent 2 }}
securityContext:
  {{- toYaml .Values.kotaemon.securityContext | nindent 2 }}
{{- end -}}

{{/* The Kotaemon container's ports: the app port, and the health port when it is served there. */}}
{{- define "kotaemon.appPort" -}}
- name: http
  containerPort: {{ int .Values.kotaemon.port }}
  protocol: TCP
{{- end -}}
{{- define "kotaemon.healthPort" -}}
- name: health
  containerPort: {{ int .Values.health.port }}
  protocol: TCP
{{- end -}}

{{/*
wrapper (default): the agent is PID 1 of the Kotaemon container. An init container copies
the static agent into an emptyDir (the agent image has no shell); the Kotaemon container
runs `kotaemon-health supervise -- <Kotaemon's command>` (_entrypoint.tpl), so the agent forwards signals,
reaps children and serves the health port of the very container the kubelet restarts.
Every probe targets the agent.
*/}}
{{- define "kotaemon.mode.wrapper" -}}
agent: supervise
ports: {kotaemon: [http, health]}
probes:
  startup: {container: kotaemon, port: health, path: {{ .Values.health.paths.live | quote }}}
  readiness: {container: kotaemon, port: health, path: {{ .Values.health.paths.ready | quote }}}
  liveness: {container: kotaemon, port: health, path: {{ .Values.health.paths.live | quote }}}
{{- end -}}

{{/*
The init container that copies the static agent into the health-bin emptyDir (the agent
image has no shell), for the Kotaemon container to run it: as its supervisor in wrapper
mode, as its preStop hook in sidecar mode.
*/}}
{{- define "kotaemon.agentInstaller" -}}
{{- $v := .Values -}}
- name: install-health-agent
  image: {{ include "kotaemon.agentImage" . }}
  imagePullPolicy: {{ $v.health.image.pullPolicy }}
  command: ["/usr/local/bin/kotaemon-health", "install", {{ include "kotaemon.agentBinDir" . | quote }}]
  resources:
    {{- toYaml $v.health.resources | nindent 4 }}
  securityContext:
    {{- toYaml $v.health.securityContext | nindent 4 }}
  volumeMounts:
    - name: health-bin
      mountPath: {{ include "kotaemon.agentBinDir" . }}
{{- end -}}

{{- define "kotaemon.agentBinMount" -}}
- name: health-bin
  mountPath: {{ include "kotaemon.agentBinDir" . }}
  readOnly: true
{{- end -}}

{{- define "kotaemon.agentBinVolume" -}}
- name: health-bin
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "kotaemon.pod.wrapper" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
initContainers:
  {{- include "kotaemon.agentInstaller" $root | nindent 2 }}
app:
  command:
    - {{ include "kotaemon.agentBinDir" $root }}/kotaemon-health
    - supervise
    - --config
    - {{ include "kotaemon.agentConfigPath" $root }}
    {{- if include "kotaemon.bundledOllama" $root }}
    - --companion
    - {{ toJson $v.kotaemon.ollama.command | quote }}
    {{- end }}
    - --
    {{- include "kotaemon.appCommand" $root | nindent 4 }}
  ports:
    {{- include "kotaemon.appPort" $root | nindent 4 }}
    {{- include "kotaemon.healthPort" $root | nindent 4 }}
  {{- with include "kotaemon.agentEnv" $root }}
  env:
    {{- . | nindent 4 }}
  {{- else }}
  env: []
  {{- end }}
  volumeMounts:
    {{- include "kotaemon.agentBinMount" $root | nindent 4 }}
    {{- include "kotaemon.agentVolumeMounts" $root | nindent 4 }}
containers: []
volumes:
  {{- include "kotaemon.agentVolumes" $root | nindent 2 }}
  {{- include "kotaemon.agentBinVolume" $root | nindent 2 }}
{{- end -}}

{{/*
sidecar: the agent runs beside Kotaemon (`kotaemon-health serve`) and carries the
readiness probe (a pod is Ready only when all its containers are), so its view of the
app and the dependencies gates traffic. Kotaemon's own liveness and startup probes hit
the app's async route on the app port. native: an init container with restartPolicy
Always (Kubernetes >= 1.29), started before Kotaemon and stopped after it; else a plain
container. The kubelet signals Kotaemon itself here, and SIGTERM cannot stop it cleanly
(docs/kotaemon.md), so its preStop hook (`kotaemon-health stop`, installed like wrapper
mode's agent) does what the supervising agent does: drain delay, answers in flight, then
health.shutdown.stopSignal.
*/}}
{{- define "kotaemon.mode.sidecar" -}}
agent: serve
ports: {kotaemon: [http], health-agent: [health]}
probes:
  startup: {container: kotaemon, port: http, path: {{ (include "kotaemon.appRoutes" . | fromYaml).live | quote }}}
  readiness: {container: health-agent, port: health, path: {{ .Values.health.paths.ready | quote }}}
  liveness: {container: kotaemon, port: http, path: {{ (include "kotaemon.appRoutes" . | fromYaml).live | quote }}}
{{- end -}}

{{/*
Native sidecars (init containers with restartPolicy Always) need Kubernetes 1.29; on an
older cluster the agent falls back to a plain container, and NOTES say so.
*/}}
{{- define "kotaemon.nativeSidecar" -}}
{{- if and .Values.health.sidecar.native (semverCompare ">=1.29-0" .Capabilities.KubeVersion.Version) }}true{{ end -}}
{{- end -}}

{{- define "kotaemon.pod.sidecar" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $native := include "kotaemon.nativeSidecar" $root -}}
{{- $agent := include "kotaemon.agentContainer" (dict "root" $root "probes" .agentProbes "native" $native) -}}
initContainers:
  {{- include "kotaemon.agentInstaller" $root | nindent 2 }}
  {{- if $native }}
  {{- $agent | nindent 2 }}
  {{- end }}
app:
  command:
    {{- include "kotaemon.appCommand" $root | nindent 4 }}
  ports:
    {{- include "kotaemon.appPort" $root | nindent 4 }}
  env: []
  volumeMounts:
    {{- include "kotaemon.agentBinMount" $root | nindent 4 }}
    - name: health-config
      mountPath: {{ include "kotaemon.agentConfigPath" $root }}
      subPath: config.yaml
      readOnly: true
  lifecycle:
    preStop:
      exec:
        command: [{{ printf "%s/kotaemon-health" (include "kotaemon.agentBinDir" $root) | quote }}, "stop", "--config", {{ include "kotaemon.agentConfigPath" $root | quote }}]
containers:
  {{- if not $native }}
  {{- $agent | nindent 2 }}
  {{- else }} []
  {{- end }}
volumes:
  {{- include "kotaemon.agentVolumes" $root | nindent 2 }}
  {{- include "kotaemon.agentBinVolume" $root | nindent 2 }}
{{- end -}}

{{/*
none: no agent. The image serves health.paths on health.port itself; every probe
targets it there.
*/}}
{{- define "kotaemon.mode.none" -}}
agent: ""
ports: {kotaemon: [http, health]}
probes:
  startup: {container: kotaemon, port: health, path: {{ .Values.health.paths.live | quote }}}
  readiness: {container: kotaemon, port: health, path: {{ .Values.health.paths.ready | quote }}}
  liveness: {container: kotaemon, port: health, path: {{ .Values.health.paths.live | quote }}}
{{- end -}}

{{- define "kotaemon.pod.none" -}}
{{- $root := .root -}}
initContainers: []
app:
  command:
    {{- include "kotaemon.appCommand" $root | nindent 4 }}
  ports:
    {{- include "kotaemon.appPort" $root | nindent 4 }}
    {{- include "kotaemon.healthPort" $root | nindent 4 }}
  env: []
  volumeMounts: []
containers: []
volumes: []
{{- end -}}
