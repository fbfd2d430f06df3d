package rest

import "testing"

func TestDuplicateKey(t *testing.T) {
	cases := map[string]struct {
		doc  string
		want string
	}{
		"unique":                       {doc: `{"prompt":"a","params":{"n":1,"size":"256x256"},"wait_seconds":3}`},
		"top level":                    {doc: `{"prompt":"a","prompt":"b"}`, want: "prompt"},
		"nested":                       {doc: `{"prompt":"a","params":{"n":1,"size":"256x256","n":2}}`, want: "params.n"},
		"same key in sibling objects":  {doc: `{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}`},
		"after a nested object":        {doc: `{"params":{"n":1},"prompt":"a","params":{}}`, want: "params"},
		"inside an array":              {doc: `{"a":[1,{"x":1,"x":2}]}`, want: "a[].x"},
		"values equal to keys":         {doc: `{"a":"a","b":["a","b"],"c":{"a":"b"}}`},
		"empty containers":             {doc: `{"a":{},"b":[],"c":[[],{}],"d":null}`},
		"deep":                         {doc: `{"a":{"b":{"c":{"d":1,"d":1}}}}`, want: "a.b.c.d"},
		"not an object":                {doc: `[1,2,3]`},
		"duplicate after array of obj": {doc: `{"a":[{"k":1}],"k":1,"k":2}`, want: "k"},
	}
	for name, tc := range cases {
		got, err := duplicateKey([]byte(tc.doc))
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, tc.want)
		}
	}
	if _, err := duplicateKey([]byte(`{"a":`)); err == nil {
		t.Error("a truncated document is not an error")
	}
}

func TestUnknownKey(t *testing.T) {
	known := map[string][]string{"": {"prompt", "params"}, "params": {"n"}}
	cases := map[string]string{
		`{"prompt":"a","params":{"n":1}}`:               "",
		`{"prompt":"a","quality":"hd","zz":1}`:          "quality",
		`{"params":{"n":1,"style":"x"},"quality":"hd"}`: "params.style",
		`{"prompt":{"anything":1}}`:                     "",
	}
	for doc, want := range cases {
		if got, err := unknownKey([]byte(doc), known); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", doc, got, err, want)
		}
	}
}
