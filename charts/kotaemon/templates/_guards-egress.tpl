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
{{- $targets := list -}}
{{- range $i, $c := $h.checks }}{{ $targets = append $targets (merge (dict "field" (printf "health.checks[%d]" $i)) (pick $c "url" "address")) }}{{ end -}}
{{- $targets = concat $targets (include "kotaemon.providerEndpoints" . | fromYamlArray) -}}
{{- range $c := $targets -}}
{{- $host := "" -}}
{{- if $c.url }}{{ $host = (urlParse $c.url).hostname }}{{ else if $c.address }}{{ $host = first (splitList ":" $c.address) }}{{ end -}}
{{- /* publicHTTPS opens 443 to hosts outside private ranges. */ -}}
{{- $https := and $v.networkPolicy.egress.publicHTTPS.enabled (eq (include "kotaemon.checkPort" $c) "443") -}}
{{- if and $host (contains "." $host) (not (regexMatch "^[0-9.]+$" $host)) (not (regexMatch "\\.svc(\\.|$)" $host)) (not $https) -}}
{{- fail (printf "%s reaches %q, not a Service's cluster name, but networkPolicy.egress admits only DNS and in-cluster pods: name the Service (<name>.<namespace>.svc), enable networkPolicy.egress.publicHTTPS for an https host outside the cluster, add a rule for the host to networkPolicy.egress.extraRules, or disable networkPolicy.egress" $c.field $host) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /*
Kotaemon calls out by itself (docs/kotaemon.md, "Outbound calls"): without tiktoken's
encoding, fetched at start when it is not cached, it does not start at all. Restricted
egress must either let it out or say it needs nothing.
*/ -}}
{{- $e := $v.networkPolicy.egress -}}
{{- if and $v.networkPolicy.enabled $e.enabled (not $e.publicHTTPS.enabled) (not $e.withoutInternet) -}}
{{- fail "networkPolicy.egress is enabled without a way out for Kotaemon's own calls: at start it fetches tiktoken's encoding from openaipublic.blob.core.windows.net (it does not start without it) and its changelog from api.github.com (docs/kotaemon.md, \"Outbound calls\"). Set networkPolicy.egress.publicHTTPS.enabled (TCP 443 outside private ranges), or networkPolicy.egress.withoutInternet when the encoding is already in TIKTOKEN_CACHE_DIR or a proxy carries the calls" -}}
{{- end -}}
{{- end -}}
