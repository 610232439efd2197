package kube

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kotaemon-k8s/standin"
)

// Nobody is the security context of the suites' own pods.
var Nobody = &corev1.SecurityContext{
	RunAsUser: Ptr(int64(65534)), RunAsNonRoot: Ptr(true), AllowPrivilegeEscalation: Ptr(false),
	Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
}

// ClientPod runs the stand-ins' client (image: where LoadImages put standin.Image)
// against url every half second; read its verdicts with LastLogLines.
func ClientPod(name, image string, labels map[string]string, url string, headers ...string) *corev1.Pod {
	args := []string{"-url=" + url, "-interval=500ms", "-timeout=1s"}
	for _, h := range headers {
		args = append(args, "-header="+h)
	}
	return Client(name, image, labels, args...)
}

// Client runs the stand-ins' client with args (package standin/client: a GET loop with
// keep-alive off, one line per attempt, "OK <status> <body>" or "ERR <error>"); without -interval it makes one
// request and the pod ends Succeeded or Failed (it is never restarted).
func Client(name, image string, labels map[string]string, args ...string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: Ptr(int64(1)),
			AutomountServiceAccountToken:  Ptr(false),
			Containers: []corev1.Container{{
				Name: "client", Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
				Command: standin.Command("client", args...), SecurityContext: Nobody,
			}},
		},
	}
}
