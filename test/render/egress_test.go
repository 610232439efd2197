package render

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/invariants"
	"kotaemon-k8s/release"
	"kotaemon-k8s/test/chart"
)

// The egress rule opens the port a check really connects to, for every form the schema
// admits: a port with leading zeros is decimal (not octal), an IPv6 literal's colons are
// not a port, and a scheme in capitals is still https.
func TestTheEgressRuleOpensTheCheckPortOfEveryURLForm(t *testing.T) {
	t.Parallel()
	cases := map[string]int32{
		"http://db.db.svc:05432":   5432,
		"http://db.db.svc:08080":   8080,
		"http://[fd00::1]":         80,
		"http://[fd00::1]:6333":    6333,
		"HTTPS://q.db.svc":         443,
		"http://q.db.svc:65535/v1": 65535,
	}
	for url, port := range cases {
		t.Run(url, func(t *testing.T) {
			t.Parallel()
			m := mustRender(t, nil, map[string]string{
				"networkPolicy.enabled": "true", "networkPolicy.egress.enabled": "true", "networkPolicy.egress.withoutInternet": "true",
				// the IPv6 literals are addresses: reached through a block (any port)
				"networkPolicy.egress.extraRules[0].to[0].ipBlock.cidr": "fd00::/64",
				"health.checks[0].name":                                 "q", "health.checks[0].type": "qdrant", "health.checks[0].url": url,
				"health.checks[0].critical": "false", "health.checks[0].intervalSeconds": "10", "health.checks[0].timeoutSeconds": "2",
			})
			assert.Contains(t, egressPorts(t, m), port)
		})
	}
}

// A check on an IP literal is reached through an ipBlock that holds the address on the
// check's port (pod and namespace selectors match pods, not addresses): the chart refuses
// the policy otherwise, and what it accepts the invariants package (PI-12) accepts too.
// Loopback never leaves the pod.
func TestACheckOnAnAddressNeedsAnIPBlockHoldingItOnItsPort(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, url string
		rule      map[string]string // networkPolicy.egress.extraRules[0]...
		public    bool
		refused   bool
	}{
		{name: "no block", url: "http://10.9.8.7:8080/h", refused: true},
		{name: "a block holding it on its port", url: "http://10.9.8.7:8080/h", rule: map[string]string{"to[0].ipBlock.cidr": "10.9.0.0/16", "ports[0].port": "8080"}},
		{name: "a block holding it on any port", url: "http://10.9.8.7:8080/h", rule: map[string]string{"to[0].ipBlock.cidr": "10.9.8.7/32"}},
		{name: "a block on another port", url: "http://10.9.8.7:8080/h", rule: map[string]string{"to[0].ipBlock.cidr": "10.9.0.0/16", "ports[0].port": "9090"}, refused: true},
		{name: "a block that does not hold it", url: "http://10.9.8.7:8080/h", rule: map[string]string{"to[0].ipBlock.cidr": "10.8.0.0/16"}, refused: true},
		{name: "an except range holding it", url: "http://10.9.8.7:8080/h", rule: map[string]string{"to[0].ipBlock.cidr": "10.0.0.0/8", "to[0].ipBlock.except[0]": "10.9.8.0/24"}, refused: true},
		{name: "a pod selector", url: "http://10.9.8.7:8080/h", rule: map[string]string{"to[0].podSelector.matchLabels.app": "db"}, refused: true},
		{name: "a public address under publicHTTPS", url: "https://203.0.113.9/h", public: true},
		{name: "a private address under publicHTTPS", url: "https://10.1.1.1/h", public: true, refused: true},
		{name: "IPv6 in its block", url: "http://[fd00::5]:6333/h", rule: map[string]string{"to[0].ipBlock.cidr": "fd00::/64"}},
		{name: "IPv6 outside its block", url: "http://[fd00:1::5]:6333/h", rule: map[string]string{"to[0].ipBlock.cidr": "fd00::/64"}, refused: true},
		{name: "IPv6 on a /126 boundary", url: "http://[fd00::7]:6333/h", rule: map[string]string{"to[0].ipBlock.cidr": "fd00::4/126"}},
		{name: "IPv6 past a /126 boundary", url: "http://[fd00::8]:6333/h", rule: map[string]string{"to[0].ipBlock.cidr": "fd00::4/126"}, refused: true},
		{name: "loopback", url: "http://127.0.0.1:6333/h"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			set := map[string]string{
				"networkPolicy.enabled": "true", "networkPolicy.egress.enabled": "true",
				"health.checks[0].name": "q", "health.checks[0].type": "qdrant", "health.checks[0].url": c.url,
				"health.checks[0].critical": "false", "health.checks[0].intervalSeconds": "10", "health.checks[0].timeoutSeconds": "2",
			}
			if c.public {
				set["networkPolicy.egress.publicHTTPS.enabled"] = "true"
			} else {
				set["networkPolicy.egress.withoutInternet"] = "true"
			}
			for k, v := range c.rule {
				set["networkPolicy.egress.extraRules[0]."+k] = v
			}
			out, err := render(t, nil, set)
			if c.refused {
				require.Error(t, err, "the chart must refuse %s", c.url)
				assert.Contains(t, err.Error(), "health.checks[0] reaches the address")
				// Rendered anyway, the policy breaks PI-12 for the invariants package too.
				unguarded, err := chart.NewUnguardedRenderer()
				require.NoError(t, err)
				var pairs []string
				for k, v := range set {
					pairs = append(pairs, k+"="+v)
				}
				values, err := release.MergeValues(nil, pairs)
				require.NoError(t, err)
				out, err := unguarded.Render(values)
				require.NoError(t, err)
				assert.Contains(t, ids(invariants.CheckYAML([]byte(out))), "PI-12")
				return
			}
			require.NoError(t, err)
			assert.Empty(t, invariants.CheckYAML([]byte(out)), "the invariants package accepts what the chart accepts")
		})
	}
}
