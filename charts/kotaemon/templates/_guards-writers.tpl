{{/* PI-13: one writer per volume, full capacity during a rollout (replicas and strategy). */}}
{{- define "kotaemon.guards.writers" -}}
{{- $v := .root.Values -}}
{{- /* PI-13: local state is single-writer. */ -}}
{{- if gt (int $v.replicaCount) 1 -}}
{{- if not $v.kotaemon.externalStores -}}
{{- fail (printf "PI-13: replicaCount %d needs kotaemon.externalStores=true (SQLite, embedded Chroma and LanceDB cannot be shared)" (int $v.replicaCount)) -}}
{{- end -}}
{{- if and $v.persistence.enabled (has $v.persistence.accessMode (list "ReadWriteOnce" "ReadWriteOncePod")) -}}
{{- fail (printf "PI-13: replicaCount %d cannot share persistence.accessMode %s; disable persistence or use ReadWriteMany" (int $v.replicaCount) $v.persistence.accessMode) -}}
{{- end -}}
{{- end -}}

{{- /* PI-13: the strategy override keeps one writer per volume and full capacity. */ -}}
{{- $strategy := include "kotaemon.strategy" .root | fromYaml -}}
{{- $replicas := int $v.replicaCount -}}
{{- if and $v.strategy $v.strategy.rollingUpdate (ne $strategy.type "RollingUpdate") -}}
{{- fail (printf "strategy.rollingUpdate is set but the strategy is %s: set strategy.type RollingUpdate, or drop strategy.rollingUpdate" $strategy.type) -}}
{{- end -}}
{{- /* A surge pod beside the one replica: both on the data volume at once. */ -}}
{{- if and (le $replicas 1) (eq $strategy.type "RollingUpdate") $v.persistence.enabled (not (include "kotaemon.isZero" $strategy.rollingUpdate.maxSurge)) -}}
{{- if include "kotaemon.singleAttachVolume" .root -}}
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

{{- end -}}
