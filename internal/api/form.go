package api

import (
	"fmt"
	"net/url"
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
	return arrayify(root).(map[string]any), nil
}

// splitFormKey splits "a[b][0][]" into ["a","b","0",""].
func splitFormKey(key string) ([]string, error) {
	i := strings.IndexByte(key, '[')
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
	}
	if path[0] == "" {
		return nil, fmt.Errorf("%s: malformed form key", key)
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

// arrayify converts maps whose keys are all indices into slices.
func arrayify(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for k, c := range m {
		m[k] = arrayify(c)
	}
	if len(m) == 0 {
		return m
	}
	type entry struct {
		idx int
		val any
	}
	entries := make([]entry, 0, len(m))
	for k, c := range m {
		if rest, ok := strings.CutPrefix(k, appendKey); ok {
			n, _ := strconv.Atoi(rest)
			entries = append(entries, entry{1<<30 + n, c})
			continue
		}
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 {
			return m
		}
		entries = append(entries, entry{n, c})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].idx < entries[j].idx })
	out := make([]any, len(entries))
	for i, e := range entries {
		out[i] = e.val
	}
	return out
}
