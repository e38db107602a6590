package param

import (
	"net/url"
	"strings"
)

// ParseForm decodes an application/x-www-form-urlencoded body with Rails-style bracket keys.
//
//   - card[number]=1 gives {"card":{"number":"1"}}; metadata[plan][tier]=gold nests further.
//   - a[]=x&a[]=y gives {"a":["x","y"]}; [] is only recognised as the last bracket group.
//   - a[0]=x is an object with key "0", not an array (Rails behaviour).
//   - Values are strings. A repeated key: the last occurrence wins. A key used both as a scalar
//     and as an object or array (card=x&card[number]=1): the later assignment wins.
//   - Keys and values are percent-decoded first ("+" is a space), so card%5Bnumber%5D works.
//   - A key with malformed brackets (card[number, card]x[, [a], a[b]c) is kept literally as one
//     flat name. A pair without "=" has the value "" (absent); a pair with an empty key and
//     empty pairs (&&) are skipped. Only "&" separates pairs; ";" is an ordinary character.
//
// Invalid percent-encoding or nesting deeper than MaxDepth gives ErrMalformed, more than
// MaxNodes values ErrTooMany and input longer than MaxBytes ErrTooLarge. An empty body gives an
// empty tree. Decoded text is kept byte for byte: invalid UTF-8 and NUL bytes are the caller's
// to refuse.
func ParseForm(body string) (Params, error) {
	if len(body) > MaxBytes {
		return nil, ErrTooLarge
	}
	f := formTree{root: Params{}, nodes: 1}
	for body != "" {
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		if pair == "" {
			continue
		}
		if err := f.addPair(pair); err != nil {
			return nil, err
		}
	}
	return f.root, nil
}

// ParseQuery decodes a URL's raw query string (without the "?") exactly as ParseForm does.
func ParseQuery(raw string) (Params, error) {
	return ParseForm(raw)
}

// formTree is a form being decoded and the number of values it has created so far.
type formTree struct {
	root  Params
	nodes int
}

// addPair decodes one key=value pair and stores it in the tree.
func (f *formTree) addPair(pair string) error {
	rawKey, rawVal, _ := strings.Cut(pair, "=")
	key, err := url.QueryUnescape(rawKey)
	if err != nil {
		return ErrMalformed
	}
	val, err := url.QueryUnescape(rawVal)
	if err != nil {
		return ErrMalformed
	}
	if key == "" {
		return nil
	}
	path, err := splitKey(key)
	if err != nil {
		return err
	}
	return f.set(path, val)
}

// keyPath is a decoded form key: the names from the top level down, and whether the key
// ended in [] (append to an array).
type keyPath struct {
	names  []string
	append bool
}

// depth is the nesting this key creates, counting the top-level object.
func (k keyPath) depth() int {
	if k.append {
		return len(k.names) + 1
	}
	return len(k.names)
}

// splitKey splits name[a][b] into its names. A key that does not follow the bracket syntax
// exactly is returned whole as a single literal name; a valid key nested deeper than MaxDepth
// is ErrMalformed.
func splitKey(key string) (keyPath, error) {
	literal := keyPath{names: []string{key}}
	open := strings.IndexByte(key, '[')
	if open < 0 {
		return literal, nil
	}
	name := key[:open]
	if name == "" || strings.IndexByte(name, ']') >= 0 {
		return literal, nil
	}
	k := keyPath{names: []string{name}}
	for rest := key[open:]; rest != ""; {
		seg, after, ok := nextGroup(rest)
		if !ok || (seg == "" && after != "") {
			return literal, nil
		}
		rest = after
		if seg == "" {
			k.append = true
			break
		}
		if len(k.names) <= MaxDepth { // stop growing once too deep; only the count matters then
			k.names = append(k.names, seg)
		}
	}
	if k.depth() > MaxDepth {
		return keyPath{}, ErrMalformed
	}
	return k, nil
}

// nextGroup takes one "[seg]" group off the front of s. ok is false when s does not start with
// a well-formed group (missing "]", or a "[" inside the group).
func nextGroup(s string) (seg, rest string, ok bool) {
	if s[0] != '[' {
		return "", s, false
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return "", s, false
	}
	seg = s[1:end]
	if strings.IndexByte(seg, '[') >= 0 {
		return "", s, false
	}
	return seg, s[end+1:], true
}

// set stores val at path, replacing any scalar, array or object that is in the way so that
// the later assignment wins. Every object it creates and the value count towards MaxNodes,
// replaced ones included: they were allocated all the same.
func (f *formTree) set(k keyPath, val string) error {
	obj := f.root
	last := len(k.names) - 1
	for _, name := range k.names[:last] {
		child, ok := obj[name].(Params)
		if !ok {
			if f.nodes++; f.nodes > MaxNodes {
				return ErrTooMany
			}
			child = Params{}
			obj[name] = child
		}
		obj = child
	}
	if f.nodes++; f.nodes > MaxNodes {
		return ErrTooMany
	}
	leaf := k.names[last]
	if !k.append {
		obj[leaf] = val
		return nil
	}
	arr, ok := obj[leaf].([]any)
	if !ok {
		if f.nodes++; f.nodes > MaxNodes {
			return ErrTooMany
		}
	}
	obj[leaf] = append(arr, val)
	return nil
}
