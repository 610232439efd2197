package deploy

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kotaemon-k8s/standin/kotaemon"
)

// Kotaemon's admin from a Secret (kotaemon.admin): the chart passes the Secret's user and
// password to the process, which creates that admin on the data volume at its first start;
// a password changed in the Secret later changes nothing, since Kotaemon creates a user
// only when none of that name exists (docs/kotaemon.md, "Admin login"), which is what the
// chart's NOTES tell the user.
func TestTheAdminFromASecretIsCreatedOnceAndOutlivesThePod(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "admin")
	const secret = "kotaemon-admin"
	r.createSecret(secret, map[string]string{"user": "ops", "pass": "first-password"})
	r.install(nil, imagesLayer(r.im), standinLayer("wrapper", 8000), fastProbes,
		layer{"kotaemon": map[string]any{"admin": map[string]any{"existingSecret": secret, "usernameKey": "user", "passwordKey": "pass"}}})
	p := r.probes()
	pod := r.onePod()
	r.awaitReady(pod, "with the admin Secret", podStart+p.startup.Window())
	first := r.mustState(pod)
	require.Empty(t, first.UsersError)
	assert.True(t, first.AdminCreated, "the first start creates the admin the Secret names")
	assert.Equal(t, []kotaemon.User{{Name: "ops", PasswordHash: kotaemon.PasswordHash("first-password")}}, first.Users,
		"the Secret's user and password reached Kotaemon (not its default admin/admin)")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := r.c.Client.CoreV1().Secrets(r.ns).Get(ctx, secret, metav1.GetOptions{})
	require.NoError(t, err)
	s.Data["pass"] = []byte("second-password")
	_, err = r.c.Client.CoreV1().Secrets(r.ns).Update(ctx, s, metav1.UpdateOptions{})
	require.NoError(t, err)
	r.deletePod(pod)
	next := r.onePod()
	r.awaitReady(next, "after the pod was replaced", podStart+p.grace+p.startup.Window()+p.readiness.ToPass()+statusSlack)
	again := r.mustState(next)
	require.Empty(t, again.UsersError)
	assert.False(t, again.AdminCreated, "an admin of that name exists: nothing is created")
	assert.Equal(t, first.Users, again.Users, "the first password stays: a later Secret changes nothing, as NOTES say")
}
