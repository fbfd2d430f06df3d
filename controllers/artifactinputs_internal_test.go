package controllers

import "testing"

// TestConfineKey: a request reads only results/, inputs/ and uploads/ of
// its own namespace, and no key that could mean another path.
func TestConfineKey(t *testing.T) {
	for key, allowed := range map[string]bool{
		"results/team-a/gen-1/uid/attempt-1/0.png": true,
		"inputs/team-a/edit-x/upload/image.png":    true,
		"uploads/team-a/photo.png":                 true,
		"uploads/team-a/dir/photo.png":             true,
		"results/team-b/gen-1/uid/attempt-1/0.png": false,
		"uploads/team-a":                           false,
		"uploads/team-a/":                          false,
		"/uploads/team-a/x.png":                    false,
		"uploads//team-a/x.png":                    false,
		"uploads/team-a/../team-b/x.png":           false,
		"uploads/team-a/./x.png":                   false,
		"uploads/team-a/..":                        false,
		`uploads/team-a/..\team-b\x.png`:           false,
		"uploads/team-a/x\x00.png":                 false,
		"secrets/team-a/x.png":                     false,
		"Results/team-a/x.png":                     false,
		"team-a/x.png":                             false,
		"":                                         false,
	} {
		why := confineKey("team-a", key)
		if (why == "") != allowed {
			t.Errorf("confineKey(team-a, %q) = %q, want allowed=%v", key, why, allowed)
		}
	}
}
