package localcluster

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCorefileHasNoUpstreamResolver(t *testing.T) {
	c := corefile()
	assert.NotContains(t, c, "forward", "CoreDNS must never ask a resolver outside the cluster")
	assert.Contains(t, c, "kubernetes "+ClusterDomain)
	assert.Contains(t, c, "bind "+NodeIP)
}

func TestKubeletConfigCarriesTheVMWorkarounds(t *testing.T) {
	c := kubeletConfig()
	for _, want := range []string{"oomScoreAdj: 0", "cgroupDriver: cgroupfs", "failCgroupV1: false",
		"imageGCHighThresholdPercent: 100", "- " + DNSServiceIP, `resolvConf: ""`} {
		assert.Contains(t, c, want)
	}
	assert.Contains(t, containerdConfig(), "restrict_oom_score_adj = true")
	assert.Contains(t, containerdConfig(), "SystemdCgroup = false")
}

func TestProcStartIdentifiesThisProcess(t *testing.T) {
	st, zombie, err := procStart(os.Getpid())
	require.NoError(t, err)
	assert.False(t, zombie)
	r := record{Name: "self", PID: os.Getpid(), StartTime: st}
	assert.True(t, r.alive())
	r.StartTime++
	assert.False(t, r.alive(), "a PID with another start time is another process")
}

func TestUnescapeMountDecodesOctalEscapes(t *testing.T) {
	assert.Equal(t, "/var/lib/a b", unescapeMount(`/var/lib/a\040b`))
	assert.Equal(t, "/plain", unescapeMount("/plain"))
}

func TestSetEnvReplacesEarlierValues(t *testing.T) {
	env := setEnv([]string{"PATH=/bin", "HOME=/h", "KUBECONFIG=/elsewhere"}, map[string]string{"KUBECONFIG": "/k", "PATH": "/bin:/x"})
	joined := strings.Join(env, " ")
	assert.Equal(t, 1, strings.Count(joined, "KUBECONFIG="))
	assert.Contains(t, env, "KUBECONFIG=/k")
	assert.Contains(t, env, "PATH=/bin:/x")
	assert.Contains(t, env, "HOME=/h")
}
