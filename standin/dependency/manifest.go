package dependency

import (
	"fmt"
	"strings"

	"kotaemon-k8s/standin"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Manifests are a Pod running the stand-in (image: where the nodes find standin.Image)
// answering on port with models, and a Service of the same name in front of it. It is
// Ready once its control port answers.
func Manifests(name, image string, port int32, models ...string) (*corev1.Pod, *corev1.Service) {
	labels := map[string]string{"app": name}
	args := []string{fmt.Sprintf("--listen=:%d", port)}
	if len(models) > 0 {
		args = append(args, "--models="+strings.Join(models, ","))
	}
	grace, no, nobody := int64(1), false, int64(65534)
	yes := true
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: &grace,
			AutomountServiceAccountToken:  &no,
			Containers: []corev1.Container{{
				Name: name, Image: image, ImagePullPolicy: corev1.PullIfNotPresent, Command: standin.Command("dependency", args...),
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: port}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
					Path: ControlHealthPath, Port: intstr.FromInt32(DefaultControlPort)}}, PeriodSeconds: 1},
				SecurityContext: &corev1.SecurityContext{RunAsUser: &nobody, RunAsNonRoot: &yes, AllowPrivilegeEscalation: &no,
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
		},
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Name: "http", Port: port, TargetPort: intstr.FromInt32(port)}}},
	}
	return pod, svc
}
