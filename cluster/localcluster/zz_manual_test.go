package localcluster

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestManualContainerd(t *testing.T) {
	if os.Getenv("MANUAL") == "" {
		t.Skip()
	}
	o := Options{Repo: "/work/main", CacheDir: DefaultCacheDir(), Kubeconfig: "/tmp/kc", Out: os.Stdout}
	p := phase{out: os.Stdout, start: time.Now()}
	pause, cached, err := o.pauseTarball()
	t.Log(pause, cached, err)
	if err := setupNetNS(); err != nil {
		t.Fatal(err)
	}
	p.say("netns")
	if err := writePKI(); err != nil {
		t.Fatal(err)
	}
	if err := o.writeConfigs(); err != nil {
		t.Fatal(err)
	}
	p.say("pki")
	s, err := o.start("containerd", "containerd", []string{"--config", confDir + "/containerd.toml"})
	if err != nil {
		t.Fatal(err)
	}
	if err := waitFor(context.Background(), "containerd", 30*time.Second, []*started{s}, containerdReady); err != nil {
		t.Fatal(err)
	}
	p.say("containerd ready")
	names, err := ImportImages([]string{pause})
	t.Log(names, err)
	p.say("imported")
	if err := o.teardown(p); err != nil {
		t.Fatal(err)
	}
}
