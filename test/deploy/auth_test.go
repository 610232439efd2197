package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kotaemon-k8s/test/kube"
)

// jwtSecret is the HS256 key of PB-09's jwt case (a test value; 48 characters).
const jwtSecret = "pb09-test-only-hs256-key-0123456789abcdefghijklm"

// PB-09. Created: the release with auth on (token: the chart generates the token
// Secret; jwt: HS256 with a key from an existing Secret) and details for authenticated
// callers; clients in the namespace ask /health/ready with no credentials, valid ones
// and invalid ones. Must hold: every caller gets the true status (200); only the valid
// credentials get the per-component details; the kubelet's probes pass (the pod is Ready).
func TestPB09_HealthDetailsAreShownOnlyToAuthenticatedCallers(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"token", "jwt"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "pb09-"+mode)
			var auth layer
			if mode == "jwt" {
				r.createSecret("kh-jwt", map[string]string{"hs256": jwtSecret})
				auth = parseLayer("health:\n  details: authenticated\n  auth:\n    mode: jwt\n    existingSecret: kh-jwt\n    jwt:\n      algorithms: [HS256]\n      secretKey: hs256\n")
			} else {
				auth = parseLayer("health:\n  details: authenticated\n  auth:\n    mode: token\n")
			}
			r.install(nil, imagesLayer(r.im), standinLayer("wrapper", 8000), fastProbes, auth)
			p := r.probes()
			recordWindows(r.tl, p)
			pod := r.onePod()
			r.awaitReady(pod, "with auth on", podStart+p.startup.Window())

			valid, invalid := r.credentials(mode)
			got, why := r.pod(context.Background(), pod)
			require.NotNil(t, got, why)
			ready := fmt.Sprintf("http://%s:8000/health/ready", got.Status.PodIP)
			callers := map[string][]string{
				"anonymous": nil,
				"valid":     {"Authorization: Bearer " + valid},
				"invalid":   {"Authorization: Bearer " + invalid},
			}
			for name, headers := range callers {
				r.createPod(kube.ClientPod(name, r.im.standin, nil, ready, headers...))
			}
			kube.Await(t, "each caller gets the status, and only the valid one the details", podStart, func(ctx context.Context) (bool, string) {
				var seen []string
				done := true
				for name := range callers {
					lines, err := kube.LastLogLines(ctx, r.c.Client, r.ns, name, "", 1)
					if err != nil || len(lines) == 0 {
						return false, fmt.Sprintf("%s: no answer yet (%v)", name, err)
					}
					l := lines[0]
					seen = append(seen, name+": "+l)
					require.NotContains(t, l, "ERR", "%s could not reach the health port", name)
					done = done && strings.HasPrefix(l, "OK 200")
					details := strings.Contains(l, `"components"`)
					require.Equal(t, name == "valid", details, "PI-11: details for the %s caller: %s", name, l)
				}
				return done, strings.Join(seen, " | ")
			})
			got, why = r.pod(context.Background(), pod)
			require.NotNil(t, got, why)
			require.True(t, kube.PodReady(got), "the kubelet's unauthenticated probes fail with auth on: %s", podSummary(got))
		})
	}
}

// credentials returns a valid and an invalid bearer credential for the auth mode.
func (r *release) credentials(mode string) (valid, invalid string) {
	r.t.Helper()
	if mode == "token" {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s, err := r.c.Client.CoreV1().Secrets(r.ns).Get(ctx, releaseName+"-kotaemon-health-auth", metav1.GetOptions{})
		require.NoError(r.t, err, "the token Secret the chart generates")
		token := strings.TrimSpace(string(s.Data["token"]))
		require.NotEmpty(r.t, token)
		return token, token + "-not"
	}
	sign := func(key string) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"sub": "pb09", "exp": time.Now().Add(time.Hour).Unix(),
		}).SignedString([]byte(key))
		require.NoError(r.t, err)
		return tok
	}
	return sign(jwtSecret), sign(jwtSecret + "-other")
}

// createSecret creates an Opaque Secret in the scenario's namespace.
func (r *release) createSecret(name string, data map[string]string) {
	r.t.Helper()
	_, err := r.c.Client.CoreV1().Secrets(r.ns).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: data,
	}, metav1.CreateOptions{})
	require.NoError(r.t, err)
}
