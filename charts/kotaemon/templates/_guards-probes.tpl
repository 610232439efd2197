{{/*
Probe guards (PI-01, PI-02, PI-03, PI-05, PI-06, PI-07, and PI-14 on readiness), on the
resolved probes. Call with (dict "root" . "probes" <effectiveProbes> "mode" <mode>).
*/}}
{{- define "kotaemon.guards.presence" -}}
{{- $v := .root.Values -}}
{{- $probes := .probes -}}
{{- /* PI-01: outside diagnostic mode the pod always has readiness and liveness. */ -}}
{{- if not $v.diagnosticMode.enabled -}}
{{- range $kind := list "readiness" "liveness" -}}
{{- if not (index $probes $kind) -}}
{{- fail (printf "PI-01: probes.%s.enabled is false: the Kotaemon pod needs a %s probe (use diagnosticMode.enabled to debug without probes)" $kind $kind) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- end -}}

{{- define "kotaemon.guards.timing" -}}
{{- $v := .root.Values -}}
{{- $probes := .probes -}}
{{- $r := $probes.readiness -}}
{{- $l := $probes.liveness -}}
{{- $s := $probes.startup -}}
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

{{- end -}}

{{- define "kotaemon.guards.handlers" -}}
{{- $v := .root.Values -}}
{{- $probes := .probes -}}
{{- $r := $probes.readiness -}}
{{- $l := $probes.liveness -}}
{{- $s := $probes.startup -}}
{{- $ports := dict "health" (int $v.health.port) "http" (int $v.kotaemon.port) -}}
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

{{- end -}}

{{- define "kotaemon.guards.windows" -}}
{{- $v := .root.Values -}}
{{- $probes := .probes -}}
{{- $r := $probes.readiness -}}
{{- $l := $probes.liveness -}}
{{- $s := $probes.startup -}}
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
{{- $cover := int (include "kotaemon.startupCoverPermille" .root) -}}
{{- $factor := divf $cover 1000.0 | toString -}}
{{- $need := div (add (mul $expected $cover) 999) 1000 -}}
{{- if $s -}}
{{- $budget := add (int $s.initialDelaySeconds) (mul (int $s.periodSeconds) (int $s.failureThreshold)) -}}
{{- if lt (mul $budget 1000) (mul $expected $cover) -}}
{{- $threshold := div (add (sub $need (int $s.initialDelaySeconds)) (sub (int $s.periodSeconds) 1)) (int $s.periodSeconds) -}}
{{- fail (printf "PI-05: startup budget probes.startup.initialDelaySeconds + periodSeconds x failureThreshold = %d + %d x %d = %ds must cover probes.startup.expectedSeconds x %s = %d x %s = %ds: set probes.startup.failureThreshold to at least %d, or leave it out and the chart derives it from expectedSeconds and safetyFactor" (int $s.initialDelaySeconds) (int $s.periodSeconds) (int $s.failureThreshold) $budget $factor $expected $factor $need $threshold) -}}
{{- end -}}
{{- else if $l -}}
{{- if lt (mul (int $l.initialDelaySeconds) 1000) (mul $expected $cover) -}}
{{- fail (printf "PI-05: with probes.startup disabled, probes.liveness.initialDelaySeconds (%d) must cover probes.startup.expectedSeconds x %s = %d x %s = %ds" (int $l.initialDelaySeconds) $factor $expected $factor $need) -}}
{{- end -}}
{{- if and $r (le (int $l.initialDelaySeconds) (int $r.initialDelaySeconds)) -}}
{{- fail (printf "PI-05: with probes.startup disabled, probes.liveness.initialDelaySeconds (%d) must be > probes.readiness.initialDelaySeconds (%d)" (int $l.initialDelaySeconds) (int $r.initialDelaySeconds)) -}}
{{- end -}}
{{- end -}}

{{- end -}}
