{{/* The agent's own timing: it answers inside the probes (PI-09) and stops the app inside the grace period (PI-14). */}}
{{- define "kotaemon.guards.agent" -}}
{{- $v := .root.Values -}}
{{- $probes := .probes -}}
{{- $r := $probes.readiness -}}
{{- $l := $probes.liveness -}}
{{- $s := $probes.startup -}}
{{- $mode := .mode -}}
{{- /* PI-09: the agent answers before the kubelet gives up. */ -}}
{{- if include "kotaemon.agentEnabled" .root -}}
{{- $liveMs := int (include "kotaemon.agentLiveTimeoutMs" .root) -}}
{{- $readyMs := int (include "kotaemon.agentReadyTimeoutMs" .root) -}}
{{- if lt $liveMs 1 }}{{ fail (printf "PI-09: health.app.liveTimeoutMs must be >= 1 (got %d)" $liveMs) }}{{ end -}}
{{- if lt $readyMs 1 }}{{ fail (printf "PI-09: health.app.readyTimeoutMs must be >= 1 (got %d)" $readyMs) }}{{ end -}}
{{- if $r -}}
{{- if ge $readyMs (mul (int $r.timeoutSeconds) 1000) -}}
{{- fail (printf "PI-09: health.app.readyTimeoutMs (%dms) must be below probes.readiness.timeoutSeconds (%ds)" $readyMs (int $r.timeoutSeconds)) -}}
{{- end -}}
{{- end -}}
{{- /* The agent's live check runs inside a probe only where that probe targets the agent. */ -}}
{{- range $kind := list "liveness" "startup" -}}
{{- $p := index $probes $kind -}}
{{- if and $p (eq (index $mode.probes $kind).port "health") (ge $liveMs (mul (int $p.timeoutSeconds) 1000)) -}}
{{- fail (printf "PI-09: health.app.liveTimeoutMs (%dms) must be below probes.%s.timeoutSeconds (%ds)" $liveMs $kind (int $p.timeoutSeconds)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* PI-14: SIGTERM ends in a clean exit, not a SIGKILL (where the agent stops the app:
as its supervisor in wrapper mode, from its preStop hook in sidecar mode). */ -}}
{{- if $mode.agent -}}
{{- $sh := $v.health.shutdown -}}
{{- $drain := add (int $sh.drainDelaySeconds) (int $sh.answersTimeoutSeconds) (int $sh.stopTimeoutSeconds) -}}
{{- if le (int $v.terminationGracePeriodSeconds) $drain -}}
{{- fail (printf "PI-14: terminationGracePeriodSeconds (%d) must exceed the agent's drain time health.shutdown.drainDelaySeconds + answersTimeoutSeconds + stopTimeoutSeconds (%d + %d + %d = %d)" (int $v.terminationGracePeriodSeconds) (int $sh.drainDelaySeconds) (int $sh.answersTimeoutSeconds) (int $sh.stopTimeoutSeconds) $drain) -}}
{{- end -}}
{{- end -}}

{{- end -}}
