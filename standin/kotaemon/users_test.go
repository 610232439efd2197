package kotaemon

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// As Kotaemon's user page: the admin is created once, by name; a new password for an
// existing name changes nothing, a new name adds a second admin.
func TestTheAdminIsCreatedOnlyWhenNoUserOfThatNameExists(t *testing.T) {
	dir := t.TempDir()
	users, created, err := seedAdmin(dir, env(nil))
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, []User{{"admin", PasswordHash("admin")}}, users, "Kotaemon's default admin/admin")

	users, created, err = seedAdmin(dir, env(map[string]string{EnvAdmin: "Admin", EnvAdminPassword: "changed"}))
	require.NoError(t, err)
	assert.False(t, created, "the name matches case-insensitively")
	assert.Equal(t, PasswordHash("admin"), users[0].PasswordHash, "the first password stays")

	users, created, err = seedAdmin(dir, env(map[string]string{EnvAdmin: "ops", EnvAdminPassword: "s3cret"}))
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, []User{{"admin", PasswordHash("admin")}, {"ops", PasswordHash("s3cret")}}, users)
}

func TestNoAdminWithUserManagementOff(t *testing.T) {
	for _, off := range []string{"False", "0", "no", "OFF", "f", "n", ""} {
		users, created, err := seedAdmin(t.TempDir(), env(map[string]string{EnvUserManagement: off}))
		require.NoError(t, err)
		assert.False(t, created, off)
		assert.Empty(t, users, off)
	}
}

// Unset, user management is on (flowsettings.py's default); a word decouple reads as
// true keeps it on.
func TestTheAdminIsCreatedWithUserManagementUnsetOrOn(t *testing.T) {
	for _, vars := range []map[string]string{nil, {EnvUserManagement: "True"}, {EnvUserManagement: "1"}} {
		_, created, err := seedAdmin(t.TempDir(), env(vars))
		require.NoError(t, err)
		assert.True(t, created, "%v", vars)
	}
}
