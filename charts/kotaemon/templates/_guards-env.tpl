{{/* Kotaemon's environment sources: each value given must reach the container. */}}
{{- define "kotaemon.guards.env" -}}
{{- $k := .Values.kotaemon -}}
{{- /* The chart renders secretEnv into a Secret of its own only without existingSecret, so with both the variables would be dropped without a word. */ -}}
{{- if and $k.secretEnv $k.existingSecret -}}
{{- fail (printf "kotaemon.secretEnv (%s) and kotaemon.existingSecret (%s) are both set: the chart renders secretEnv into a Secret of its own only without existingSecret, so these variables would be lost; put them in the Secret %s, or leave existingSecret empty" (keys $k.secretEnv | sortAlpha | join ", ") $k.existingSecret $k.existingSecret) -}}
{{- end -}}
{{- /* With the admin from a Secret, a variable of the same name would win or lose by position: say which one counts. */ -}}
{{- if $k.admin.existingSecret -}}
{{- $given := include "kotaemon.userEnvNames" . | fromYamlArray -}}
{{- range $name := list "KH_FEATURE_USER_MANAGEMENT_ADMIN" "KH_FEATURE_USER_MANAGEMENT_PASSWORD" -}}
{{- if has $name $given -}}
{{- fail (printf "kotaemon.env/extraEnv: %s is set by the chart from kotaemon.admin.existingSecret (%s); remove it, or leave kotaemon.admin.existingSecret empty" $name $k.admin.existingSecret) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
