{{/* The chart's own names (selector labels, volumes, containers) stay the chart's; one source of flowsettings.py. */}}
{{- define "kotaemon.guards.names" -}}
{{- $v := .Values -}}
{{- /* The chart's selector labels must stay the chart's. */ -}}
{{- $selector := include "kotaemon.selectorLabels" . | fromYaml -}}
{{- range $k, $_ := $v.podLabels -}}
{{- if hasKey $selector $k -}}
{{- fail (printf "podLabels.%s would change a label the Deployment selects on (%s: %s): remove it, or set nameOverride to change the name" $k $k (index $selector $k)) -}}
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
{{- /* Service names are DNS labels (RFC 1035): 63 characters at most, starting with a letter; the name the chart adds a suffix to may pass where the Service's does not. */ -}}
{{- $services := list (include "kotaemon.fullname" .) -}}
{{- if and $v.metrics.enabled (include "kotaemon.agentEnabled" .) }}{{ $services = append $services (printf "%s-metrics" (include "kotaemon.fullname" .)) }}{{ end -}}
{{- range $services -}}
{{- if gt (len .) 63 -}}
{{- fail (printf "the Service name %q has %d characters, and Kubernetes allows 63: shorten fullnameOverride, or the release name and nameOverride" . (len .)) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z]" .) -}}
{{- fail (printf "the Service name %q must start with a letter (a DNS label): change fullnameOverride, or the release name" .) -}}
{{- end -}}
{{- end -}}
{{- if and $v.kotaemon.flowsettings $v.kotaemon.flowsettingsConfigMap -}}
{{- fail (printf "kotaemon.flowsettings and kotaemon.flowsettingsConfigMap (%q) are both set: keep one source of flowsettings.py" $v.kotaemon.flowsettingsConfigMap) -}}
{{- end -}}

{{- end -}}
