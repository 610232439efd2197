package mutants

// The changes each variant makes to the rendered objects. Each returns an error when the
// release has nothing to break, so a variant never passes by changing nothing.

import (
	"fmt"
	"math"
)

func cutStartupBudget(r *release) error {
	return r.probes("startupProbe", func(_, p map[string]any) error {
		ft, ok := p["failureThreshold"].(float64)
		if !ok {
			return fmt.Errorf("startupProbe has no failureThreshold")
		}
		p["failureThreshold"] = math.Max(1, math.Floor(ft*2/3))
		return nil
	})
}

func dropStartupProbe(r *release) error {
	return r.probes("startupProbe", func(c, _ map[string]any) error {
		delete(c, "startupProbe")
		return nil
	})
}

// onHealthPort turns every probe of the kind into a TCP connect to the agent's port.
func onHealthPort(r *release, kind string) error {
	port, err := r.healthPort()
	if err != nil {
		return err
	}
	return r.probes(kind, func(_, p map[string]any) error {
		delete(p, "httpGet")
		delete(p, "exec")
		delete(p, "grpc")
		p["tcpSocket"] = map[string]any{"port": port}
		return nil
	})
}

func startupOnHealthPort(r *release) error  { return onHealthPort(r, "startupProbe") }
func livenessOnHealthPort(r *release) error { return onHealthPort(r, "livenessProbe") }

func dataOnEmptyDir(r *release) error {
	spec, err := r.podSpec()
	if err != nil {
		return err
	}
	volumes, _ := spec["volumes"].([]any)
	for _, v := range volumes {
		vol, ok := v.(map[string]any)
		if ok && vol["name"] == "data" && vol["persistentVolumeClaim"] != nil {
			delete(vol, "persistentVolumeClaim")
			vol["emptyDir"] = map[string]any{}
			return nil
		}
	}
	return fmt.Errorf("no volume data on a claim")
}

func livenessOnReady(r *release) error {
	ready, err := r.endpoint("readinessProbe")
	if err != nil {
		return err
	}
	port, err := r.healthPort()
	if err != nil {
		return err
	}
	// By number: the port's name may belong to another container than liveness's.
	return r.probes("livenessProbe", func(_, p map[string]any) error {
		delete(p, "tcpSocket")
		delete(p, "exec")
		p["httpGet"] = map[string]any{"path": ready["path"], "port": port}
		return nil
	})
}

func readinessOnLive(r *release) error {
	cfg, _, err := r.agentConfig()
	if err != nil {
		return err
	}
	live, ok := Dig(cfg, "paths", "live").(string)
	if !ok {
		return fmt.Errorf("agent config: no paths.live")
	}
	return r.probes("readinessProbe", func(_, p map[string]any) error {
		get, ok := p["httpGet"].(map[string]any)
		if !ok {
			return fmt.Errorf("readinessProbe is not an httpGet probe")
		}
		get["path"] = live
		return nil
	})
}

func stopAtOnce(r *release) error {
	return r.setAgentConfig(func(cfg map[string]any) {
		cfg["shutdown"] = map[string]any{"drainDelay": "0s", "answersTimeout": "0s", "stopSignal": "SIGTERM", "stopTimeout": shutdownOf(cfg)["stopTimeout"]}
	})
}

func stopWithoutAnswers(r *release) error {
	return r.setAgentConfig(func(cfg map[string]any) { shutdownOf(cfg)["answersTimeout"] = "0s" })
}

// shutdownOf is the agent config's shutdown section (made when absent).
func shutdownOf(cfg map[string]any) map[string]any {
	sh, ok := cfg["shutdown"].(map[string]any)
	if !ok {
		sh = map[string]any{}
		cfg["shutdown"] = sh
	}
	return sh
}

func admitEveryone(r *release) error {
	policies := r.kind("NetworkPolicy")
	if len(policies) == 0 {
		return fmt.Errorf("no NetworkPolicy")
	}
	for _, p := range policies {
		spec, ok := p["spec"].(map[string]any)
		if !ok {
			return fmt.Errorf("NetworkPolicy without a spec")
		}
		spec["ingress"] = []any{map[string]any{}}
	}
	return nil
}

func detailsPublic(r *release) error {
	return r.setAgentConfig(func(cfg map[string]any) { cfg["details"] = "public" })
}

// historyInMemory keeps the agent's history in memory only: each pod starts it afresh,
// so the advisor sees one start-up where the release had many.
func historyInMemory(r *release) error {
	return r.setAgentConfig(func(cfg map[string]any) { cfg["history"] = map[string]any{"path": ""} })
}
