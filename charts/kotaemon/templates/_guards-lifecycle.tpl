{{/*
Pod lifecycle arithmetic: what a stop, a start and the image's own user leave possible.
PI-14 (a preStop's share of the grace period), PI-16 (a normal start fits the
Deployment's progress deadline), PI-17 (the image's root user), PI-18 (the agent can read
its mounted Secret). The numbers each rule adds up are in its message.
*/}}
{{- define "kotaemon.guards.lifecycle" -}}
{{- $v := .root.Values -}}
{{- $mode := .mode -}}
{{- $preStop := ($v.kotaemon.lifecycle | default dict).preStop -}}
{{- $grace := int $v.terminationGracePeriodSeconds -}}

{{- /* PI-14: the kubelet runs a preStop hook before it sends SIGTERM, inside the same
grace period. In sidecar mode the chart's preStop is what stops Kotaemon cleanly
(Kotaemon dies on SIGTERM), so a hook of the user's would replace the clean stop. */ -}}
{{- if $preStop -}}
{{- if eq $mode.agent "serve" -}}
{{- fail "PI-14: kotaemon.lifecycle.preStop is refused in sidecar mode: the chart's preStop hook is what stops Kotaemon cleanly (Kotaemon dies on SIGTERM, cutting answers in flight), and a hook of yours would replace it. To wait longer before the stop, raise health.shutdown.drainDelaySeconds" -}}
{{- end -}}
{{- $sleep := int (include "kotaemon.preStopSleepSeconds" $preStop) -}}
{{- $drain := 0 -}}
{{- $what := "" -}}
{{- if $mode.agent -}}
{{- $sh := $v.health.shutdown -}}
{{- $drain = add (int $sh.drainDelaySeconds) (int $sh.answersTimeoutSeconds) (int $sh.stopTimeoutSeconds) -}}
{{- $what = printf " + the agent's drain time health.shutdown.drainDelaySeconds + answersTimeoutSeconds + stopTimeoutSeconds (%d)" $drain -}}
{{- end -}}
{{- if le $grace (add $sleep $drain) -}}
{{- fail (printf "PI-14: terminationGracePeriodSeconds (%d) must exceed the preStop hook's sleep kotaemon.lifecycle.preStop (%ds)%s = %ds: the hook runs before SIGTERM, inside the grace period, so the stop would end in SIGKILL" $grace $sleep $what (add $sleep $drain)) -}}
{{- end -}}
{{- end -}}

{{- /* PI-16: a start the chart promises to cover (the whole startup budget), then the
slowest critical check's first pass, then readiness's passes: the Deployment must not
call that rollout failed first. */ -}}
{{- $deadline := int $v.progressDeadlineSeconds -}}
{{- $ready := include "kotaemon.worstSecondsToReady" . | fromYaml -}}
{{- if and $ready (ge (int $ready.seconds) $deadline) -}}
{{- fail (printf "PI-16: a normal start may take %ds to Ready (%s), not below progressDeadlineSeconds (%d): the rollout would be reported failed (helm --wait, kubectl rollout status) while the pod is still starting as promised. Raise progressDeadlineSeconds above %d, or shorten what the sum is made of" (int $ready.seconds) $ready.reason $deadline (int $ready.seconds)) -}}
{{- end -}}

{{- /* PI-17: the Kotaemon image runs as root (docs/kotaemon.md); with runAsNonRoot and
no numeric user the kubelet refuses to start it (CreateContainerConfigError). */ -}}
{{- $app := include "kotaemon.effectiveUser" (dict "container" $v.kotaemon.securityContext "pod" $v.podSecurityContext) | fromYaml -}}
{{- if and $app.nonRoot (eq (int $app.user) 0) -}}
{{- fail (printf "PI-17: runAsNonRoot is set (%s) but the Kotaemon image runs as root (docs/kotaemon.md) and no non-root runAsUser is given: the kubelet refuses to start the container. Set kotaemon.securityContext.runAsUser to the non-root user of an image derived for it, or leave runAsNonRoot off" $app.nonRootFrom) -}}
{{- end -}}

{{- /* PI-18: the auth Secret is mounted 0440, owned by root and by the pod's fsGroup
when there is one: a non-root agent reads it only through that group. */ -}}
{{- if and $mode.agent (ne $v.health.auth.mode "none") -}}
{{- $agent := $app -}}
{{- $where := "kotaemon.securityContext" -}}
{{- if eq $mode.agent "serve" -}}
{{- $agent = include "kotaemon.effectiveUser" (dict "container" $v.health.securityContext "pod" $v.podSecurityContext "imageUser" 65532) | fromYaml -}}
{{- $where = "health.securityContext" -}}
{{- end -}}
{{- $psc := $v.podSecurityContext | default dict -}}
{{- $rootGroup := le (int $agent.group) 0 -}}
{{- range $g := $psc.supplementalGroups | default list }}{{ if eq (int $g) 0 }}{{ $rootGroup = true }}{{ end }}{{ end -}}
{{- if and (ne (int $agent.user) 0) (kindIs "invalid" $psc.fsGroup) (not $rootGroup) -}}
{{- fail (printf "PI-18: the agent runs as user %d (%s) and reads the auth Secret (health.auth.mode %s), mounted read-only for its owner root and its group; without podSecurityContext.fsGroup that group is root too, so the agent cannot read it and never starts. Set podSecurityContext.fsGroup (the chart's default is 1000)" (int $agent.user) $where $v.health.auth.mode) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Seconds a preStop hook sleeps, where the chart can read it: a sleep action, or an exec
of sleep N (directly or through sh -c). Any other hook counts 0: its time is unknown.
*/}}
{{- define "kotaemon.preStopSleepSeconds" -}}
{{- $seconds := 0 -}}
{{- if .sleep -}}
{{- $seconds = int .sleep.seconds -}}
{{- else if and .exec .exec.command -}}
{{- $argv := .exec.command -}}
{{- $text := "" -}}
{{- if and (eq (len $argv) 2) (eq (base (first $argv)) "sleep") -}}
{{- $text = printf "sleep %s" (index $argv 1) -}}
{{- else if and (eq (len $argv) 3) (has (base (first $argv)) (list "sh" "bash")) (eq (index $argv 1) "-c") -}}
{{- $text = index $argv 2 -}}
{{- end -}}
{{- $m := regexFindAll "^\\s*sleep\\s+([0-9]+)s?\\s*$" $text 1 -}}
{{- if $m -}}
{{- $seconds = int (regexReplaceAll "^\\s*sleep\\s+([0-9]+)s?\\s*$" (first $m) "${1}") -}}
{{- end -}}
{{- end -}}
{{- $seconds -}}
{{- end -}}

