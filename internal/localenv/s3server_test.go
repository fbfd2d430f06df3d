package localenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestS3Server proves the S3 harness is a real, SigV4-enforcing server: a
// 3 MB object round-trips through a presigned URL, a tampered signature and
// a wrong secret are refused, a stopped server refuses connections, and a
// restarted one still has the object.
func TestS3Server(t *testing.T) {
	start := time.Now()
	s := StartS3(t)
	t.Logf("S3 server up in %s", time.Since(start).Round(time.Millisecond))
	c := s.Client()
	ctx := context.Background()

	body := make([]byte, 3<<20)
	_, _ = rand.Read(body)
	key := "ns/name/uid/0.png"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.Bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentType: aws.String("image/png"),
	}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}

	presigned, err := s3.NewPresignClient(c).PresignGetObject(ctx,
		&s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)},
		s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatalf("presigning GET: %v", err)
	}
	status, got := httpGet(t, presigned.URL)
	if status != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("presigned GET: status %d, %d bytes (equal: %v); want 200 and the %d bytes put", status, len(got), bytes.Equal(got, body), len(body))
	}

	tampered := tamperSignature(t, presigned.URL)
	if status, got := httpGet(t, tampered); status != http.StatusForbidden {
		t.Errorf("GET with a tampered signature: status %d (%.200s), want 403", status, got)
	}
	objectURL := s.Endpoint + "/" + s.Bucket + "/" + key
	if status, _ := httpGet(t, objectURL); status != http.StatusForbidden {
		t.Errorf("unsigned GET: status %d, want 403", status)
	}
	_, err = s.ClientWithKeys(s.AccessKey, "not-"+s.SecretKey).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if code := httpStatus(err); code != http.StatusForbidden {
		t.Errorf("GetObject with a wrong secret: %v (status %d), want 403", err, code)
	}

	start = time.Now()
	s.Stop()
	t.Logf("stopped in %s", time.Since(start).Round(time.Millisecond))
	_, err = http.Get(objectURL) //nolint:noctx // a plain GET is the point
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("GET from a stopped server: %v, want connection refused", err)
	}

	start = time.Now()
	if err := s.Start(); err != nil {
		t.Fatalf("restarting: %v", err)
	}
	t.Logf("restarted in %s", time.Since(start).Round(time.Millisecond))
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject after the restart: %v", err)
	}
	got, err = io.ReadAll(out.Body)
	_ = out.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("object after the restart: %d bytes, %v; want the %d bytes put", len(got), err, len(body))
	}
	if ct := aws.ToString(out.ContentType); ct != "image/png" {
		t.Errorf("Content-Type after the restart: %q, want image/png", ct)
	}
}

func TestS3BucketURL(t *testing.T) {
	s := &S3Server{Endpoint: "http://127.0.0.1:8333", Region: "us-east-1", Bucket: "b"}
	u, err := url.Parse(s.BucketURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "s3" || u.Host != "b" || q.Get("endpoint") != s.Endpoint || q.Get("region") != "us-east-1" || q.Get("use_path_style") != "true" {
		t.Errorf("BucketURL() = %s", s.BucketURL())
	}
}

func TestWeedBinaryMissing(t *testing.T) {
	t.Setenv("SEAWEEDFS_BIN", "/nonexistent/weed")
	if _, err := WeedBinary(); !errors.Is(err, ErrNoWeed) || !strings.Contains(err.Error(), "make setup-seaweedfs") {
		t.Errorf("WeedBinary() error = %v, want ErrNoWeed naming make setup-seaweedfs", err)
	}
}

func httpGet(t *testing.T, u string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(u) //nolint:gosec,noctx // a test's own loopback URL
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading GET %s: %v", u, err)
	}
	return resp.StatusCode, data
}

// tamperSignature flips the last character of a presigned URL's signature.
func tamperSignature(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	sig := q.Get("X-Amz-Signature")
	if sig == "" {
		t.Fatalf("no X-Amz-Signature in %s", raw)
	}
	last := "0"
	if strings.HasSuffix(sig, "0") {
		last = "1"
	}
	q.Set("X-Amz-Signature", sig[:len(sig)-1]+last)
	u.RawQuery = q.Encode()
	return u.String()
}

// httpStatus is the HTTP status of an AWS SDK error, 0 if it has none.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
