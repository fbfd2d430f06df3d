package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// duplicateKey returns the first key that appears twice in one object of
// the JSON document data, as a dotted path ("prompt", "params.n"; an object
// inside an array is "items[].key"), or "" when every key is unique.
// encoding/json keeps the last of duplicate keys without a word, so a body
// such as {"prompt":"a","prompt":"b"} would run a prompt its author may not
// have meant; the REST endpoints refuse it instead. A malformed document is
// an error (the decoder that reads the body reports it better).
func duplicateKey(data []byte) (string, error) {
	type frame struct {
		object  bool
		path    string
		keys    map[string]bool
		wantKey bool
		lastKey string
	}
	var stack []*frame
	// valueDone moves the enclosing object on to its next key.
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	// childPath is where a value starting now sits.
	childPath := func() string {
		if len(stack) == 0 {
			return ""
		}
		top := stack[len(stack)-1]
		if !top.object {
			return top.path + "[]"
		}
		if top.path == "" {
			return top.lastKey
		}
		return top.path + "." + top.lastKey
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) > 0 {
				return "", io.ErrUnexpectedEOF
			}
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			top := stack[n-1]
			if key, ok := tok.(string); ok {
				if top.keys[key] {
					top.lastKey = key
					return childPath(), nil
				}
				top.keys[key] = true
				top.lastKey, top.wantKey = key, false
				continue
			}
			// The only other token where a key may be is the object's end.
			stack = stack[:n-1]
			valueDone()
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, path: childPath(), keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: childPath()})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}
