{{/* GPUs (gpu): given once, to the container that runs the models. */}}
{{- define "kotaemon.guards.gpu" -}}
{{- with $container := include "kotaemon.gpuContainer" . -}}
{{- $key := ternary "kotaemon.ollama.resources" "kotaemon.resources" (eq $container "ollama") -}}
{{- $res := ternary $.Values.kotaemon.ollama.resources $.Values.kotaemon.resources (eq $container "ollama") -}}
{{- range $kind := list "limits" "requests" -}}
{{- if hasKey (index $res $kind | default dict) $.Values.gpu.resource -}}
{{- fail (printf "%s.%s.%s and gpu.enabled both ask for GPUs for the container %s: keep one (gpu.count sets the limit)" $key $kind $.Values.gpu.resource $container) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
