package localcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v13/controller"
)

// The embedded cluster's default StorageClass: each claim gets a directory on this
// machine, served to its pod as a hostPath volume. Enough for one node, and what lets
// the chart run with its default persistence.
const (
	StorageClassName = "hostpath"
	provisionerName  = "kotaemon-k8s/hostpath"
)

// volumesDir holds the claims' directories; Down removes it with the rest of StateDir.
var volumesDir = filepath.Join(StateDir, "volumes")

// hostDirs provisions a claim as a directory under root.
type hostDirs struct{ root string }

// Provision makes the claim's directory (writable by any user: pods run as whoever
// their image says) and the PersistentVolume that points at it.
func (h hostDirs) Provision(_ context.Context, opts controller.ProvisionOptions) (*corev1.PersistentVolume, controller.ProvisioningState, error) {
	dir := filepath.Join(h.root, opts.PVName)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, controller.ProvisioningFinished, err
	}
	if err := os.Chmod(dir, 0o777); err != nil { // MkdirAll's mode passes through the umask
		return nil, controller.ProvisioningFinished, err
	}
	reclaim := corev1.PersistentVolumeReclaimDelete
	if opts.StorageClass.ReclaimPolicy != nil {
		reclaim = *opts.StorageClass.ReclaimPolicy
	}
	hostPathType := corev1.HostPathDirectory
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: opts.PVName},
		Spec: corev1.PersistentVolumeSpec{
			PersistentVolumeReclaimPolicy: reclaim,
			AccessModes:                   opts.PVC.Spec.AccessModes,
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: opts.PVC.Spec.Resources.Requests[corev1.ResourceStorage]},
			StorageClassName:              opts.StorageClass.Name,
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: dir, Type: &hostPathType},
			},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
					Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{NodeName},
				}}}},
			}},
		},
	}, controller.ProvisioningFinished, nil
}

// Delete removes the directory of a released volume, never anything outside root.
func (h hostDirs) Delete(_ context.Context, pv *corev1.PersistentVolume) error {
	if pv.Spec.HostPath == nil {
		return &controller.IgnoredError{Reason: "not a hostpath volume"}
	}
	dir := filepath.Clean(pv.Spec.HostPath.Path)
	if !strings.HasPrefix(dir, filepath.Clean(h.root)+string(filepath.Separator)) {
		return fmt.Errorf("refusing to delete %s: not under %s", dir, h.root)
	}
	return os.RemoveAll(dir)
}

// RunProvisioner serves the StorageClass until ctx ends: `localcluster provisioner`,
// started by Up as one of the cluster's host processes.
func RunProvisioner(ctx context.Context) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfigPath("provisioner"))
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(volumesDir, 0o755); err != nil {
		return err
	}
	pc := controller.NewProvisionController(ctx, cs, provisionerName, hostDirs{root: volumesDir},
		controller.LeaderElection(false))
	pc.Run(ctx)
	return nil
}

// ensureStorageClass creates the default StorageClass. WaitForFirstConsumer: a claim
// is provisioned once a pod that uses it is scheduled, as on real node-local storage.
func ensureStorageClass(ctx context.Context, cs kubernetes.Interface) error {
	reclaim := corev1.PersistentVolumeReclaimDelete
	binding := storagev1.VolumeBindingWaitForFirstConsumer
	_, err := cs.StorageV1().StorageClasses().Create(ctx, &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:        StorageClassName,
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"},
		},
		Provisioner:       provisionerName,
		ReclaimPolicy:     &reclaim,
		VolumeBindingMode: &binding,
	}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
