package render

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
				"health.checks[0].name": "q", "health.checks[0].type": "qdrant", "health.checks[0].url": url,
				"health.checks[0].critical": "false", "health.checks[0].intervalSeconds": "10", "health.checks[0].timeoutSeconds": "2",
			})
			assert.Contains(t, egressPorts(t, m), port)
		})
	}
}
