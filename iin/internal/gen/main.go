// Command gen converts the banks-db BIN database into iin/issuers.tsv.
//
// Usage, from the repository root:
//
//	cd /tmp && npm pack banks-db@0.12.0 && tar xzf banks-db-0.12.0.tgz
//	BANKSDB=/tmp/package go generate ./iin
//
// which runs, in the iin directory,
//
//	go run ./internal/gen -o issuers.tsv /tmp/package
//
// The argument is the unpacked npm package (the directory holding package.json
// and banks/). Every banks/<country>/<bank>.json file contributes one row per
// prefix: prefix<TAB>country<TAB>engTitle, sorted by prefix. The first line is a
// '#' comment naming the source.
//
// When two banks claim the same prefix, the bank that comes later in the order
// (country directory, file name) wins. In banks-db 0.12.0 that is exactly the
// order of its banks/index.js and banks/<country>/index.js require lists, and
// banks-db's own findBank lets the later bank overwrite the earlier one, so the
// table answers what banks-db itself answers. Collisions are reported on stderr.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// bank is the part of a banks-db bank file that the table uses.
type bank struct {
	Name     string        `json:"name"`
	Country  string        `json:"country"`
	EngTitle string        `json:"engTitle"`
	Prefixes []json.Number `json:"prefixes"`
}

// row is one line of issuers.tsv.
type row struct {
	prefix, country, bank string
	source                string // country/file, for collision reports
}

func main() {
	out := flag.String("o", "issuers.tsv", "output file")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gen [-o issuers.tsv] <unpacked banks-db package directory>")
		fmt.Fprintln(os.Stderr, "(under go generate, set BANKSDB to that directory)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || flag.Arg(0) == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	version, err := packageVersion(dir)
	if err != nil {
		return err
	}
	rows, err := readBanks(filepath.Join(dir, "banks"))
	if err != nil {
		return err
	}
	byPrefix := resolve(rows)
	return write(out, version, byPrefix)
}

// packageVersion reads the name and version from package.json, for the header.
func packageVersion(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", err
	}
	var p struct{ Name, Version, License string }
	if err := json.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("package.json: %w", err)
	}
	if p.Name != "banks-db" {
		return "", fmt.Errorf("package.json names %q, want banks-db", p.Name)
	}
	return fmt.Sprintf("%s@%s (%s)", p.Name, p.Version, p.License), nil
}

// readBanks returns every prefix of every bank file, in (country, file) order.
func readBanks(root string) ([]row, error) {
	files, err := filepath.Glob(filepath.Join(root, "*", "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no bank files under %s", root)
	}
	slices.Sort(files) // Glob sorts too; being explicit keeps the collision rule visible.
	var rows []row
	for _, f := range files {
		r, err := readBank(f)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

func readBank(path string) ([]row, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var bk bank
	if err := json.Unmarshal(b, &bk); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	country := strings.ToLower(strings.TrimSpace(bk.Country))
	title := strings.TrimSpace(bk.EngTitle)
	if err := check(country, title); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	source := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
	rows := make([]row, 0, len(bk.Prefixes))
	for _, p := range bk.Prefixes {
		if !allDigits(string(p)) {
			return nil, fmt.Errorf("%s: prefix %q is not a digit string", path, p)
		}
		rows = append(rows, row{string(p), country, title, source})
	}
	return rows, nil
}

func check(country, title string) error {
	if len(country) != 2 || country[0] < 'a' || country[0] > 'z' || country[1] < 'a' || country[1] > 'z' {
		return fmt.Errorf("country %q is not ISO 3166 alpha-2", country)
	}
	if title == "" || strings.ContainsAny(title, "\t\r\n") {
		return fmt.Errorf("engTitle %q is empty or holds a tab or newline", title)
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// resolve keeps one row per prefix: the last one in input order (see the
// package comment), reporting every overwritten claim.
func resolve(rows []row) map[string]row {
	m := make(map[string]row, len(rows))
	for _, r := range rows {
		if old, ok := m[r.prefix]; ok && (old.country != r.country || old.bank != r.bank) {
			fmt.Fprintf(os.Stderr, "gen: prefix %s: %s (%s, %s) overrides %s (%s, %s)\n",
				r.prefix, r.source, r.country, r.bank, old.source, old.country, old.bank)
		}
		m[r.prefix] = r
	}
	return m
}

func write(path, version string, byPrefix map[string]row) error {
	prefixes := make([]string, 0, len(byPrefix))
	for p := range byPrefix {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "# prefix\tcountry\tbank; from %s, see NOTICE; generated by iin/internal/gen, do not edit\n", version)
	for _, p := range prefixes {
		r := byPrefix[p]
		fmt.Fprintf(w, "%s\t%s\t%s\n", r.prefix, r.country, r.bank)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
