package iin

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// The issuer table comes from banks-db 0.12.0 (CC-BY-4.0, see NOTICE). To
// regenerate it, unpack the npm package and point BANKSDB at it; the generator
// documents the steps.
//
//go:generate go run ./internal/gen -o issuers.tsv $BANKSDB

// issuersTSV holds one BIN prefix per line: prefix<TAB>country<TAB>bank,
// sorted by prefix, with '#' comment lines. Each prefix appears once; the
// generator settles prefixes that banks-db gives to two banks.
//
//go:embed issuers.tsv
var issuersTSV string

// Issuer is what the embedded issuer table knows of a BIN. The data is
// community-maintained and "may not be accurate" (API.md §2.9).
type Issuer struct {
	Bank      string // English bank name, "" when unknown
	Country   string // lower-case ISO 3166 alpha-2, "" when unknown
	Financing string // "credit", "debit" or ""; the source has no such data, so always ""
}

// issuerTable maps each prefix to an index into issuers; the few hundred
// distinct issuers are stored once.
type issuerTable struct {
	byPrefix       map[string]uint16
	issuers        []Issuer
	minLen, maxLen int
}

// loadIssuers parses the embedded table once, on first use. The table is
// checked by the tests, so a parse error means a broken build and panics.
var loadIssuers = sync.OnceValue(func() *issuerTable {
	t, err := parseIssuers(issuersTSV)
	if err != nil {
		panic("iin: embedded issuers.tsv: " + err.Error())
	}
	return t
})

// Lookup returns the issuer of the longest prefix of digits that the embedded
// table holds, or the zero Issuer when no prefix matches or digits is empty or
// holds anything but ASCII digits.
func Lookup(digits string) Issuer {
	if !isDigits(digits) {
		return Issuer{}
	}
	t := loadIssuers()
	for n := min(len(digits), t.maxLen); n >= t.minLen; n-- {
		if i, ok := t.byPrefix[digits[:n]]; ok {
			return t.issuers[i]
		}
	}
	return Issuer{}
}

// parseIssuers reads the TSV form of the table. The strings of the result
// share memory with text.
func parseIssuers(text string) (*issuerTable, error) {
	t := &issuerTable{byPrefix: make(map[string]uint16, strings.Count(text, "\n"))}
	index := make(map[Issuer]uint16)
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		n++
		if line == "" || line[0] == '#' {
			continue
		}
		prefix, is, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if _, dup := t.byPrefix[prefix]; dup {
			return nil, fmt.Errorf("line %d: prefix %s repeated", n, prefix)
		}
		i, ok := index[is]
		if !ok {
			if len(t.issuers) > 0xffff {
				return nil, fmt.Errorf("line %d: too many distinct issuers", n)
			}
			i = uint16(len(t.issuers))
			index[is] = i
			t.issuers = append(t.issuers, is)
		}
		t.byPrefix[prefix] = i
		t.noteLen(len(prefix))
	}
	if len(t.byPrefix) == 0 {
		return nil, fmt.Errorf("no rows")
	}
	return t, nil
}

func parseLine(line string) (string, Issuer, error) {
	f := strings.Split(line, "\t")
	if len(f) != 3 {
		return "", Issuer{}, fmt.Errorf("%d fields, want 3", len(f))
	}
	if !isDigits(f[0]) {
		return "", Issuer{}, fmt.Errorf("prefix %q is not a digit string", f[0])
	}
	if !isCountry(f[1]) || f[2] == "" {
		return "", Issuer{}, fmt.Errorf("bad country %q or empty bank", f[1])
	}
	return f[0], Issuer{Bank: f[2], Country: f[1]}, nil
}

// isCountry reports whether s looks like a lower-case ISO 3166 alpha-2 code.
func isCountry(s string) bool {
	return len(s) == 2 && 'a' <= s[0] && s[0] <= 'z' && 'a' <= s[1] && s[1] <= 'z'
}

// noteLen widens the range of prefix lengths that Lookup tries.
func (t *issuerTable) noteLen(n int) {
	if t.minLen == 0 || n < t.minLen {
		t.minLen = n
	}
	t.maxLen = max(t.maxLen, n)
}
