package api

import (
	"encoding/json"
	"net/url"
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
	for _, f := range []string{"a[b=1", "[x]=1", "a=1&a[b]=2", "a[b]=2&a=1"} {
		form, _ := url.ParseQuery(f)
		if _, err := formToTree(form); err == nil {
			t.Errorf("formToTree(%q): want an error", f)
		}
	}
}
