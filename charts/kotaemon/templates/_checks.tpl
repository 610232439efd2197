{{/*
Dependency checks: what the agent's loader would refuse at start is refused here first.
Which keys a type reads comes from files/check-types.yaml, the agent's own table as data.
*/}}
{{- define "kotaemon.checkGuards" -}}
{{- $table := .Files.Get "files/check-types.yaml" | fromYaml -}}
{{- $mode := include "kotaemon.mode" . | fromYaml -}}
{{- $readiness := (include "kotaemon.effectiveProbes" . | fromYaml).readiness -}}
{{- $seen := dict -}}
{{- range $i, $c := .Values.health.checks -}}
{{- $f := printf "health.checks[%d]" $i -}}
{{- if hasKey $seen $c.name -}}
{{- fail (printf "%s.name %q is used twice" $f $c.name) -}}
{{- end -}}
{{- $_ := set $seen $c.name true -}}
{{- if and (eq $c.name (include "kotaemon.bundledOllamaCheckName" $)) (include "kotaemon.bundledOllama" $) -}}
{{- fail (printf "%s.name %q is the check of the bundled Ollama server (image.flavour ollama with kotaemon.ollama.serve): choose another name" $f $c.name) -}}
{{- end -}}
{{- if has $c.name $table.reserved -}}
{{- fail (printf "%s.name %q is reserved for the agent's own component (reserved: %s): choose another name" $f $c.name (join ", " $table.reserved)) -}}
{{- end -}}
{{- include "kotaemon.checkTimeoutFits" (dict "field" $f "check" $c) -}}
{{- $t := index $table.types $c.type -}}
{{- range $k := $table.keys -}}
{{- if and (index $c $k) (not (has $k $t.keys)) -}}
{{- fail (printf "%s.%s is not used by type %s (it reads: %s)" $f $k $c.type (join ", " $t.keys)) -}}
{{- end -}}
{{- end -}}
{{- if and (has "url" $t.keys) (not $c.url) -}}
{{- fail (printf "%s.url is required for type %s" $f $c.type) -}}
{{- end -}}
{{- range $k := $t.required -}}
{{- if not (index $c $k) -}}
{{- fail (printf "%s.%s is required for type %s" $f $k $c.type) -}}
{{- end -}}
{{- end -}}
{{- $headers := dict -}}
{{- range $j, $hd := $c.headers -}}
{{- $canon := lower $hd.name -}}
{{- if hasKey $headers $canon -}}
{{- fail (printf "%s.headers[%d].name %q repeats a header (names are case-insensitive): keep one" $f $j $hd.name) -}}
{{- end -}}
{{- $_ := set $headers $canon true -}}
{{- end -}}
{{- if and (has $c.type (list "disk" "http")) $c.path (not (hasPrefix "/" $c.path)) -}}
{{- fail (printf "%s.path %q must be absolute (start with /)" $f $c.path) -}}
{{- end -}}
{{- /* PI-19: a disk check measures a volume the agent's container mounts; anywhere else
it measures the container's own layer, or a path that does not exist there. */ -}}
{{- if and (eq $c.type "disk") $mode.agent -}}
{{- $mounts := list (include "kotaemon.dataDir" $) -}}
{{- if eq $mode.agent "supervise" -}}
{{- $mounts = append $mounts "/tmp" -}}
{{- range $m := $.Values.kotaemon.extraVolumeMounts }}{{ $mounts = append $mounts $m.mountPath }}{{ end -}}
{{- end -}}
{{- $on := false -}}
{{- range $m := $mounts -}}
{{- if hasPrefix (printf "%s/" (trimSuffix "/" $m)) (printf "%s/" (trimSuffix "/" $c.path)) }}{{ $on = true }}{{ end -}}
{{- end -}}
{{- if not $on -}}
{{- fail (printf "PI-19: %s.path %q is on no volume of the agent's container in %s mode (its volumes: %s); a disk check must look at one of them or below it" $f $c.path $.Values.health.mode (join ", " $mounts)) -}}
{{- end -}}
{{- end -}}
{{- /* One failed run of a critical check must not take the pod out of traffic. */ -}}
{{- $failures := int (ternary $c.failureThreshold $table.defaults.failureThreshold (hasKey $c "failureThreshold")) -}}
{{- if and $readiness $c.critical (lt $failures 2) -}}
{{- $window := mul (int $readiness.periodSeconds) (int $readiness.failureThreshold) -}}
{{- if ge (int $c.intervalSeconds) $window -}}
{{- fail (printf "%s: with failureThreshold 1, one failed run keeps readiness failing for the whole interval (%ds), as long as the readiness window (probes.readiness.periodSeconds x failureThreshold = %ds): a single blip takes the pod out of traffic. Set %s.failureThreshold to 2 or more, or intervalSeconds below %d" $f (int $c.intervalSeconds) $window $f $window) -}}
{{- end -}}
{{- end -}}
{{- if and (eq $c.type "generate") (not $c.provider) -}}
{{- fail (printf "%s.provider (openai or ollama) is required for type generate" $f) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
A check's run must end before the next one is due: the agent refuses a timeout at or
above the interval. Shared by health.checks and the checks derived from providers.
Takes a dict: field (the key's path, for the message), check (timeoutSeconds, intervalSeconds).
*/}}
{{- define "kotaemon.checkTimeoutFits" -}}
{{- if ge (int .check.timeoutSeconds) (int .check.intervalSeconds) -}}
{{- fail (printf "%s.timeoutSeconds (%d) must be below intervalSeconds (%d)" .field (int .check.timeoutSeconds) (int .check.intervalSeconds)) -}}
{{- end -}}
{{- end -}}

{{/*
The TCP port a check connects to: its address's or URL's own, else its scheme's (443 for
https, 80 otherwise); 0 when it names neither. The NetworkPolicy opens these ports and
the egress guard asks which checks leave on 443.
*/}}
{{- define "kotaemon.checkPort" -}}
{{- $hostport := "" -}}
{{- $port := 80 -}}
{{- if .address -}}
{{- $hostport = .address -}}
{{- else if .url -}}
{{- $u := urlParse .url -}}
{{- $hostport = $u.host -}}
{{- if eq $u.scheme "https" }}{{ $port = 443 }}{{ end -}}
{{- end -}}
{{- if $hostport -}}
{{- /* The digits after the last colon, in decimal (a leading 0 is not octal); none after an IPv6 literal's bracket. */ -}}
{{- with regexFind ":[0-9]+$" $hostport }}{{ $port = regexReplaceAll "^0+" (trimPrefix ":" .) "" | atoi }}{{ end -}}
{{- $port -}}
{{- else -}}
0
{{- end -}}
{{- end -}}

{{/*
The host a check connects to, without its port or an IPv6 literal's brackets: its URL's
hostname, or its address's host ("" when it names neither).
*/}}
{{- define "kotaemon.checkHost" -}}
{{- if .address -}}
{{- if hasPrefix "[" .address -}}
{{- regexReplaceAll "^\\[([^\\]]*)\\].*$" .address "${1}" -}}
{{- else -}}
{{- regexReplaceAll ":[^:]*$" .address "" -}}
{{- end -}}
{{- else if .url -}}
{{- (urlParse .url).hostname -}}
{{- end -}}
{{- end -}}