{{/*
A container's user as the kubelet resolves it: the container's security context, else
the pod's, else the image's (root unless imageUser says otherwise). YAML: user, group
(-1 where the image's /etc/passwd decides), nonRoot, nonRootFrom (the key that set
runAsNonRoot).
*/}}
{{- define "kotaemon.effectiveUser" -}}
{{- $c := .container | default dict -}}
{{- $p := .pod | default dict -}}
{{- $user := int (.imageUser | default 0) -}}
{{- $group := $user -}}
{{- /* runAsUser without runAsGroup: the runtime looks the group up in the image's
/etc/passwd, and a user it does not find there gets group 0 (-1: not known here). */ -}}
{{- if not (kindIs "invalid" $p.runAsUser) }}{{ $user = int $p.runAsUser }}{{ $group = -1 }}{{ end -}}
{{- if not (kindIs "invalid" $c.runAsUser) }}{{ $user = int $c.runAsUser }}{{ $group = -1 }}{{ end -}}
{{- if not (kindIs "invalid" $p.runAsGroup) }}{{ $group = int $p.runAsGroup }}{{ end -}}
{{- if not (kindIs "invalid" $c.runAsGroup) }}{{ $group = int $c.runAsGroup }}{{ end -}}
{{- $nonRoot := false -}}
{{- $from := "" -}}
{{- if not (kindIs "invalid" $p.runAsNonRoot) }}{{ $nonRoot = $p.runAsNonRoot }}{{ $from = "podSecurityContext.runAsNonRoot" }}{{ end -}}
{{- if not (kindIs "invalid" $c.runAsNonRoot) }}{{ $nonRoot = $c.runAsNonRoot }}{{ $from = "the container's securityContext.runAsNonRoot" }}{{ end -}}
user: {{ $user }}
group: {{ $group }}
nonRoot: {{ $nonRoot }}
nonRootFrom: {{ $from | quote }}
{{- end -}}

{{/*
The longest a start the chart promises to cover may take to Ready, in whole seconds, and
how it is made up (YAML: seconds, reason); empty without a readiness probe. The start ends
by the startup budget (or, startup off, liveness's initial delay); each critical check
is up after its first run's timeout and (successThreshold - 1) intervals with the agent's
10% jitter, counted from the container's start; then readiness passes successThreshold
times, each a period apart, the last waiting its timeout.
*/}}
{{- define "kotaemon.worstSecondsToReady" -}}
{{- $probes := .probes -}}
{{- $r := $probes.readiness -}}
{{- if $r -}}
{{- $s := $probes.startup -}}
{{- $start := int $r.initialDelaySeconds -}}
{{- $reason := printf "probes.readiness.initialDelaySeconds %d" $start -}}
{{- if $s -}}
{{- $budget := add (int $s.initialDelaySeconds) (mul (int $s.periodSeconds) (int $s.failureThreshold)) -}}
{{- if gt $budget $start }}{{ $start = $budget }}{{ $reason = printf "the startup budget %ds" $budget }}{{ end -}}
{{- else if $probes.liveness -}}
{{- $delay := int $probes.liveness.initialDelaySeconds -}}
{{- if gt $delay $start }}{{ $start = $delay }}{{ $reason = printf "probes.liveness.initialDelaySeconds %d" $delay }}{{ end -}}
{{- end -}}
{{- if (.mode).agent -}}
{{- $table := .root.Files.Get "files/check-types.yaml" | fromYaml -}}
{{- range $c := include "kotaemon.checks" .root | fromYamlArray -}}
{{- if or (kindIs "invalid" $c.critical) $c.critical -}}
{{- $passes := int (ternary $c.successThreshold $table.defaults.successThreshold (hasKey $c "successThreshold")) -}}
{{- $up := add (div (add (mul (sub $passes 1) (int $c.intervalSeconds) 11) 9) 10) (int $c.timeoutSeconds) -}}
{{- if gt $up $start }}{{ $start = $up }}{{ $reason = printf "check %s's first pass %ds" $c.name $up }}{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $pass := add (mul (int $r.periodSeconds) (int $r.successThreshold)) (int $r.timeoutSeconds) -}}
seconds: {{ add $start $pass }}
reason: {{ printf "%s + readiness's passes probes.readiness.periodSeconds x successThreshold + timeoutSeconds = %ds" $reason $pass | quote }}
{{- end -}}
{{- end -}}
