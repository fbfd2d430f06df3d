package upstream

import (
	"net/url"
	"strconv"
	"time"
)

// URLExpiry reads when a signed image URL stops working from the URL itself,
// so status says what the upstream says rather than what a model's documented
// lifetime suggests. It knows the signing schemes an Images API URL comes
// with: Azure Blob SAS (`se`, which OpenAI's DALL-E URLs use, as an RFC 3339
// time; the simulator writes Unix seconds), AWS SigV4 (`X-Amz-Date` plus
// `X-Amz-Expires`), Google V4 (`X-Goog-Date` plus `X-Goog-Expires`) and the
// older `Expires` (Unix seconds) of S3 V2, GCS and CloudFront. ok is false
// when the URL carries none of them.
func URLExpiry(rawURL string) (expires time.Time, ok bool) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return time.Time{}, false
	}
	q := u.Query()
	if se := q.Get("se"); se != "" {
		return parseTimeOrUnix(se)
	}
	for _, scheme := range []struct{ date, lifetime string }{
		{"X-Amz-Date", "X-Amz-Expires"},
		{"X-Goog-Date", "X-Goog-Expires"},
	} {
		date, lifetime := q.Get(scheme.date), q.Get(scheme.lifetime)
		if date == "" || lifetime == "" {
			continue
		}
		signed, err := time.Parse("20060102T150405Z", date)
		secs, err2 := strconv.ParseInt(lifetime, 10, 64)
		if err != nil || err2 != nil || secs <= 0 {
			return time.Time{}, false
		}
		return signed.Add(time.Duration(secs) * time.Second), true
	}
	if exp := q.Get("Expires"); exp != "" {
		secs, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || secs <= 0 {
			return time.Time{}, false
		}
		return time.Unix(secs, 0), true
	}
	return time.Time{}, false
}

func parseTimeOrUnix(v string) (time.Time, bool) {
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs > 0 {
		return time.Unix(secs, 0), true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	return time.Time{}, false
}
