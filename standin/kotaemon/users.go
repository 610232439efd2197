package kotaemon

// Kotaemon's first admin (docs/kotaemon.md, "Admin login"): flowsettings.py reads
// KH_FEATURE_USER_MANAGEMENT_ADMIN and _PASSWORD (default admin/admin) at every start,
// and with user management on the user page creates that user, with the SHA-256 of the
// password, only when no user of that name exists, case-insensitively
// (Cinnamon/kotaemon@v0.11.3:libs/ktem/ktem/pages/resources/user.py:97-133). The
// stand-in keeps its users on the data volume, as Kotaemon keeps them in its database
// there, so a test can see what a Secret changed, and what it could not.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The variables Kotaemon reads for user management and its first admin.
const (
	EnvUserManagement = "KH_FEATURE_USER_MANAGEMENT"
	EnvAdmin          = "KH_FEATURE_USER_MANAGEMENT_ADMIN"
	EnvAdminPassword  = "KH_FEATURE_USER_MANAGEMENT_PASSWORD"
	// UsersFile holds the users inside the data dir.
	UsersFile = "standin-users.json"
)

// User is a stored user: the name as given and the password's SHA-256, hex.
type User struct {
	Name         string `json:"name"`
	PasswordHash string `json:"passwordHash"`
}

// PasswordHash is what Kotaemon stores for a password.
func PasswordHash(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

// falseWords are the false values of python-decouple 3.8's bool cast (the version
// Kotaemon's uv.lock pins; HBNetwork/python-decouple@v3.8:decouple.py:29-31,74): an empty
// value is false too. An unset variable takes flowsettings.py's default.
var falseWords = map[string]bool{"": true, "false": true, "f": true, "0": true, "no": true, "n": true, "off": true}

// seedAdmin creates the admin the environment names when user management is on and no
// user of that name exists; it returns every user and whether it created one. lookup
// reads a variable as os.LookupEnv does.
func seedAdmin(dir string, lookup func(string) (string, bool)) (users []User, created bool, err error) {
	if v, set := lookup(EnvUserManagement); set && falseWords[strings.ToLower(v)] {
		return nil, false, nil
	}
	orDefault := func(key string) string {
		if v, set := lookup(key); set {
			return v
		}
		return "admin" // flowsettings.py:78-83, both
	}
	name, password := orDefault(EnvAdmin), orDefault(EnvAdminPassword)
	path := filepath.Join(dir, UsersFile)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, false, fmt.Errorf("read users: %w", err)
	default:
		if err := json.Unmarshal(b, &users); err != nil {
			return nil, false, fmt.Errorf("read users: %w", err)
		}
	}
	for _, u := range users {
		if strings.EqualFold(u.Name, name) {
			return users, false, nil
		}
	}
	users = append(users, User{Name: name, PasswordHash: PasswordHash(password)})
	data, err := json.Marshal(users)
	if err == nil {
		err = writeFileAtomic(dir, UsersFile, data)
	}
	if err != nil {
		return users, false, fmt.Errorf("write users: %w", err)
	}
	return users, true, nil
}
