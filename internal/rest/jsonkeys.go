package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
)

// duplicateKey returns the first key that appears twice in one object of
// the JSON document data, as a dotted path ("prompt", "params.n"; an object
// inside an array is "items[].key"), or "" when every key is unique.
// encoding/json keeps the last of duplicate keys without a word, so a body
// such as {"prompt":"a","prompt":"b"} would run a prompt its author may not
// have meant; the REST endpoints refuse it instead. A malformed document is
// an error (the decoder that reads the body reports it better).
func duplicateKey(data []byte) (string, error) {
	return scanKeys(data, func(_, _ string, seen bool) bool { return seen })
}

// unknownKey returns the first key of data, in document order, that is
// not among known[path] for the object at path ("" for the top level,
// "params", ...), or "" when there is none. Objects at paths known does not
// list are not checked. It names the key the JSON decoder's
// DisallowUnknownFields refused, without parsing the decoder's message.
func unknownKey(data []byte, known map[string][]string) (string, error) {
	return scanKeys(data, func(path, key string, _ bool) bool {
		allowed, checked := known[path]
		return checked && !slices.Contains(allowed, key)
	})
}

// scanKeys walks the keys of every object in the JSON document data, in
// order, calling stop with the object's path, the key and whether the key
// was seen before in that object. It returns the path of the first key stop
// says to stop at, or "".
func scanKeys(data []byte, stop func(path, key string, seen bool) bool) (string, error) {
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
				seen := top.keys[key]
				top.keys[key] = true
				top.lastKey, top.wantKey = key, false
				if stop(top.path, key, seen) {
					return childPath(), nil
				}
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
