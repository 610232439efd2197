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
