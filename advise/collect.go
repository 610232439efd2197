package advise

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"path"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	apispdy "k8s.io/apimachinery/pkg/util/httpstream/spdy"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/internal/history"
)

// FromRelease reads the history of every running pod of a release through the API
// server: a port-forward to the pod's health port (the health port is on no Service, and
// its NetworkPolicy admits no workstation), authenticated with token, or with the token
// the chart mounts for the agent when token is empty.
func FromRelease(cfg *rest.Config, cs kubernetes.Interface, namespace, name, token string) func(context.Context) ([]history.Data, string, error) {
	return func(ctx context.Context) ([]history.Data, string, error) {
		selector := "app.kubernetes.io/instance=" + name + ",app.kubernetes.io/component=app"
		pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return nil, "", err
		}
		var out []history.Data
		for i := range pods.Items {
			p := &pods.Items[i]
			if p.Status.Phase != corev1.PodRunning {
				continue
			}
			tok := token
			if tok == "" {
				if tok, err = agentToken(ctx, cs, p); err != nil {
					return nil, "", fmt.Errorf("pod %s: %w", p.Name, err)
				}
			}
			d, err := podHistory(ctx, cfg, cs, p, tok)
			if err != nil {
				return nil, "", fmt.Errorf("pod %s: %w", p.Name, err)
			}
			out = append(out, d)
		}
		if len(out) == 0 {
			return nil, "", fmt.Errorf("release %s in namespace %s has no running pod to read a history from", name, namespace)
		}
		return out, fmt.Sprintf("release %s in namespace %s (%s)", name, namespace, count(len(out), "pod")), nil
	}
}

// agentToken is the token in the Secret the pod mounts for its agent (volume
// health-auth), under the key its config reads.
func agentToken(ctx context.Context, cs kubernetes.Interface, p *corev1.Pod) (string, error) {
	var secret, configMap string
	for _, v := range p.Spec.Volumes {
		switch {
		case v.Name == "health-auth" && v.Secret != nil:
			secret = v.Secret.SecretName
		case v.Name == "health-config" && v.ConfigMap != nil:
			configMap = v.ConfigMap.Name
		}
	}
	if secret == "" || configMap == "" {
		return "", fmt.Errorf("the agent has no auth Secret (health.auth.mode none): its history is for authenticated callers. Set health.auth.mode token, or copy the file and advise from it: kubectl exec -n %s %s -c kotaemon -- cat <data dir>/.kotaemon-health/history.json > %s.json, then kotaemonctl advise -history %s.json", p.Namespace, p.Name, p.Name, p.Name)
	}
	cm, err := cs.CoreV1().ConfigMaps(p.Namespace).Get(ctx, configMap, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	cfg, err := config.Parse([]byte(cm.Data["config.yaml"]))
	if err != nil {
		return "", fmt.Errorf("ConfigMap %s: %w", configMap, err)
	}
	if cfg.Auth.Mode != config.AuthToken {
		return "", fmt.Errorf("the agent verifies %s credentials, which advise cannot make: set KOTAEMON_HEALTH_TOKEN to one it accepts", cfg.Auth.Mode)
	}
	s, err := cs.CoreV1().Secrets(p.Namespace).Get(ctx, secret, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	tok, ok := s.Data[path.Base(cfg.Auth.TokenFile)]
	if !ok {
		return "", fmt.Errorf("Secret %s has no key %s", secret, path.Base(cfg.Auth.TokenFile))
	}
	return strings.TrimSpace(string(tok)), nil
}

// podHistory forwards a local port to the pod's health port and asks for the history.
func podHistory(ctx context.Context, cfg *rest.Config, cs kubernetes.Interface, p *corev1.Pod, token string) (history.Data, error) {
	var d history.Data
	port := 0
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		for _, cp := range c.Ports {
			if cp.Name == "health" {
				port = int(cp.ContainerPort)
			}
		}
	}
	if port == 0 {
		return d, fmt.Errorf("no container declares the health port (health.mode none has no agent, and no history)")
	}
	url := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(p.Namespace).Name(p.Name).SubResource("portforward").URL()
	dialer, err := upgradeDialer(cfg, url)
	if err != nil {
		return d, err
	}
	stop, ready := make(chan struct{}), make(chan struct{})
	defer close(stop)
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", port)}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		return d, err
	}
	failed := make(chan error, 1)
	go func() { failed <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-failed:
		return d, fmt.Errorf("port-forward to port %d: %w", port, err)
	case <-ctx.Done():
		return d, ctx.Err()
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		return d, fmt.Errorf("port-forward to port %d: no local port (%v)", port, err)
	}
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", ports[0].Local, config.HistoryPath), nil)
	if err != nil {
		return d, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return d, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return d, err
	}
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("GET %s: %s (an older agent has no history; with details none nobody may read it)", config.HistoryPath, resp.Status)
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return d, fmt.Errorf("GET %s: %w", config.HistoryPath, err)
	}
	return d, nil
}

// upgradeDialer dials the port-forward's upgrade as the config's other requests are made:
// through its Dial where it has one (the embedded cluster's API server is reached inside
// its network namespace), which client-go's own SPDY round tripper would not use.
func upgradeDialer(cfg *rest.Config, url *neturl.URL) (httpstream.Dialer, error) {
	tlsConfig, err := rest.TLSConfigFor(cfg)
	if err != nil {
		return nil, err
	}
	transport := &http.Transport{TLSClientConfig: tlsConfig, DialContext: cfg.Dial}
	if cfg.Dial == nil {
		transport.Proxy = http.ProxyFromEnvironment
	}
	upgrader, err := apispdy.NewRoundTripperWithConfig(apispdy.RoundTripperConfig{PingPeriod: 5 * time.Second, UpgradeTransport: transport})
	if err != nil {
		return nil, err
	}
	wrapped, err := rest.HTTPWrappersForConfig(cfg, upgrader)
	if err != nil {
		return nil, err
	}
	return spdy.NewDialer(upgrader, &http.Client{Transport: wrapped}, http.MethodPost, url), nil
}
