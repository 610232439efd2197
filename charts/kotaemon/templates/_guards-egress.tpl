{{/* Egress: a check on a host the NetworkPolicy cannot reach is refused rather than never Ready. */}}
{{- define "kotaemon.guards.egress" -}}
{{- $v := .Values -}}
{{- $h := $v.health -}}
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
