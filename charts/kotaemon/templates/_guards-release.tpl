{{/*
Guards beyond the probe rules: configurations the API server would accept but that
cannot work (a pod that never becomes Ready, an object that silently does nothing, a
selector that breaks). Each message names the key, what was given and what to set.
*/}}
{{- define "kotaemon.releaseGuards" -}}
{{- $v := .Values -}}
{{- $mode := include "kotaemon.mode" . | fromYaml -}}
{{- $h := $v.health -}}

{{- /* The metrics path is its own endpoint: the agent refuses it on a probe path. */ -}}
{{- if $h.paths.metrics -}}
{{- range $k := list "live" "ready" -}}
{{- if eq (toString $h.paths.metrics) (toString (index $h.paths $k)) -}}
{{- fail (printf "health.paths.metrics %q is also health.paths.%s: give the metrics endpoint a path of its own (e.g. /metrics)" $h.paths.metrics $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* The chart's selector labels must stay the chart's. */ -}}
{{- $selector := include "kotaemon.selectorLabels" . | fromYaml -}}
{{- range $k, $_ := $v.podLabels -}}
{{- if hasKey $selector $k -}}
{{- fail (printf "podLabels.%s would change a label the Deployment selects on (%s: %s): remove it, or set nameOverride to change the name" $k $k (index $selector $k)) -}}
{{- end -}}
{{- end -}}

{{- /* PI-13: the strategy override keeps one writer per volume and full capacity. */ -}}
{{- $strategy := include "kotaemon.strategy" . | fromYaml -}}
{{- $replicas := int $v.replicaCount -}}
{{- if and $v.strategy $v.strategy.rollingUpdate (ne $strategy.type "RollingUpdate") -}}
{{- fail (printf "strategy.rollingUpdate is set but the strategy is %s: set strategy.type RollingUpdate, or drop strategy.rollingUpdate" $strategy.type) -}}
{{- end -}}
{{- /* A surge pod beside the one replica: both on the data volume at once. */ -}}
{{- if and (le $replicas 1) (eq $strategy.type "RollingUpdate") $v.persistence.enabled (not (include "kotaemon.isZero" $strategy.rollingUpdate.maxSurge)) -}}
{{- if include "kotaemon.singleAttachVolume" . -}}
{{- fail (printf "PI-13: strategy.type RollingUpdate with one replica on a single-writer volume (persistence.accessMode %s%s) deadlocks the rollout: the new pod waits for the claim the old pod holds, and the old pod stays until the new one is Ready. Keep Recreate (leave strategy empty), or set strategy.rollingUpdate.maxSurge 0 (the old pod goes first)" $v.persistence.accessMode (ternary (printf ", existingClaim %s" $v.persistence.existingClaim) "" (ne $v.persistence.existingClaim ""))) -}}
{{- end -}}
{{- if not $v.kotaemon.externalStores -}}
{{- fail "PI-13: strategy.type RollingUpdate with one replica and local stores on the data volume runs two Kotaemon processes on the same SQLite, Chroma and LanceDB files during every rollout. Keep Recreate (leave strategy empty), set strategy.rollingUpdate.maxSurge 0 (the old pod goes first), or move every store outside and set kotaemon.externalStores=true" -}}
{{- end -}}
{{- end -}}
{{- if eq $strategy.type "RollingUpdate" -}}
{{- $ru := $strategy.rollingUpdate -}}
{{- if and (include "kotaemon.isZero" $ru.maxSurge) (include "kotaemon.isZero" $ru.maxUnavailable) -}}
{{- fail "strategy.rollingUpdate.maxSurge and maxUnavailable are both 0: the rollout could never replace a pod. Raise maxSurge (e.g. 1)" -}}
{{- end -}}
{{- end -}}
{{- if gt $replicas 1 -}}
{{- if ne $strategy.type "RollingUpdate" -}}
{{- fail (printf "PI-13: strategy.type %s with replicaCount %d takes every replica down at once: use RollingUpdate (the default for more than one replica)" $strategy.type $replicas) -}}
{{- end -}}
{{- if not (include "kotaemon.isZero" $strategy.rollingUpdate.maxUnavailable) -}}
{{- fail (printf "PI-13: strategy.rollingUpdate.maxUnavailable %v with replicaCount %d removes serving pods before their replacements are Ready (Kotaemon starts in minutes): keep it 0 and raise maxSurge to roll faster" $strategy.rollingUpdate.maxUnavailable $replicas) -}}
{{- end -}}
{{- end -}}

{{- /* A disruption budget that no eviction can satisfy blocks every node drain. */ -}}
{{- $pdb := $v.pdb -}}
{{- if and $pdb.enabled (gt $replicas 1) -}}
{{- $min := $pdb.minAvailable -}}
{{- $max := $pdb.maxUnavailable -}}
{{- if and (not (kindIs "invalid" $min)) (not (kindIs "invalid" $max)) -}}
{{- fail "pdb.minAvailable and pdb.maxUnavailable are both set: the API takes one; set the other to null" -}}
{{- end -}}
{{- if and (kindIs "invalid" $min) (kindIs "invalid" $max) -}}
{{- fail "pdb.minAvailable and pdb.maxUnavailable are both null: set one, or pdb.enabled=false" -}}
{{- end -}}
{{- /* Kubernetes rounds a percentage up: minAvailable p% of r pods is ceil(p x r / 100). */ -}}
{{- $blocks := false -}}
{{- if not (kindIs "invalid" $min) -}}
{{- if kindIs "string" $min -}}
{{- if gt (mul (int (trimSuffix "%" $min)) $replicas) (mul 100 (sub $replicas 1)) }}{{ $blocks = true }}{{ end -}}
{{- else if ge (int $min) $replicas }}{{ $blocks = true }}{{ end -}}
{{- end -}}
{{- if and (not (kindIs "invalid" $max)) (include "kotaemon.isZero" $max) }}{{ $blocks = true }}{{ end -}}
{{- if $blocks -}}
{{- fail (printf "pdb (minAvailable %v, maxUnavailable %v) with replicaCount %d allows no eviction at all: node drains would hang. Allow at least one pod to go (e.g. minAvailable %d)" $min $max $replicas (sub $replicas 1)) -}}
{{- end -}}
{{- end -}}

{{- /* The chart's own names in the pod stay the chart's. */ -}}
{{- $volumes := list "data" "tmp" "flowsettings" "health-bin" "health-config" "health-auth" -}}
{{- range $i, $vol := $v.extraVolumes -}}
{{- if has $vol.name $volumes -}}
{{- fail (printf "extraVolumes[%d].name %q is a volume of the chart (%s): choose another name" $i $vol.name (join ", " $volumes)) -}}
{{- end -}}
{{- end -}}
{{- $containers := list "kotaemon" "health-agent" "install-health-agent" "ollama" -}}
{{- range $key := list "extraInitContainers" "extraContainers" -}}
{{- range $i, $c := index $v $key -}}
{{- if has $c.name $containers -}}
{{- fail (printf "%s[%d].name %q is a container of the chart (%s): choose another name" $key $i $c.name (join ", " $containers)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $i, $m := $v.kotaemon.extraVolumeMounts -}}
{{- if has $m.name $volumes -}}
{{- fail (printf "kotaemon.extraVolumeMounts[%d].name %q mounts a volume of the chart again (%s): mount a volume of extraVolumes" $i $m.name (join ", " $volumes)) -}}
{{- end -}}
{{- end -}}
{{- if and $v.kotaemon.flowsettings $v.kotaemon.flowsettingsConfigMap -}}
{{- fail (printf "kotaemon.flowsettings and kotaemon.flowsettingsConfigMap (%q) are both set: keep one source of flowsettings.py" $v.kotaemon.flowsettingsConfigMap) -}}
{{- end -}}

{{- /* Protected metrics: the scraper needs credentials the agent accepts. */ -}}
{{- $creds := $v.metrics.serviceMonitor.credentials | default dict -}}
{{- if and $v.metrics.serviceMonitor.enabled $h.auth.protectMetrics (eq $h.auth.mode "jwt") (not (and $creds.name $creds.key)) -}}
{{- fail "metrics.serviceMonitor.credentials (name and key) are required with health.auth.protectMetrics in jwt mode: Prometheus must send a JWT the agent accepts (mint one for it and store it in a Secret), or every scrape gets 401" -}}
{{- end -}}
{{- if and (or $creds.name $creds.key) (not (and $creds.name $creds.key)) -}}
{{- fail (printf "metrics.serviceMonitor.credentials needs both name and key (got name %q, key %q)" ($creds.name | default "") ($creds.key | default "")) -}}
{{- end -}}

{{- /* GitOps renders cannot keep a generated token. */ -}}
{{- if and $h.auth.requireExistingSecret (eq $h.auth.mode "token") (not $h.auth.existingSecret) -}}
{{- fail "health.auth.requireExistingSecret is true and health.auth.mode is token, but health.auth.existingSecret is empty: create a Secret with the token (key health.auth.tokenKey) and name it there; a token generated at render time would change on every render" -}}
{{- end -}}

{{- /* Service fields the API accepts only for some types. */ -}}
{{- $svc := $v.service -}}
{{- if and (not (kindIs "invalid" $svc.nodePort)) (eq $svc.type "ClusterIP") -}}
{{- fail (printf "service.nodePort %v needs service.type NodePort or LoadBalancer (it is ClusterIP)" $svc.nodePort) -}}
{{- end -}}
{{- if and $svc.externalTrafficPolicy (eq $svc.type "ClusterIP") -}}
{{- fail (printf "service.externalTrafficPolicy %s needs service.type NodePort or LoadBalancer (it is ClusterIP)" $svc.externalTrafficPolicy) -}}
{{- end -}}
{{- range $k := list "loadBalancerIP" "loadBalancerSourceRanges" -}}
{{- if and (index $svc $k) (ne $svc.type "LoadBalancer") -}}
{{- fail (printf "service.%s is set but service.type is %s: it applies to LoadBalancer only" $k $svc.type) -}}
{{- end -}}
{{- end -}}

{{- /* A route with no gateway to attach to routes nothing. */ -}}
{{- if and $v.httpRoute.enabled (not $v.httpRoute.parentRefs) -}}
{{- fail "httpRoute.enabled is true but httpRoute.parentRefs is empty: name the Gateway it attaches to (httpRoute.parentRefs[0].name, and its namespace)" -}}
{{- end -}}
{{- if and $v.httpRoute.enabled (not $v.httpRoute.paths) -}}
{{- fail "httpRoute.enabled is true but httpRoute.paths is empty: add a path (e.g. / with type PathPrefix)" -}}
{{- end -}}

{{- /* An enabled Ingress without a host routes nothing. */ -}}
{{- if and $v.ingress.enabled (not $v.ingress.hosts) -}}
{{- fail "ingress.enabled is true but ingress.hosts is empty: add a host (ingress.hosts[0].host and its paths) or disable the Ingress" -}}
{{- end -}}

{{- /* Monitoring objects need the metrics Service of the agent. */ -}}
{{- range $kind := list "serviceMonitor" "prometheusRule" -}}
{{- if (index $v.metrics $kind).enabled -}}
{{- if not $v.metrics.enabled -}}
{{- fail (printf "metrics.%s.enabled needs metrics.enabled=true (the metrics Service it scrapes or alerts on)" $kind) -}}
{{- end -}}
{{- if not $mode.agent -}}
{{- fail (printf "metrics.%s.enabled needs the health agent (health.mode wrapper or sidecar); with health.mode none there are no agent metrics" $kind) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /*
With egress restricted to DNS and in-cluster pods (no extra rules, no address blocks
among the dependency peers), a check can only reach a Service by its cluster name (a
short name or one under .svc): anything else is refused rather than never Ready.
*/ -}}
{{- $blocks := false -}}
{{- range $v.networkPolicy.egress.dependencyPeers }}{{ if .ipBlock }}{{ $blocks = true }}{{ end }}{{ end -}}
{{- if and $v.networkPolicy.enabled $v.networkPolicy.egress.enabled (not $v.networkPolicy.egress.extraRules) (not $blocks) -}}
{{- range $i, $c := $h.checks -}}
{{- $host := "" -}}
{{- if $c.url }}{{ $host = (urlParse $c.url).hostname }}{{ else if $c.address }}{{ $host = first (splitList ":" $c.address) }}{{ end -}}
{{- if and $host (contains "." $host) (not (regexMatch "^[0-9.]+$" $host)) (not (regexMatch "\\.svc(\\.|$)" $host)) -}}
{{- fail (printf "health.checks[%d] checks %q, not a Service's cluster name, but networkPolicy.egress admits only DNS and in-cluster pods: name the Service (<name>.<namespace>.svc), add a rule for the host to networkPolicy.egress.extraRules, or disable networkPolicy.egress" $i $host) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
