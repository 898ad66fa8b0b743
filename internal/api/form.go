package api

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// formToTree turns an application/x-www-form-urlencoded body with bracket
// keys (components[body][0]=Max, contacts[0][name][first_name]=John,
// to[]=a) into the value JSON would have given, so that one decoder serves
// both content types. Keys whose children are all numeric or empty ("[]")
// become arrays, ordered by index.
func formToTree(form url.Values) (map[string]any, error) {
	root := map[string]any{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic error messages
	for _, key := range keys {
		path, err := splitFormKey(key)
		if err != nil {
			return nil, err
		}
		for _, v := range form[key] {
			if err := setPath(root, path, v, key); err != nil {
				return nil, err
			}
		}
	}
	arr, err := arrayify(root)
	if err != nil {
		return nil, err
	}
	tree, ok := arr.(map[string]any)
	if !ok {
		// Every top-level key is an index ("0=x", "7"): the form stands
		// for a list, and a request is an object of named fields.
		return nil, fmt.Errorf("form keys must be field names such as from and to, not only indexes (got %.40q)", keys[0])
	}
	return tree, nil
}

// maxFormDepth bounds the nesting of a form key: the deepest request
// field (components[buttons][0][parameters][0][text]) has five levels, and
// each level is a recursion when the tree is built and encoded.
const maxFormDepth = 16

// splitFormKey splits "a[b][0][]" into ["a","b","0",""].
func splitFormKey(key string) ([]string, error) {
	if strings.IndexByte(key, 0) >= 0 {
		// Also keeps a key from posing as appendKey.
		return nil, fmt.Errorf("%q: a form key must not contain U+0000", key)
	}
	i := strings.IndexByte(key, '[')
	if i == 0 || key == "" {
		// "=x", "[0]=x": a value without a field name.
		return nil, fmt.Errorf("%q: malformed form key, it has no name", key)
	}
	if i < 0 {
		return []string{key}, nil
	}
	path := []string{key[:i]}
	rest := key[i:]
	for rest != "" {
		if rest[0] != '[' {
			return nil, fmt.Errorf("%s: malformed form key", key)
		}
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return nil, fmt.Errorf("%s: malformed form key", key)
		}
		path = append(path, rest[1:j])
		rest = rest[j+1:]
		if len(path) > maxFormDepth {
			return nil, fmt.Errorf("%.80s…: a form key may nest at most %d levels", key, maxFormDepth)
		}
	}
	return path, nil
}

// appendKey marks a "[]" segment: each value gets the next free index.
const appendKey = "\x00append"

func setPath(node map[string]any, path []string, value, key string) error {
	for i, seg := range path {
		last := i == len(path)-1
		if seg == "" {
			seg = fmt.Sprintf("%s%d", appendKey, len(node))
		}
		if last {
			if _, exists := node[seg]; exists {
				// Repeated scalar keys keep the last value, as PHP does.
				if _, isMap := node[seg].(map[string]any); isMap {
					return fmt.Errorf("%s: conflicts with a nested key", key)
				}
			}
			node[seg] = value
			return nil
		}
		child, ok := node[seg].(map[string]any)
		if !ok {
			if _, exists := node[seg]; exists {
				return fmt.Errorf("%s: conflicts with a plain key", key)
			}
			child = map[string]any{}
			node[seg] = child
		}
		node = child
	}
	return nil
}

// arrayify converts maps whose keys are all indices into slices, ordered
// by index (then by key, so that "1" and "01" come out the same way each
// time). A map that mixes "[]" with named keys ("a[]=x&a[y]=z") is an
// error: it is neither a list nor an object.
func arrayify(v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return v, nil
	}
	for k, c := range m {
		a, err := arrayify(c)
		if err != nil {
			return nil, err
		}
		m[k] = a
	}
	if len(m) == 0 {
		return m, nil
	}
	type entry struct {
		idx int
		key string
		val any
	}
	entries := make([]entry, 0, len(m))
	appended, named := false, ""
	for k, c := range m {
		if rest, ok := strings.CutPrefix(k, appendKey); ok {
			n, _ := strconv.Atoi(rest)
			entries = append(entries, entry{1<<30 + n, k, c})
			appended = true
			continue
		}
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 {
			named = k
			continue
		}
		entries = append(entries, entry{n, k, c})
	}
	switch {
	case named != "" && appended:
		return nil, fmt.Errorf("[] and the named key %q are used at one level: it must be a list or an object", named)
	case named != "":
		return m, nil
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.idx, b.idx), cmp.Compare(a.key, b.key))
	})
	out := make([]any, len(entries))
	for i, e := range entries {
		out[i] = e.val
	}
	return out, nil
}
