package browser

import (
	"crypto/sha512"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

// easyXDMFileSHA384 is the SHA-384 of lib/easyXDM.js in the npm tarball of
// EasyXDMVendored (docs/BROWSER.md): the embedded copy must be that file.
const easyXDMFileSHA384 = "sha384-qxLR+Md5yiwIqYDYaiF8ItBiGx2iOgiLfKGd/JIwsHFpq4jOrpLyvKvklk+4LtAG"

func sri(b []byte) string {
	sum := sha512.Sum384(b)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}

// TestEasyXDMVendoredUnchanged: the embedded easyXDM is npm's file, byte for
// byte, and the script served is it, wrapped, defining window.easyXDM.
func TestEasyXDMVendoredUnchanged(t *testing.T) {
	lib := mustRead(easyXDMFile)
	if got := sri(lib); got != easyXDMFileSHA384 {
		t.Errorf("%s: %s, want npm %s's %s", easyXDMFile, got, EasyXDMVendored, easyXDMFileSHA384)
	}
	served := string(assets[EasyXDMPath].body)
	if !strings.Contains(served, string(lib)) || !strings.HasSuffix(served, "\nwindow.easyXDM = module.exports;\n})();\n") ||
		!strings.Contains(served, `version: "2.4.19"`) {
		t.Errorf("%s is not the vendored file wrapped to define window.easyXDM", EasyXDMPath)
	}
}

// TestDocsIntegrity: docs/BROWSER.md gives the integrity value of each
// script a shop loads, and the vendored file's hash, as served now.
func TestDocsIntegrity(t *testing.T) {
	doc, err := os.ReadFile("../docs/BROWSER.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ what, value string }{
		{CardvaultJSPath, Integrity(CardvaultJSPath)},
		{EasyXDMPath, Integrity(EasyXDMPath)},
		{"npm's lib/easyXDM.js", easyXDMFileSHA384},
	} {
		if !strings.Contains(string(doc), want.value) {
			t.Errorf("docs/BROWSER.md lacks the integrity of %s: %s", want.what, want.value)
		}
	}
	if Integrity("/nope") != "" {
		t.Errorf("Integrity of a path not served is not empty")
	}
}

// TestProviderScriptsServed: every script the provider page loads (by a
// path relative to /provider) is served, and the page has no inline script
// (its CSP would block one).
func TestProviderScriptsServed(t *testing.T) {
	page := string(assets[ProviderPath].body)
	srcs := regexp.MustCompile(`<script src="([^"]+)"></script>`).FindAllStringSubmatch(page, -1)
	if len(srcs) != 2 || strings.Count(page, "<script") != 2 {
		t.Fatalf("provider page: %d script elements with a src, %d in all; want 2 and 2", len(srcs), strings.Count(page, "<script"))
	}
	for _, m := range srcs {
		if _, ok := assets["/"+m[1]]; !ok || strings.HasPrefix(m[1], "/") {
			t.Errorf("provider page loads %q: not a served path relative to /provider", m[1])
		}
	}
}

// TestServeOwnPathsOnly: Serve takes GET and HEAD of its paths and nothing
// else, so that the caller routes the rest.
func TestServeOwnPathsOnly(t *testing.T) {
	for _, c := range []struct {
		method, target string
		want           bool
	}{
		{"GET", "/provider", true}, {"HEAD", "/provider?xdm_p=1", true}, {"GET", CardvaultJSPath, true},
		{"POST", "/provider", false}, {"OPTIONS", CardvaultJSPath, false}, {"GET", "/provider/", false},
		{"GET", "/js/", false}, {"GET", "/static/js/cardvault.v1.js", false},
	} {
		rec := httptest.NewRecorder()
		if got := Serve(rec, httptest.NewRequest(c.method, c.target, nil)); got != c.want {
			t.Errorf("%s %s: served %v, want %v", c.method, c.target, got, c.want)
		}
		if !c.want && (rec.Code != http.StatusOK || rec.Body.Len() != 0 || len(rec.Header()) != 0) {
			t.Errorf("%s %s: wrote an answer it did not serve", c.method, c.target)
		}
	}
}
