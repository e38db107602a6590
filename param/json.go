package param

import (
	"bytes"
	"encoding/json"
)

// ParseJSON decodes a body that must be exactly one JSON object (surrounding whitespace
// allowed). Numbers are kept as json.Number with their literal text, never float64; nested
// objects become Params and arrays []any. Duplicate keys: the last one wins. An empty body,
// a syntax error, a top-level value other than an object, trailing data, or nesting deeper
// than MaxDepth gives ErrNotJSON. Invalid UTF-8 inside strings is replaced by U+FFFD.
func ParseJSON(body []byte) (Params, error) {
	if !json.Valid(body) || firstNonSpace(body) != '{' || jsonDepth(body) > MaxDepth {
		return nil, ErrNotJSON
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, ErrNotJSON
	}
	return adopt(m).(Params), nil
}

// firstNonSpace returns the first byte of b that is not JSON whitespace, or 0.
func firstNonSpace(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

// jsonDepth returns the deepest nesting of objects and arrays in b, which must be valid JSON.
// It scans bytes without recursion, so it is safe on any input.
func jsonDepth(b []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// adopt turns the map[string]any objects produced by encoding/json into Params, in place.
// Its recursion is bounded by MaxDepth, which the caller has checked.
func adopt(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			t[k] = adopt(c)
		}
		return Params(t)
	case []any:
		for i, c := range t {
			t[i] = adopt(c)
		}
	}
	return v
}
