package query

import (
	"fmt"
	"strings"
)

// OrderKey is one sort key: a schema field, ascending unless Desc.
type OrderKey struct {
	Field Field
	Desc  bool
}

// parseOrder parses the order value "field[:ASC|DESC],…" and appends the id
// tie-breaker. Keys are plain text: field names never contain backslashes,
// so there is no escaping. A field repeated later is dropped (the first key
// for a field decides its direction). It returns the first problem as a
// detail message, numbering keys from 1. More than MaxOrderKeys keys are
// refused before any is parsed.
func parseOrder(v string, s Schema, id Field) ([]OrderKey, string) {
	var keys []OrderKey
	if v != "" && strings.Count(v, ",") >= MaxOrderKeys {
		return nil, msgTooManyKeys
	}
	if v != "" {
		for i, raw := range strings.Split(v, ",") {
			k, problem := parseKey(raw, s)
			if problem != "" {
				return nil, fmt.Sprintf("key %d: %s", i+1, problem)
			}
			if !hasKey(keys, k.Field.Name) {
				keys = append(keys, k)
			}
		}
	}
	if !hasKey(keys, id.Name) {
		keys = append(keys, OrderKey{Field: id})
	}
	return keys, ""
}

// parseKey parses one order key. Problems are reported in the order
// malformed (empty key, empty field, empty direction after a colon, more than
// one colon), not sortable, invalid direction.
func parseKey(raw string, s Schema) (OrderKey, string) {
	name, dir, hasDir := strings.Cut(raw, ":")
	if name == "" || (hasDir && dir == "") || strings.Contains(dir, ":") {
		return OrderKey{}, msgMalformed
	}
	f, ok := s.Lookup(name)
	if !ok {
		return OrderKey{}, msgNotSortable
	}
	switch {
	case !hasDir || equalFoldASCII(dir, "ASC"):
		return OrderKey{Field: f}, ""
	case equalFoldASCII(dir, "DESC"):
		return OrderKey{Field: f, Desc: true}, ""
	}
	return OrderKey{}, msgBadDirection
}

// hasKey reports whether keys already sorts by the field called name.
func hasKey(keys []OrderKey, name string) bool {
	for _, k := range keys {
		if k.Field.Name == name {
			return true
		}
	}
	return false
}
