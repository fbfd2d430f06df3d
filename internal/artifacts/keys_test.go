package artifacts

import (
	"strings"
	"testing"
)

var testRef = Ref{Namespace: "team-a", Name: "cat", UID: "0f8fad5b-d9cb-469f-a165-70867728950e"}

func TestKeys(t *testing.T) {
	const base = "team-a/cat/0f8fad5b-d9cb-469f-a165-70867728950e/"
	tests := []struct {
		name, got, want string
	}{
		{"result png", ResultKey(testRef, 1, 0, "image/png"), "results/" + base + "attempt-1/0.png"},
		{"result jpeg with parameters", ResultKey(testRef, 3, 2, "image/jpeg; charset=binary"), "results/" + base + "attempt-3/2.jpg"},
		{"result webp", ResultKey(testRef, 2, 1, "IMAGE/WEBP"), "results/" + base + "attempt-2/1.webp"},
		{"result of unknown type kept", ResultKey(testRef, 1, 0, "application/octet-stream"), "results/" + base + "attempt-1/0.bin"},
		{"manifest", ManifestKey(testRef, 4), "results/" + base + "attempt-4/manifest.json"},
		{"attempt prefix", AttemptPrefix(testRef, 4), "results/" + base + "attempt-4/"},
		{"input image", InputKey(testRef, FieldImage), "inputs/" + base + "image.png"},
		{"input mask", InputKey(testRef, FieldMask), "inputs/" + base + "mask.png"},
		{"input image in WebP", InputKeyFor(testRef, FieldImage, "image/webp"), "inputs/" + base + "image.webp"},
		{"additional image in JPEG", InputKeyFor(testRef, AdditionalImage(3), "image/jpeg"), "inputs/" + base + "image-3.jpg"},
		{"results prefix", RequestPrefix(ResultsPrefix, testRef), "results/" + base},
		{"inputs prefix", RequestPrefix(InputsPrefix, testRef), "inputs/" + base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestRefValidate(t *testing.T) {
	tests := []struct {
		name    string
		ref     Ref
		wantErr string
	}{
		{"valid", testRef, ""},
		{"dotted name is fine", Ref{"ns", "a.b.c", "u"}, ""},
		{"empty namespace", Ref{"", "n", "u"}, "namespace"},
		{"empty uid", Ref{"ns", "n", ""}, "uid"},
		{"slash in name", Ref{"ns", "a/b", "u"}, "name"},
		{"dot-dot name", Ref{"ns", "..", "u"}, "name"},
		{"backslash", Ref{"ns", `a\b`, "u"}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ref.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one naming %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		key     string
		want    KeyInfo
		wantErr bool
	}{
		{key: ResultKey(testRef, 2, 1, "image/png"), want: KeyInfo{Kind: ResultsPrefix, Ref: testRef, Attempt: 2, Name: "1.png"}},
		{key: ManifestKey(testRef, 7), want: KeyInfo{Kind: ResultsPrefix, Ref: testRef, Attempt: 7, Name: ManifestName}},
		{key: InputKey(testRef, FieldMask), want: KeyInfo{Kind: InputsPrefix, Ref: testRef, Name: "mask.png"}},
		{key: InputKeyFor(testRef, AdditionalImage(15), "image/webp"), want: KeyInfo{Kind: InputsPrefix, Ref: testRef, Name: "image-15.webp"}},
		{key: InputKeyFor(testRef, FieldImage, "image/jpeg"), want: KeyInfo{Kind: InputsPrefix, Ref: testRef, Name: "image.jpg"}},
		{key: "inputs/ns/n/u/image-0.png", wantErr: true},
		{key: "inputs/ns/n/u/image-01.png", wantErr: true},
		{key: "inputs/ns/n/u/image.exe", wantErr: true},
		{key: "inputs/ns/n/u/image.png.png", wantErr: true},
		{key: "results/ns/n/u/attempt-0/0.png", wantErr: true},
		{key: "results/ns/n/u/try-1/0.png", wantErr: true},
		{key: "results/ns/n/u/attempt-1/../0.png", wantErr: true},
		{key: "results/ns/../u/attempt-1/0.png", wantErr: true},
		{key: "inputs/ns/n/u/other.png", wantErr: true},
		{key: "inputs/ns/n/u/x/image.png", wantErr: true},
		{key: "secrets/ns/n/u/attempt-1/0.png", wantErr: true},
		{key: "results/ns/n", wantErr: true},
		{key: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, err := ParseKey(tt.key)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseKey(%q) = %+v, want an error", tt.key, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseKey(%q) = %+v, %v; want %+v", tt.key, got, err, tt.want)
			}
		})
	}
}
