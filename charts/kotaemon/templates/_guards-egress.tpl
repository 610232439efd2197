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
{{- $host := include "kotaemon.checkHost" $c -}}
{{- /* publicHTTPS opens 443 to hosts outside private ranges. */ -}}
{{- $https := and $v.networkPolicy.egress.publicHTTPS.enabled (eq (include "kotaemon.checkPort" $c) "443") -}}
{{- if and $host (contains "." $host) (not (include "kotaemon.isIP" $host)) (not (regexMatch "\\.svc(\\.|$)" $host)) (not $https) -}}
{{- fail (printf "%s reaches %q, not a Service's cluster name, but networkPolicy.egress admits only DNS and in-cluster pods: name the Service (<name>.<namespace>.svc), enable networkPolicy.egress.publicHTTPS for an https host outside the cluster, add a rule for the host to networkPolicy.egress.extraRules, or disable networkPolicy.egress" $c.field $host) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /*
An address is reached through an ipBlock, never a pod or namespace selector (those match
pods only): a check or provider on an IP literal needs a rule that opens its port to a
block holding that address. Loopback never leaves the pod.
*/ -}}
{{- if and $v.networkPolicy.enabled $v.networkPolicy.egress.enabled -}}
{{- $rules := include "kotaemon.egressRules" . | fromYamlArray -}}
{{- $targets := list -}}
{{- range $i, $c := $h.checks }}{{ $targets = append $targets (merge (dict "field" (printf "health.checks[%d]" $i)) (pick $c "url" "address")) }}{{ end -}}
{{- $targets = concat $targets (include "kotaemon.providerEndpoints" . | fromYamlArray) -}}
{{- range $c := $targets -}}
{{- $ip := include "kotaemon.checkHost" $c -}}
{{- if and (include "kotaemon.isIP" $ip) (not (regexMatch "^(127\\.|::1$|0*:(0*:)*0*1$)" $ip)) -}}
{{- $port := include "kotaemon.checkPort" $c -}}
{{- $open := false -}}
{{- range $r := $rules -}}
{{- $portOpen := not $r.ports -}}
{{- range $p := $r.ports | default list -}}
{{- if and (eq (toString $p.port) $port) (has ($p.protocol | default "TCP") (list "TCP")) }}{{ $portOpen = true }}{{ end -}}
{{- end -}}
{{- $peerHolds := not $r.to -}}
{{- range $peer := $r.to | default list -}}
{{- if and $peer.ipBlock (include "kotaemon.ipBlockHolds" (dict "block" $peer.ipBlock "ip" $ip)) }}{{ $peerHolds = true }}{{ end -}}
{{- end -}}
{{- if and $portOpen $peerHolds }}{{ $open = true }}{{ end -}}
{{- end -}}
{{- if not $open -}}
{{- fail (printf "%s reaches the address %s on port %s, but no egress rule opens that port to an ipBlock holding it (pod and namespace selectors match pods, not addresses): add to networkPolicy.egress.extraRules a rule with to: [{ipBlock: {cidr: %s}}] and that port, or, for a Service's cluster IP, name the Service (<name>.<namespace>.svc)" $c.field $ip $port (ternary (printf "%s/128" $ip) (printf "%s/32" $ip) (contains ":" $ip))) -}}
{{- end -}}
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

