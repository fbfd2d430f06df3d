package mcp

import (
	"errors"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// TestParseResourceURI: both forms parse; every other shape is refused
// naming the field and rule that say what is wrong with it.
func TestParseResourceURI(t *testing.T) {
	good := []struct {
		uri  string
		want resourceRef
	}{
		{"imagerequest://team-a/generate-x", resourceRef{"team-a", "generate-x", noImage}},
		{"imagerequest://team-a/generate-x/images/0", resourceRef{"team-a", "generate-x", 0}},
		{"imagerequest://team-a/generate-x/images/12", resourceRef{"team-a", "generate-x", 12}},
	}
	for _, tc := range good {
		if got, err := parseResourceURI(tc.uri); err != nil || got != tc.want {
			t.Errorf("parseResourceURI(%q) = %+v, %v; want %+v", tc.uri, got, err, tc.want)
		}
	}
	bad := []struct{ uri, field, rule string }{
		{"https://team-a/generate-x", "uri", rules.Template},
		{"imagerequest://team-a", "uri", rules.Template},
		{"imagerequest://team-a/generate-x/thumbnails/0", "uri", rules.Template},
		{"imagerequest://team-a/generate-x/images/0/x", "uri", rules.Template},
		{"imagerequest://team-a/generate-x/images/", "uri", rules.Type},
		{"imagerequest://team-a/generate-x/images/-1", "uri", rules.Type},
		{"imagerequest://team-a/generate-x/images/one", "uri", rules.Type},
		{"imagerequest://team-a/generate-x/images/01", "uri", rules.Type},
		{"imagerequest://team-a/generate-x/images/99999999999999999999", "uri", rules.Type},
		{"imagerequest://Team-A/generate-x/images/0", "namespace", rules.Pattern},
		{"imagerequest://team-a//images/0", "name", rules.MinLength},
	}
	for _, tc := range bad {
		_, err := parseResourceURI(tc.uri)
		var ie *imagerequests.InputError
		if !errors.As(err, &ie) || ie.Field != tc.field || ie.Rule != tc.rule {
			t.Errorf("parseResourceURI(%q) error = %v, want field %s rule %s", tc.uri, err, tc.field, tc.rule)
		}
	}
	// Subscriptions name requests: an image never changes.
	if _, _, err := parseRequestURI("imagerequest://team-a/generate-x/images/0"); err == nil {
		t.Error("parseRequestURI accepted an image resource")
	}
	if ns, name, err := parseRequestURI("imagerequest://team-a/generate-x"); err != nil || ns != "team-a" || name != "generate-x" {
		t.Errorf("parseRequestURI = %q, %q, %v", ns, name, err)
	}
}
