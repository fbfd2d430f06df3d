package upstream

import (
	"testing"
	"time"
)

func TestURLExpiry(t *testing.T) {
	cases := map[string]struct {
		url    string
		want   time.Time
		wantOK bool
	}{
		"azure sas, rfc3339 (OpenAI's DALL-E URLs)": {
			url:  "https://oaidalleapiprodscus.blob.core.windows.net/private/org/img-1.png?st=2026-04-01T10%3A00%3A00Z&se=2026-04-01T12%3A00%3A00Z&sp=r&sig=abc",
			want: time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC), wantOK: true,
		},
		"simulator, unix seconds": {
			url:  "http://127.0.0.1:8089/images/generations/img-x.png?i=0&se=1780000000&sig=s",
			want: time.Unix(1780000000, 0), wantOK: true,
		},
		"aws sigv4": {
			url:  "https://b.s3.amazonaws.com/k.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261201T101500Z&X-Amz-Expires=900&X-Amz-Signature=x",
			want: time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC), wantOK: true,
		},
		"google v4": {
			url:  "https://storage.googleapis.com/b/k.png?X-Goog-Date=20261201T100000Z&X-Goog-Expires=3600&X-Goog-Signature=x",
			want: time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC), wantOK: true,
		},
		"expires, unix seconds": {url: "https://cdn.example/k.png?Expires=1780000100&Signature=x", want: time.Unix(1780000100, 0), wantOK: true},
		"no signature":          {url: "https://example.com/a.png"},
		"garbage se":            {url: "https://example.com/a.png?se=soon"},
		"negative lifetime":     {url: "https://b/k.png?X-Amz-Date=20261201T101500Z&X-Amz-Expires=-5"},
		"unparsable url":        {url: "://"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := URLExpiry(tc.url)
			if ok != tc.wantOK || !got.Equal(tc.want) {
				t.Fatalf("URLExpiry() = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
