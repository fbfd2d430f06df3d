package artifacts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Errors of Verify; the handler answers 403 with the reason for each.
var (
	ErrExpired      = errors.New("artifact URL has expired")
	ErrBadSignature = errors.New("artifact URL signature is invalid")
	ErrMalformed    = errors.New("artifact URL is malformed")
)

// MinSecretBytes is the shortest signing secret accepted.
const MinSecretBytes = 32

// SigningKey is one HMAC-SHA256 key of the keyring. ID appears in every URL
// it signs (kid=), so verification finds the key without trying each.
type SigningKey struct {
	ID     string
	Secret []byte
}

// Signer signs and verifies the operator's artifact URLs: an HMAC-SHA256
// over the key and the expiry. It signs with the newest key and verifies
// against every key of the keyring, so during a rotation URLs signed with the
// old key stay valid until they expire. A signer from SignerFromFile
// re-reads its keyring when the files change (see keyFile).
type Signer struct {
	ring *keyring // fixed keys; nil when file supplies them
	file *keyFile
	now  func() time.Time
}

// keyring is one set of keys: the newest signs, all verify.
type keyring struct {
	sign   SigningKey
	verify map[string][]byte
}

// keys is the keyring in force now.
func (s *Signer) keys() *keyring {
	if s.file != nil {
		return s.file.current()
	}
	return s.ring
}

// NewSigner builds a signer from a keyring whose first key is the newest:
// it signs, and all verify. IDs must be distinct, non-empty and URL-safe
// (letters, digits, '-', '_', '.'); secrets at least MinSecretBytes long.
func NewSigner(keys ...SigningKey) (*Signer, error) {
	ring, err := newKeyring(keys)
	if err != nil {
		return nil, err
	}
	return &Signer{ring: ring, now: time.Now}, nil
}

func newKeyring(keys []SigningKey) (*keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("artifact URL signer: no keys")
	}
	s := &keyring{sign: keys[0], verify: make(map[string][]byte, len(keys))}
	for _, k := range keys {
		if k.ID == "" || strings.Trim(k.ID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
			return nil, fmt.Errorf("artifact URL signer: key id %q must be non-empty letters, digits, '-', '_' or '.'", k.ID)
		}
		if len(k.Secret) < MinSecretBytes {
			return nil, fmt.Errorf("artifact URL signer: key %q has %d bytes, fewer than %d", k.ID, len(k.Secret), MinSecretBytes)
		}
		if _, dup := s.verify[k.ID]; dup {
			return nil, fmt.Errorf("artifact URL signer: key id %q appears twice", k.ID)
		}
		s.verify[k.ID] = k.Secret
	}
	return s, nil
}

// SignerFromSecretData builds a signer from a Secret's data, one entry per
// key, the entry's name its ID. The newest key, which signs, is the greatest
// name in byte order: name keys by date (k-20260701, k-20261001), add the
// new one, and remove the old one once the URL lifetime has passed.
func SignerFromSecretData(data map[string][]byte) (*Signer, error) {
	ring, err := keyringFromData(data)
	if err != nil {
		return nil, err
	}
	return &Signer{ring: ring, now: time.Now}, nil
}

func keyringFromData(data map[string][]byte) (*keyring, error) {
	ids := make([]string, 0, len(data))
	for id := range data {
		ids = append(ids, id)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	keys := make([]SigningKey, len(ids))
	for i, id := range ids {
		keys[i] = SigningKey{ID: id, Secret: data[id]}
	}
	return newKeyring(keys)
}

// Query parameters of a signed URL.
const (
	paramExpires = "exp"
	paramKeyID   = "kid"
	paramSig     = "sig"
)

// Sign returns the query (without '?') that makes GET /artifacts/<key>
// valid until expires: exp (Unix seconds), kid and sig.
func (s *Signer) Sign(key string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	sign := s.keys().sign
	v := url.Values{}
	v.Set(paramExpires, exp)
	v.Set(paramKeyID, sign.ID)
	v.Set(paramSig, mac(sign.Secret, sign.ID, key, exp))
	return v.Encode()
}

// URL is base (e.g. https://manager.example:8443) + HandlerPrefix + the
// escaped key + the signed query.
func (s *Signer) URL(base, key string, expires time.Time) string {
	return strings.TrimSuffix(base, "/") + HandlerPrefix + (&url.URL{Path: key}).EscapedPath() + "?" + s.Sign(key, expires)
}

// Verify checks a signed query for key and returns the expiry it carries.
// The error wraps ErrMalformed (parameters missing or unparsable),
// ErrBadSignature (unknown key id, or the key, expiry or signature were
// changed) or ErrExpired (a valid signature past its expiry), checked in
// that order so a forged URL is never told it merely expired.
func (s *Signer) Verify(key, rawQuery string) (time.Time, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	exp, kid, sig := q.Get(paramExpires), q.Get(paramKeyID), q.Get(paramSig)
	if exp == "" || kid == "" || sig == "" {
		return time.Time{}, fmt.Errorf("%w: exp, kid and sig are all required", ErrMalformed)
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || unix <= 0 {
		return time.Time{}, fmt.Errorf("%w: exp %q is not a Unix time", ErrMalformed, exp)
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: sig is not base64url", ErrMalformed)
	}
	secret, ok := s.keys().verify[kid]
	if !ok {
		return time.Time{}, fmt.Errorf("%w: unknown key id %q (not, or no longer, in the keyring)", ErrBadSignature, kid)
	}
	want, _ := base64.RawURLEncoding.DecodeString(mac(secret, kid, key, exp))
	if !hmac.Equal(got, want) {
		return time.Time{}, ErrBadSignature
	}
	expires := time.Unix(unix, 0)
	if now := s.now(); !now.Before(expires) {
		return expires, fmt.Errorf("%w at %s", ErrExpired, expires.UTC().Format(time.RFC3339))
	}
	return expires, nil
}

// mac is the base64url HMAC-SHA256 of the version, key id, expiry and key,
// newline-separated (none of the first three can hold a newline, and the key
// is last, so no two inputs share an encoding).
func mac(secret []byte, kid, key, exp string) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("v1\n" + kid + "\n" + exp + "\n" + key))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}
