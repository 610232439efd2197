package pki

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func load(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk, path)
	c, err := x509.ParseCertificate(blk.Bytes)
	require.NoError(t, err)
	return c
}

func TestIssuedCertificatesVerifyAgainstTheCA(t *testing.T) {
	dir := t.TempDir()
	ca, err := NewCA(dir, "test CA")
	require.NoError(t, err)
	require.NoError(t, ca.Issue(dir, Leaf{File: "srv", CN: "kube-apiserver", Server: true,
		DNS: []string{"kubernetes.default.svc"}, IPs: []net.IP{net.ParseIP("10.96.0.1")}}))
	require.NoError(t, ca.Issue(dir, Leaf{File: "cli", CN: "system:node:n", Orgs: []string{"system:nodes"}, Client: true}))
	require.NoError(t, ServiceAccountKeys(dir))

	pool := x509.NewCertPool()
	pool.AddCert(load(t, filepath.Join(dir, "ca.crt")))

	srv := load(t, filepath.Join(dir, "srv.crt"))
	_, err = srv.Verify(x509.VerifyOptions{Roots: pool, DNSName: "kubernetes.default.svc", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	require.NoError(t, err)
	require.NoError(t, srv.VerifyHostname("10.96.0.1"))

	cli := load(t, filepath.Join(dir, "cli.crt"))
	_, err = cli.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)
	require.Equal(t, []string{"system:nodes"}, cli.Subject.Organization)

	st, err := os.Stat(filepath.Join(dir, "sa.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "private keys are readable by root only")
}
