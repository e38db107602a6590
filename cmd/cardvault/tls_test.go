package main_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cardvault test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert, key, pool}
}

// writeLeaf writes a certificate for 127.0.0.1 with serial, signed by ca,
// and its key, as PEM files.
func (ca *testCA) writeLeaf(t *testing.T, certFile, keyFile string, serial int64) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Key first: a reload between the two writes must not pair a new
	// certificate with an old key (it would fail and keep the old pair).
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// servedSerial connects anew and returns the serial of the certificate served.
func servedSerial(t *testing.T, addr string, pool *x509.CertPool) int64 {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// TestTLS: --tls-cert/--tls-key serve HTTPS (TLS 1.2 and later only, no
// warning on a non-loopback address); net/http's own refusals still come in
// the dialect's JSON; ChargeOver's Location says https; SIGHUP reloads the
// pair, and a broken pair at reload keeps the previous one.
func TestTLS(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca.writeLeaf(t, certFile, keyFile, 100)
	p := startServing(t, nil, "--data", t.TempDir(), "--addr", "0.0.0.0:0", "--rate-limit", "0",
		"--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(p.base, "https://127.0.0.1:") {
		t.Fatalf("base URL %s", p.base)
	}
	if strings.Contains(p.stderr.String(), "NOT ENCRYPTED") {
		t.Error("warning although TLS is on")
	}
	addr := strings.TrimPrefix(p.base, "https://")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}}
	res, err := client.Get(p.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("GET /healthz over TLS = %d %v", res.StatusCode, res.TLS)
	}
	if _, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool, MaxVersion: tls.VersionTLS11}); err == nil {
		t.Error("a TLS 1.1 handshake succeeded")
	}

	// A request net/http refuses itself is answered in the dialect's JSON over TLS too.
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /api/v3/customer HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n")
	raw, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(raw.Body)
	c.Close()
	if raw.StatusCode != 400 || !strings.HasPrefix(string(body), `{"code":400,"status":"Error"`) {
		t.Errorf("malformed request over TLS = %d %s", raw.StatusCode, body)
	}

	pk, sk := p.testKeys(t)
	req, _ := http.NewRequest("POST", p.base+"/api/v3/customer", strings.NewReader(`{"company":"TLS"}`))
	req.SetBasicAuth(pk, sk)
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 || !strings.HasPrefix(res.Header.Get("Location"), "https://") {
		t.Errorf("ChargeOver POST over TLS = %d Location %q", res.StatusCode, res.Header.Get("Location"))
	}

	if got := servedSerial(t, addr, ca.pool); got != 100 {
		t.Fatalf("serial %d, want 100", got)
	}
	ca.writeLeaf(t, certFile, keyFile, 200)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); servedSerial(t, addr, ca.pool) != 200; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not reload the certificate: %s", p.stderr.String())
		}
	}
	writeFile(t, certFile, []byte("not a certificate"))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.stderr.String(), "TLS certificate not reloaded"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("a broken pair at SIGHUP was not reported: %s", p.stderr.String())
		}
	}
	if got := servedSerial(t, addr, ca.pool); got != 200 {
		t.Errorf("after a failed reload the serial is %d, want the previous 200", got)
	}
}

// TestTLSRefusedAtStart: a missing or broken pair refuses to start.
func TestTLSRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("junk"), 0o600)
	for _, args := range [][]string{
		{"--tls-cert", bad, "--tls-key", bad},
		{"--tls-cert", filepath.Join(dir, "missing.pem"), "--tls-key", bad},
		{"--tls-cert", bad},
	} {
		data := t.TempDir()
		served, _, stderr := runOnce(t, data, nil, args...)
		if served || !strings.Contains(stderr, "--tls-") {
			t.Errorf("%v: served=%v %s", args, served, stderr)
		}
		if entries, _ := os.ReadDir(data); len(entries) != 0 {
			t.Errorf("%v: a refused start wrote into the data directory", args)
		}
	}
}