{{/*
The egress rules of the Kotaemon pods' NetworkPolicy, as a YAML list: DNS, the checks'
and providers' ports to the dependency peers, 443 outside private ranges (publicHTTPS),
then the user's rules. The policy renders them and the egress guard reads them, so what
the guard admits is what the policy opens.
*/}}
{{- define "kotaemon.egressRules" -}}
{{- $np := .Values.networkPolicy -}}
- to:
    {{- toYaml $np.egress.dnsPeers | nindent 4 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- $ports := list }}
{{- range concat (include "kotaemon.checks" . | fromYamlArray) (include "kotaemon.providerEndpoints" . | fromYamlArray) }}
{{- with include "kotaemon.checkPort" . | int }}{{ $ports = append $ports . }}{{ end }}
{{- end }}
{{- with (uniq $ports) }}
# The dependency checks' and the model providers' endpoints stay reachable.
- to:
    {{- toYaml $np.egress.dependencyPeers | nindent 4 }}
  ports:
    {{- range . }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
{{- end }}
{{- with $np.egress.publicHTTPS }}{{ if .enabled }}
# Kotaemon's own calls out (tiktoken, GitHub, a hosted LLM): 443 outside private ranges.
- to:
    - ipBlock:
        cidr: 0.0.0.0/0
        {{- with .except }}
        except:
          {{- toYaml . | nindent 10 }}
        {{- end }}
  ports:
    - port: 443
      protocol: TCP
{{- end }}{{ end }}
{{- with $np.egress.extraRules }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* "true" when the text is an IPv4 or IPv6 literal (no brackets). */}}
{{- define "kotaemon.isIP" -}}
{{- if or (regexMatch "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$" .) (and (contains ":" .) (regexMatch "^[0-9A-Fa-f:.]+$" .)) }}true{{ end -}}
{{- end -}}

{{/*
"true" when an ipBlock (dict "block" {cidr, except} "ip" literal) holds the address: inside
its cidr and outside every except range. Addresses are compared as bit strings.
*/}}
{{- define "kotaemon.ipBlockHolds" -}}
{{- $ip := include "kotaemon.ipBits" .ip -}}
{{- if and $ip (include "kotaemon.cidrHolds" (dict "cidr" .block.cidr "bits" $ip)) -}}
{{- $excluded := false -}}
{{- range $e := .block.except | default list }}{{ if include "kotaemon.cidrHolds" (dict "cidr" $e "bits" $ip) }}{{ $excluded = true }}{{ end }}{{ end -}}
{{- if not $excluded }}true{{ end -}}
{{- end -}}
{{- end -}}

{{/* "true" when cidr (a/n) holds the address given as a bit string of the same family. */}}
{{- define "kotaemon.cidrHolds" -}}
{{- $parts := splitList "/" .cidr -}}
{{- $net := include "kotaemon.ipBits" (first $parts) -}}
{{- if and $net (eq (len $net) (len .bits)) (eq (len $parts) 2) -}}
{{- $n := atoi (last $parts) -}}
{{- if eq (substr 0 $n $net) (substr 0 $n .bits) }}true{{ end -}}
{{- end -}}
{{- end -}}

{{/*
An IPv4 (32) or IPv6 (128) literal as a string of bits, "" when it is neither. IPv6's
"::" is expanded; an IPv4 tail inside IPv6 is not read (it gives "").
*/}}
{{- define "kotaemon.ipBits" -}}
{{- $ip := lower . -}}
{{- $out := "" -}}
{{- if regexMatch "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$" $ip -}}
{{- range $o := splitList "." $ip }}{{ $out = printf "%s%08b" $out (atoi $o) }}{{ end -}}
{{- else if and (contains ":" $ip) (regexMatch "^[0-9a-f:]+$" $ip) -}}
{{- $halves := splitList "::" $ip -}}
{{- $left := ternary list (splitList ":" (first $halves)) (eq (first $halves) "") -}}
{{- $right := list -}}
{{- if and (eq (len $halves) 2) (ne (last $halves) "") }}{{ $right = splitList ":" (last $halves) }}{{ end -}}
{{- $groups := $left -}}
{{- if eq (len $halves) 2 -}}
{{- range until (sub 8 (add (len $left) (len $right)) | int) }}{{ $groups = append $groups "0" }}{{ end -}}
{{- end -}}
{{- $groups = concat $groups $right -}}
{{- if eq (len $groups) 8 -}}
{{- $hex := dict "0" "0000" "1" "0001" "2" "0010" "3" "0011" "4" "0100" "5" "0101" "6" "0110" "7" "0111" "8" "1000" "9" "1001" "a" "1010" "b" "1011" "c" "1100" "d" "1101" "e" "1110" "f" "1111" -}}
{{- range $g := $groups -}}
{{- range $d := splitList "" (printf "%4s" $g | replace " " "0") }}{{ $out = printf "%s%s" $out (index $hex $d) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $out -}}
{{- end -}}
