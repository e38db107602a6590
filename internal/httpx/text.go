package httpx

import (
	"strings"
	"unicode/utf8"
)

// StorableText reports whether client text may be stored: valid UTF-8
// without NUL bytes. Every store can hold such text exactly (PostgreSQL text
// holds neither invalid UTF-8 nor NUL), and the where language can match it.
// Both dialects refuse other text in any field they store.
func StorableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
