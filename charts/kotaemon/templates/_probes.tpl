{{/*
Every probe is rendered through this file. "kotaemon.effectiveProbes" resolves each probe
once (custom replacement or built from timing values, startup budget derived, diagnostic
mode applied); the Deployment, the guards and the agent config all read that one result.
*/}}

{{/* Kubernetes' own defaults, applied only to fields a custom probe leaves out. */}}
{{- define "kotaemon.probeApiDefaults" -}}
initialDelaySeconds: 0
periodSeconds: 10
timeoutSeconds: 1
successThreshold: 1
failureThreshold: 3
{{- end -}}

{{/*
PI-05's floor on the start-up budget: expectedSeconds x 1.2, in thousandths. The same
number is the schema's minimum safetyFactor and invariants' StartupCoverPermille.
*/}}
{{- define "kotaemon.startupCoverPermille" -}}1200{{- end -}}

{{/*
Startup failureThreshold derived from the measured P99: ceil((expected x factor - delay) / period),
in integer milliseconds so that 100 x 1.2 is 120 and not 120.00000000000001.
*/}}
{{- define "kotaemon.startupFailureThreshold" -}}
{{- $s := .Values.probes.startup -}}
{{- if not (kindIs "invalid" $s.failureThreshold) -}}
{{- int $s.failureThreshold -}}
{{- else -}}
{{- $factorMilli := int (round (mulf $s.safetyFactor 1000) 0) -}}
{{- $needMilli := sub (mul (int $s.expectedSeconds) $factorMilli) (mul (int $s.initialDelaySeconds) 1000) -}}
{{- $periodMilli := mul (int $s.periodSeconds) 1000 -}}
{{- max 1 (div (add $needMilli $periodMilli -1) $periodMilli) -}}
{{- end -}}
{{- end -}}

{{/* One probe, built from its timing values; where it points is the mode's (_layout.tpl). */}}
{{- define "kotaemon.builtProbe" -}}
{{- $v := index .root.Values.probes .kind -}}
{{- $target := index (include "kotaemon.mode" .root | fromYaml).probes .kind -}}
httpGet:
  path: {{ $target.path }}
  port: {{ $target.port }}
initialDelaySeconds: {{ int $v.initialDelaySeconds }}
periodSeconds: {{ int $v.periodSeconds }}
timeoutSeconds: {{ int $v.timeoutSeconds }}
successThreshold: {{ int $v.successThreshold }}
{{- if eq .kind "startup" }}
failureThreshold: {{ include "kotaemon.startupFailureThreshold" .root }}
{{- else }}
failureThreshold: {{ int $v.failureThreshold }}
{{- end }}
{{- if and (ne .kind "readiness") (not (kindIs "invalid" $v.terminationGracePeriodSeconds)) }}
terminationGracePeriodSeconds: {{ int $v.terminationGracePeriodSeconds }}
{{- end }}
{{- end -}}

{{/* All three probes, resolved: a map kind -> Probe, with disabled probes absent. */}}
{{- define "kotaemon.effectiveProbes" -}}
{{- $root := . -}}
{{- $out := dict -}}
{{- if not .Values.diagnosticMode.enabled -}}
{{- range $kind := list "startup" "readiness" "liveness" -}}
{{- $v := index $root.Values.probes $kind -}}
{{- if $v.enabled -}}
{{- if $v.custom -}}
{{- $_ := set $out $kind (merge (deepCopy $v.custom) (include "kotaemon.probeApiDefaults" $root | fromYaml)) -}}
{{- else -}}
{{- $_ := set $out $kind (include "kotaemon.builtProbe" (dict "root" $root "kind" $kind) | fromYaml) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* Milliseconds the agent may spend on the app inside one probe request (PI-09). */}}
{{- define "kotaemon.agentLiveTimeoutMs" -}}
{{- $app := .Values.health.app -}}
{{- if not (kindIs "invalid" $app.liveTimeoutMs) -}}
{{- int $app.liveTimeoutMs -}}
{{- else -}}
{{- $probes := include "kotaemon.effectiveProbes" . | fromYaml -}}
{{- $min := 0 -}}
{{- range $kind, $p := $probes -}}
{{- $t := int $p.timeoutSeconds -}}
{{- if or (eq $min 0) (lt $t $min) }}{{ $min = $t }}{{ end -}}
{{- end -}}
{{- if eq $min 0 }}{{ $min = 1 }}{{ end -}}
{{- /* Never more than the agent accepts (a minute), whatever the kubelet waits. */ -}}
{{- min (sub (mul $min 1000) 500) 60000 -}}
{{- end -}}
{{- end -}}

{{- define "kotaemon.agentReadyTimeoutMs" -}}
{{- $app := .Values.health.app -}}
{{- if not (kindIs "invalid" $app.readyTimeoutMs) -}}
{{- int $app.readyTimeoutMs -}}
{{- else -}}
{{- $probes := include "kotaemon.effectiveProbes" . | fromYaml -}}
{{- $t := 1 -}}
{{- with $probes.readiness }}{{ $t = int .timeoutSeconds }}{{ end -}}
{{- min (sub (mul $t 1000) 500) 60000 -}}
{{- end -}}
{{- end -}}
