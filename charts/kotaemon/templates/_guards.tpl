{{/*
Guards: cross-field rules of docs/invariants.md that a JSON schema cannot express. A broken
rule stops the render; the message names the invariant, the key and the values. Probe
rules read the resolved probes, so custom replacements are held to the same rules.
*/}}

{{- define "kotaemon.guards" -}}
{{- $v := .Values -}}
{{- $probes := include "kotaemon.effectiveProbes" . | fromYaml -}}
{{- $r := $probes.readiness -}}
{{- $l := $probes.liveness -}}
{{- $s := $probes.startup -}}
{{- $ports := dict "health" (int $v.health.port) "http" (int $v.kotaemon.port) -}}
{{- $mode := include "kotaemon.mode" . | fromYaml -}}

{{- /* PI-01: outside diagnostic mode the pod always has readiness and liveness. */ -}}
{{- if not $v.diagnosticMode.enabled -}}
{{- range $kind := list "readiness" "liveness" -}}
{{- if not (index $probes $kind) -}}
{{- fail (printf "PI-01: probes.%s.enabled is false: the Kotaemon pod needs a %s probe (use diagnosticMode.enabled to debug without probes)" $kind $kind) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* PI-08: the app and the health server cannot share a port. */ -}}
{{- if eq (int $v.health.port) (int $v.kotaemon.port) -}}
{{- fail (printf "PI-08: health.port (%d) must differ from kotaemon.port (%d)" (int $v.health.port) (int $v.kotaemon.port)) -}}
{{- end -}}

