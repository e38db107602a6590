// Package param decodes Omise-dialect request parameters into one tree and reads typed values
// out of it with the coercion rules of the API contract (§2.1).
//
// A body arrives either form-encoded with bracket keys (card[number]=…) or as JSON; list
// endpoints also read the query string. ParseForm, ParseJSON and ParseQuery turn each of them
// into a Params tree, Merge overlays the query on the body, and the accessors (String, Int,
// Object, …) coerce single parameters. The package knows nothing about HTTP: choosing the
// decoder from the Content-Type and limiting the body size are the caller's job.
//
// Errors are fixed sentinel values and never carry input text, which may hold a card number.
package param

import (
	"encoding/json"
	"errors"
	"maps"
)

// Limits on what decoding may build, so that the memory a request costs is a small multiple of
// its size whatever its shape. A real client sends a few dozen parameters; a metadata object at
// its 16 KiB limit holds at most a few thousand values.
const (
	// MaxDepth is the deepest nesting a decoded tree may have, counting the top-level object as 1:
	// {"a":{}} and a[b]=1 have depth 2, a[]=x has depth 2 (the array counts). Deeper input is
	// rejected with ErrNotJSON or ErrMalformed so hostile bodies cannot exhaust the stack.
	MaxDepth = 32

	// MaxNodes is the most values a decoded tree may hold: every object, array, string, number,
	// boolean and null, the top-level object included. A form pair counts its value and every
	// object it creates (a[b][c]=1 on an empty tree: 3). More gives ErrTooMany.
	MaxNodes = 10000

	// MaxBytes is the longest input ParseForm, ParseQuery and ParseJSON accept (the request body
	// limit). Longer gives ErrTooLarge.
	MaxBytes = 1 << 20
)

// ErrNotJSON reports a body that is not one JSON object (syntax error, other top-level value,
// trailing data, empty body or nesting deeper than MaxDepth). Its text is what Omise clients see.
var ErrNotJSON = errors.New("request body is not valid JSON")

// ErrMalformed reports a form body or query string that cannot be decoded (invalid percent
// encoding, or bracket nesting deeper than MaxDepth).
var ErrMalformed = errors.New("request parameters are malformed")

// ErrTooMany reports input that would decode to more than MaxNodes values.
var ErrTooMany = errors.New("request has too many parameters")

// ErrTooLarge reports input longer than MaxBytes.
var ErrTooLarge = errors.New("request parameters are too large")

// Params is a decoded parameter tree. Values are string, json.Number, bool, nil, []any or
// Params (a nested object). Reading from a nil Params is allowed and finds nothing.
type Params map[string]any

// Status is the state of one parameter after coercion.
type Status uint8

const (
	// Absent means the key is missing or its value is "" or null.
	Absent Status = iota
	// Valid means the value was present and coerced to the requested type.
	Valid
	// Invalid means the value was present but cannot be read as the requested type.
	Invalid
)

// String returns "absent", "valid" or "invalid".
func (s Status) String() string {
	switch s {
	case Absent:
		return "absent"
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	}
	return "unknown"
}

// isAbsent reports whether v counts as "not given": nil (JSON null) or an empty string.
func isAbsent(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case json.Number:
		return t == ""
	}
	return false
}

// Has reports whether key is present with a value other than "" or null.
func (p Params) Has(key string) bool {
	return !isAbsent(p[key])
}

// Raw returns the value of key as stored in the tree (a nested object comes back as Params,
// shared, not copied). The boolean is false, and the value nil, when key is absent ("" or null
// included), as for Has.
func (p Params) Raw(key string) (any, bool) {
	v := p[key]
	if isAbsent(v) {
		return nil, false
	}
	return v, true
}

// Object returns the nested object at key: Valid for an object (also an empty one), Absent for
// a missing key, "" or null, and Invalid for any other value.
func (p Params) Object(key string) (Params, Status) {
	v := p[key]
	if isAbsent(v) {
		return nil, Absent
	}
	if obj, ok := v.(Params); ok {
		return obj, Valid
	}
	return nil, Invalid
}

// String returns the string at key. Strings come back exactly as given (not trimmed); a JSON
// number comes back as its literal text from the body (a 16-digit number stays those digits; 12.0 stays "12.0"). Booleans,
// objects and arrays are Invalid.
func (p Params) String(key string) (string, Status) {
	v := p[key]
	if isAbsent(v) {
		return "", Absent
	}
	switch t := v.(type) {
	case string:
		return t, Valid
	case json.Number:
		return string(t), Valid
	}
	return "", Invalid
}

// Int returns the integer at key. Valid are JSON numbers with an integral value in int64 range
// (12, 12.0, 1.2e1, -3) and strings of ASCII digits only (12, 007). Everything else is Invalid:
// fractions, overflow, signs or spaces in strings ("-1", " 12"), "1.0", booleans, objects, arrays.
func (p Params) Int(key string) (int64, Status) {
	v := p[key]
	if isAbsent(v) {
		return 0, Absent
	}
	var n int64
	var ok bool
	switch t := v.(type) {
	case string:
		n, ok = digitsInt(t)
	case json.Number:
		n, ok = numberInt(string(t))
	}
	if !ok {
		return 0, Invalid
	}
	return n, Valid
}

// Merge returns a new tree holding body overlaid by query: for a top-level key present in both,
// the query's value wins, even when it is "" (absent). Objects are not merged key by key, and
// nested values are shared with the inputs, which are left unchanged.
func Merge(query, body Params) Params {
	out := make(Params, len(body)+len(query))
	maps.Copy(out, body)
	maps.Copy(out, query)
	return out
}

// ToJSONValue returns a deep copy of v made of plain JSON-marshalable values: every Params
// becomes a map[string]any, arrays are copied, and scalars (string, json.Number, bool, nil)
// are kept as they are. Use it to store or render a subtree such as metadata: from a form
// every leaf is a string; from JSON numbers, booleans, nulls, objects and arrays survive.
func ToJSONValue(v any) any {
	switch t := v.(type) {
	case Params:
		return copyObject(t)
	case map[string]any:
		return copyObject(t)
	case []any:
		out := make([]any, len(t))
		for i, c := range t {
			out[i] = ToJSONValue(c)
		}
		return out
	}
	return v
}

func copyObject[M ~map[string]any](m M) map[string]any {
	out := make(map[string]any, len(m))
	for k, c := range m {
		out[k] = ToJSONValue(c)
	}
	return out
}
