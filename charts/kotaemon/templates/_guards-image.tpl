{{/*
Where the agent image comes from. Every pod of the chart runs it (the init container or
sidecar, and the helm test pod), always by digest, so a name someone else registers can
never deliver other code; and a chart that does not know a registry holding it stops
here instead of installing a pod that waits for an image no node can pull.
*/}}
{{- define "kotaemon.imageGuards" -}}
{{- $img := .Values.health.image -}}
{{- $mirror := ((.Values.global | default dict).imageRegistry | default "") -}}
{{- $what := printf "%s:%v@%s" $img.repository $img.tag $img.digest -}}
{{- if not (or $img.registry $mirror) -}}
{{- fail (printf "health.image.registry is empty: this chart does not know where the agent image %s is published. Install the published chart (helm install oci://<registry>/kotaemon: its health.image.registry is set), or push the image from the chart's repository (make push REGISTRY=<host>/<path>) and set health.image.registry=<host>/<path>, or set global.imageRegistry to a mirror that holds it, or run make install, which loads it into the embedded cluster or kind" $what) -}}
{{- end -}}
{{- end -}}