{{- /* PI-08: every probe, custom ones too, targets a port its own container declares. */ -}}
{{- range $kind, $p := $probes -}}
{{- $carrier := (index $mode.probes $kind).container -}}
{{- $names := index $mode.ports $carrier -}}
{{- $port := "" -}}
{{- with $p.httpGet }}{{ $port = .port }}{{ end -}}
{{- with $p.tcpSocket }}{{ $port = .port }}{{ end -}}
{{- if ne (toString $port) "" -}}
{{- $declared := false -}}
{{- range $n := $names -}}
{{- if or (eq (toString $port) $n) (eq (toString $port) (toString (get $ports $n))) }}{{ $declared = true }}{{ end -}}
{{- end -}}
{{- if not $declared -}}
{{- fail (printf "PI-08: probes.%s targets port %v, which its container %s does not declare (it has %s): use one of those names or numbers" $kind $port $carrier (join ", " $names)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* PI-06: timing floors of the seed article and the Kubernetes API. */ -}}
{{- range $kind, $p := $probes -}}
{{- if lt (int $p.periodSeconds) 1 -}}
{{- fail (printf "PI-06: probes.%s.periodSeconds must be >= 1 (got %d)" $kind (int $p.periodSeconds)) -}}
{{- end -}}
{{- if and (ne $kind "readiness") (ne (int $p.successThreshold) 1) -}}
{{- fail (printf "PI-06: probes.%s.successThreshold must be 1 for %s probes (got %d)" $kind $kind (int $p.successThreshold)) -}}
{{- end -}}
{{- if gt (int $p.timeoutSeconds) (int $p.periodSeconds) -}}
{{- fail (printf "PI-06: probes.%s.timeoutSeconds (%d) must not exceed its periodSeconds (%d): a probe that outlasts its period stretches every window computed from it" $kind (int $p.timeoutSeconds) (int $p.periodSeconds)) -}}
{{- end -}}
{{- if and (ne $kind "startup") (lt (int $p.timeoutSeconds) 3) -}}
{{- fail (printf "PI-06: probes.%s.timeoutSeconds must be >= 3 (got %d)" $kind (int $p.timeoutSeconds)) -}}
{{- end -}}
{{- if and (ne $kind "startup") (lt (int $p.failureThreshold) 3) -}}
{{- fail (printf "PI-06: probes.%s.failureThreshold must be >= 3 (got %d)" $kind (int $p.failureThreshold)) -}}
{{- end -}}
{{- end -}}

{{- /* PI-14: the API rejects a probe-level grace period on readiness. */ -}}
{{- if and $r (hasKey $r "terminationGracePeriodSeconds") -}}
{{- fail "PI-14: probes.readiness.custom.terminationGracePeriodSeconds is not allowed on a readiness probe" -}}
{{- end -}}

{{- /* PI-02 / PI-03: readiness and liveness are different handlers; live never hits ready. */ -}}
{{- if and $r $l $r.httpGet $l.httpGet -}}
{{- if eq (toString $r.httpGet.path) (toString $l.httpGet.path) -}}
{{- fail (printf "PI-02: probes.readiness and probes.liveness share the path %q (port %v vs %v); liveness must target the live endpoint" $r.httpGet.path $r.httpGet.port $l.httpGet.port) -}}
{{- end -}}
{{- end -}}
{{- if and $r $l $r.tcpSocket $l.tcpSocket -}}
{{- if eq (toString (get $ports (toString $r.tcpSocket.port) | default $r.tcpSocket.port)) (toString (get $ports (toString $l.tcpSocket.port) | default $l.tcpSocket.port)) -}}
{{- fail (printf "PI-02: probes.readiness and probes.liveness are the same tcpSocket handler (port %v)" $r.tcpSocket.port) -}}
{{- end -}}
{{- end -}}
{{- range $kind := list "liveness" "startup" -}}
{{- $p := index $probes $kind -}}
{{- if and $p $p.httpGet (eq (toString $p.httpGet.path) (toString $v.health.paths.ready)) -}}
{{- fail (printf "PI-03: probes.%s targets the ready endpoint %q; liveness and startup must target the live endpoint (%s), which never checks a dependency" $kind $p.httpGet.path $v.health.paths.live) -}}
{{- end -}}
{{- end -}}
{{- if eq (toString $v.health.paths.ready) (toString $v.health.paths.live) -}}
{{- fail (printf "PI-02: health.paths.ready and health.paths.live are both %q" $v.health.paths.ready) -}}
{{- end -}}

{{- /* PI-07: a short stall removes the pod from traffic before a sustained one restarts it. */ -}}
{{- if and $r $l -}}
{{- $lw := mul (int $l.periodSeconds) (int $l.failureThreshold) -}}
{{- $rw := mul (int $r.periodSeconds) (int $r.failureThreshold) -}}
{{- if lt $lw $rw -}}
{{- fail (printf "PI-07: probes.liveness.periodSeconds x failureThreshold (%d x %d = %ds) must be >= probes.readiness's (%d x %d = %ds)" (int $l.periodSeconds) (int $l.failureThreshold) $lw (int $r.periodSeconds) (int $r.failureThreshold) $rw) -}}
{{- end -}}
{{- end -}}

{{- /* PI-05: start-up is covered by the startup budget, or by the liveness delay. */ -}}
{{- $expected := int $v.probes.startup.expectedSeconds -}}
{{- $cover := int (include "kotaemon.startupCoverPermille" .) -}}
{{- $factor := divf $cover 1000.0 | toString -}}
{{- if $s -}}
{{- $budget := add (int $s.initialDelaySeconds) (mul (int $s.periodSeconds) (int $s.failureThreshold)) -}}
{{- if lt (mul $budget 1000) (mul $expected $cover) -}}
{{- fail (printf "PI-05: startup budget probes.startup.initialDelaySeconds + periodSeconds x failureThreshold = %d + %d x %d = %ds must cover probes.startup.expectedSeconds x %s = %d x %s" (int $s.initialDelaySeconds) (int $s.periodSeconds) (int $s.failureThreshold) $budget $factor $expected $factor) -}}
{{- end -}}
{{- else if $l -}}
{{- if lt (mul (int $l.initialDelaySeconds) 1000) (mul $expected $cover) -}}
{{- fail (printf "PI-05: with probes.startup disabled, probes.liveness.initialDelaySeconds (%d) must cover probes.startup.expectedSeconds x %s (%d x %s)" (int $l.initialDelaySeconds) $factor $expected $factor) -}}
{{- end -}}
{{- if and $r (le (int $l.initialDelaySeconds) (int $r.initialDelaySeconds)) -}}
{{- fail (printf "PI-05: with probes.startup disabled, probes.liveness.initialDelaySeconds (%d) must be > probes.readiness.initialDelaySeconds (%d)" (int $l.initialDelaySeconds) (int $r.initialDelaySeconds)) -}}
{{- end -}}
{{- end -}}

{{- /* PI-09: the agent answers before the kubelet gives up. */ -}}
{{- if include "kotaemon.agentEnabled" . -}}
{{- $liveMs := int (include "kotaemon.agentLiveTimeoutMs" .) -}}
{{- $readyMs := int (include "kotaemon.agentReadyTimeoutMs" .) -}}
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

{{- /* PI-14: SIGTERM ends in a clean exit, not a SIGKILL (where the agent stops the app). */ -}}
{{- if eq $mode.agent "supervise" -}}
{{- $drain := add (int $v.health.shutdown.drainDelaySeconds) (int $v.health.shutdown.stopTimeoutSeconds) -}}
{{- if le (int $v.terminationGracePeriodSeconds) $drain -}}
{{- fail (printf "PI-14: terminationGracePeriodSeconds (%d) must exceed the agent's drain time health.shutdown.drainDelaySeconds + stopTimeoutSeconds (%d + %d = %d)" (int $v.terminationGracePeriodSeconds) (int $v.health.shutdown.drainDelaySeconds) (int $v.health.shutdown.stopTimeoutSeconds) $drain) -}}
{{- end -}}
{{- end -}}

{{- /* PI-13: local state is single-writer. */ -}}
{{- if gt (int $v.replicaCount) 1 -}}
{{- if not $v.kotaemon.externalStores -}}
{{- fail (printf "PI-13: replicaCount %d needs kotaemon.externalStores=true (SQLite, embedded Chroma and LanceDB cannot be shared)" (int $v.replicaCount)) -}}
{{- end -}}
{{- if and $v.persistence.enabled (has $v.persistence.accessMode (list "ReadWriteOnce" "ReadWriteOncePod")) -}}
{{- fail (printf "PI-13: replicaCount %d cannot share persistence.accessMode %s; disable persistence or use ReadWriteMany" (int $v.replicaCount) $v.persistence.accessMode) -}}
{{- end -}}
{{- end -}}

{{- /* PI-10: no Ingress or HTTPRoute path reaches the health or metrics endpoints. */ -}}
{{- if $v.ingress.enabled -}}
{{- range $i, $h := $v.ingress.hosts -}}
{{- range $j, $p := $h.paths -}}
{{- include "kotaemon.refuseHealthPath" (dict "root" $ "path" $p.path "key" (printf "ingress.hosts[%d].paths[%d].path" $i $j)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $v.httpRoute.enabled -}}
{{- range $j, $p := $v.httpRoute.paths -}}
{{- include "kotaemon.refuseHealthPath" (dict "root" $ "path" $p.path "key" (printf "httpRoute.paths[%d].path" $j)) -}}
{{- end -}}
{{- end -}}

{{- include "kotaemon.checkGuards" . -}}
{{- include "kotaemon.authGuards" . -}}
{{- include "kotaemon.releaseGuards" . -}}
{{- include "kotaemon.imageGuards" . -}}
{{- end -}}

{{- define "kotaemon.authGuards" -}}
{{- $a := .Values.health.auth -}}
{{- if and $a.protectMetrics (eq $a.mode "none") -}}
{{- fail "health.auth.protectMetrics needs credentials to check: set health.auth.mode to token or jwt, or protectMetrics to false" -}}
{{- end -}}
{{- if eq $a.mode "jwt" -}}
{{- if not $a.existingSecret -}}
{{- fail "health.auth.existingSecret is required with health.auth.mode jwt (the Secret holding the key)" -}}
{{- end -}}
{{- $keys := 0 -}}
{{- range $k := list $a.jwt.secretKey $a.jwt.publicKeyKey $a.jwt.jwksKey }}{{ if $k }}{{ $keys = add1 $keys }}{{ end }}{{ end -}}
{{- if ne $keys 1 -}}
{{- fail (printf "health.auth.jwt: set exactly one of secretKey, publicKeyKey, jwksKey (got %d)" $keys) -}}
{{- end -}}
{{- if and $a.jwt.secretKey (not (has "HS256" $a.jwt.algorithms)) -}}
{{- fail "health.auth.jwt.secretKey needs HS256 in health.auth.jwt.algorithms" -}}
{{- end -}}
{{- if and (not $a.jwt.secretKey) (has "HS256" $a.jwt.algorithms) -}}
{{- fail "health.auth.jwt.algorithms has HS256 but no health.auth.jwt.secretKey is set" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* PI-10 for one routed path (Ingress or HTTPRoute): it must not reach a guarded endpoint. */}}
{{- define "kotaemon.refuseHealthPath" -}}
{{- $h := .root.Values.health -}}
{{- range $guarded := list $h.paths.ready $h.paths.live $h.paths.metrics "/health" "/metrics" -}}
{{- /* Path segments, not characters: /metrics-dashboard is not /metrics. */ -}}
{{- if and $guarded (or (eq (trimSuffix "/" $.path) $guarded) (hasPrefix (printf "%s/" $guarded) $.path)) -}}
{{- fail (printf "PI-10: %s %q would route to %q; health and metrics endpoints are never exposed" $.key $.path $guarded) -}}
{{- end -}}
{{- end -}}
{{- end -}}
