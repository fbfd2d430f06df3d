package artifacts

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func testKey(id string) SigningKey {
	return SigningKey{ID: id, Secret: []byte(strings.Repeat(id, 64))[:MinSecretBytes]}
}

// at returns a signer whose clock reads now.
func at(s *Signer, now time.Time) *Signer {
	c := *s
	c.now = func() time.Time { return now }
	return &c
}

func mustSigner(t *testing.T, keys ...SigningKey) *Signer {
	t.Helper()
	s, err := NewSigner(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignerVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	key := ResultKey(testRef, 1, 0, "image/png")
	old := mustSigner(t, testKey("k-2026-01"))
	rotated := mustSigner(t, testKey("k-2026-07"), testKey("k-2026-01"))
	retired := mustSigner(t, testKey("k-2026-07"))
	q := old.Sign(key, now.Add(time.Hour))
	newQ := rotated.Sign(key, now.Add(time.Hour))

	set := func(query, name, value string) string {
		v, _ := url.ParseQuery(query)
		v.Set(name, value)
		return v.Encode()
	}
	del := func(query, name string) string {
		v, _ := url.ParseQuery(query)
		v.Del(name)
		return v.Encode()
	}
	tests := []struct {
		name    string
		signer  *Signer
		key     string
		query   string
		now     time.Time
		wantErr error
	}{
		{"valid", old, key, q, now, nil},
		{"valid a second before expiry", old, key, q, now.Add(time.Hour - time.Second), nil},
		{"expired at expiry", old, key, q, now.Add(time.Hour), ErrExpired},
		{"expired later", old, key, q, now.Add(48 * time.Hour), ErrExpired},
		{"another key", old, ResultKey(testRef, 1, 1, "image/png"), q, now, ErrBadSignature},
		{"expiry pushed back", old, key, set(q, "exp", "1900000000"), now, ErrBadSignature},
		{"signature changed", old, key, set(q, "sig", strings.Repeat("A", 43)), now, ErrBadSignature},
		{"expired and tampered says tampered", old, key, set(q, "exp", "1700000000"), now, ErrBadSignature},
		{"unknown key id", old, key, set(q, "kid", "k-2099"), now, ErrBadSignature},
		{"rotation: old URL still valid", rotated, key, q, now, nil},
		{"rotation: new URL valid", rotated, key, newQ, now, nil},
		{"rotation: old URL still expires", rotated, key, q, now.Add(2 * time.Hour), ErrExpired},
		{"old key retired", retired, key, q, now, ErrBadSignature},
		{"new URL under the old keyring", old, key, newQ, now, ErrBadSignature},
		{"no sig", old, key, del(q, "sig"), now, ErrMalformed},
		{"no exp", old, key, del(q, "exp"), now, ErrMalformed},
		{"no kid", old, key, del(q, "kid"), now, ErrMalformed},
		{"exp not a number", old, key, set(q, "exp", "tomorrow"), now, ErrMalformed},
		{"sig not base64url", old, key, set(q, "sig", "!!!"), now, ErrMalformed},
		{"query unparsable", old, key, "exp=%zz", now, ErrMalformed},
		{"empty query", old, key, "", now, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, err := at(tt.signer, tt.now).Verify(tt.key, tt.query)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Verify: %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && !exp.Equal(now.Add(time.Hour)) {
				t.Fatalf("expiry %s, want %s", exp, now.Add(time.Hour))
			}
		})
	}
	if !strings.Contains(newQ, "kid=k-2026-07") {
		t.Errorf("rotated signer signs with %q, want the newest key k-2026-07", newQ)
	}
}

func TestNewSignerRefuses(t *testing.T) {
	tests := []struct {
		name string
		keys []SigningKey
	}{
		{"no keys", nil},
		{"short secret", []SigningKey{{ID: "a", Secret: []byte("short")}}},
		{"empty id", []SigningKey{{ID: "", Secret: make([]byte, 32)}}},
		{"id with a space", []SigningKey{{ID: "a b", Secret: make([]byte, 32)}}},
		{"duplicate id", []SigningKey{testKey("a"), testKey("a")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewSigner(tt.keys...); err == nil {
				t.Fatal("NewSigner accepted it")
			}
		})
	}
}

func TestSignerFromSecretDataSignsWithGreatestName(t *testing.T) {
	s, err := SignerFromSecretData(map[string][]byte{
		"k-20260101": testKey("x").Secret,
		"k-20260701": testKey("y").Secret,
	})
	if err != nil {
		t.Fatal(err)
	}
	if q := s.Sign("k", time.Now().Add(time.Hour)); !strings.Contains(q, "kid=k-20260701") {
		t.Fatalf("signed with %q, want kid k-20260701", q)
	}
	if _, err := s.Verify("k", mustSigner(t, SigningKey{ID: "k-20260101", Secret: testKey("x").Secret}).Sign("k", time.Now().Add(time.Hour))); err != nil {
		t.Fatalf("a URL of the older key: %v", err)
	}
}

func TestSignerURL(t *testing.T) {
	s := mustSigner(t, testKey("a"))
	key := ResultKey(testRef, 1, 0, "image/png")
	u, err := url.Parse(s.URL("https://manager:8443/", key, time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != HandlerPrefix+key {
		t.Fatalf("path %q, want %q", u.Path, HandlerPrefix+key)
	}
	if _, err := s.Verify(strings.TrimPrefix(u.Path, HandlerPrefix), u.RawQuery); err != nil {
		t.Fatal(err)
	}
}
