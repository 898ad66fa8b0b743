package api

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestFormToTree(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, form, want string
	}{
		{"flat", "from=491&to=492&text=hi", `{"from":"491","text":"hi","to":"492"}`},
		{"nested indices", "components[body][0]=Max&components[body][1]=ORD-1", `{"components":{"body":["Max","ORD-1"]}}`},
		{"index order is numeric", "a[10]=k&a[2]=c&a[0]=a", `{"a":["a","c","k"]}`},
		{"append", "a[]=x&a[]=y", `{"a":["x","y"]}`},
		{"deep", "contacts[0][name][first_name]=John&contacts[0][phones][0][phone]=%2B49&contacts[0][phones][0][type]=cell",
			`{"contacts":[{"name":{"first_name":"John"},"phones":[{"phone":"+49","type":"cell"}]}]}`},
		{"buttons", "components[buttons][0][type]=button&components[buttons][0][sub_type]=url&components[buttons][0][parameters][0][type]=text&components[buttons][0][parameters][0][text]=abc",
			`{"components":{"buttons":[{"parameters":[{"text":"abc","type":"text"}],"sub_type":"url","type":"button"}]}}`},
		{"mixed keys stay a map", "m[0]=a&m[x]=b", `{"m":{"0":"a","x":"b"}}`},
		{"equal indexes in key order", "a[1]=x&a[01]=y", `{"a":["y","x"]}`},
		{"index keys beside named ones at the top", "from=1&0=x", `{"0":"x","from":"1"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			form, err := url.ParseQuery(tc.form)
			if err != nil {
				t.Fatal(err)
			}
			tree, err := formToTree(form)
			if err != nil {
				t.Fatalf("formToTree: %v", err)
			}
			got, _ := json.Marshal(tree)
			if string(got) != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestFormToTreeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ form, why string }{
		{"a[b=1", "malformed"},
		{"[x]=1", "malformed"},
		{"a=1&a[b]=2", "conflicts"},
		{"a[b]=2&a=1", "conflicts"},
		// These used to panic: the root became a list.
		{"7", "not only indexes"},
		{"0=x", "not only indexes"},
		{"0=x&1=y", "not only indexes"},
		{"0[a]=x", "not only indexes"},
		// Found by FuzzFormToTree: the "[]" marker leaked into the tree.
		{"=x", "has no name"},
		{"a[]=x&a[y]=z", "must be a list or an object"},
		{"a[%00append0]=x", "must not contain U+0000"},
		{"a" + strings.Repeat("[0]", 17) + "=x", "at most 16 levels"},
	}
	for _, tc := range tests {
		t.Run(tc.form, func(t *testing.T) {
			t.Parallel()
			form, err := url.ParseQuery(tc.form)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := formToTree(form); err == nil || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("formToTree(%q) = %v, want an error saying %q", tc.form, err, tc.why)
			}
		})
	}
}
