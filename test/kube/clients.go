package kube

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kotaemon-k8s/ociimage"
)

// ClientImage is cmd/getclient: a GET loop with keep-alive off that prints one line per
// attempt ("OK <status> <body>" or "ERR <error>"), the in-cluster client of the suites.
var ClientImage = ociimage.Program{Package: "kotaemon-k8s/cmd/getclient", Ref: "kotaemon-k8s/getclient:test", Path: "/getclient"}

// Nobody is the security context of the suites' own pods.
var Nobody = &corev1.SecurityContext{
	RunAsUser: Ptr(int64(65534)), RunAsNonRoot: Ptr(true), AllowPrivilegeEscalation: Ptr(false),
	Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
}

// ClientPod runs getclient (image: the reference LoadImages returned for ClientImage)
// against url every half second; read its verdicts with LastLogLines.
func ClientPod(name, image string, labels map[string]string, url string, headers ...string) *corev1.Pod {
	args := []string{"-url=" + url, "-interval=500ms", "-timeout=1s"}
	for _, h := range headers {
		args = append(args, "-header="+h)
	}
	return Client(name, image, labels, args...)
}

// Client runs getclient with args (see cmd/getclient); without -interval it makes one
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
				Args: args, SecurityContext: Nobody,
			}},
		},
	}
}
