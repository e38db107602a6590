package cardvault_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// storeInterfaces are the Store contract's names: a dialect holds a
// *vault.Vault, never one of these.
var storeInterfaces = map[string]bool{"Store": true, "AccountStore": true, "KeyStore": true, "TokenStore": true,
	"CustomerStore": true, "CardStore": true, "ChargeOverStore": true}

// TestDialectsReachNoStore: the HTTP dialects talk to vault/ only. No
// non-test file of omiseapi/ or chargeoverapi/ imports a store package or
// names the Store contract.
func TestDialectsReachNoStore(t *testing.T) {
	for _, dir := range []string{"omiseapi", "chargeoverapi"} {
		for _, v := range storeReaches(t, dir) {
			t.Error(v)
		}
	}
	// The check itself finds both kinds of reach.
	bad := t.TempDir()
	src := "package x\nimport (\n\t\"github.com/cardvault/cardvault\"\n\t_ \"github.com/cardvault/cardvault/sqlite\"\n)\nvar _ cardvault.CardStore\n"
	if err := os.WriteFile(filepath.Join(bad, "x.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if v := storeReaches(t, bad); len(v) != 2 {
		t.Errorf("a file importing sqlite and naming cardvault.CardStore: %d findings %q, want 2", len(v), v)
	}
}

// storeReaches returns how the non-test Go files of dir reach storage other
// than through vault/.
func storeReaches(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no Go files (%v)", dir, err)
	}
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasSuffix(p, "/sqlite") || strings.HasSuffix(p, "/postgres") || strings.HasSuffix(p, "/storetest") {
				out = append(out, name+" imports "+p+": a dialect reaches storage through vault/ only")
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "cardvault" && storeInterfaces[sel.Sel.Name] {
					out = append(out, name+" names cardvault."+sel.Sel.Name+": a dialect holds a *vault.Vault, not a store")
				}
			}
			return true
		})
	}
	return out
}
