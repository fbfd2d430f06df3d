package controllers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
)

// Bounds of one result download from the upstream's URL.
const (
	// DefaultMaxDownloadBytes bounds one result image: well above the
	// largest PNG any model returns.
	DefaultMaxDownloadBytes = 64 << 20
	// DefaultDownloadTimeout bounds one download.
	DefaultDownloadTimeout = 2 * time.Minute
	// downloadTries is how many times a download that failed for a reason
	// worth retrying (a network error, a 5xx) is tried.
	downloadTries = 3
)

// downloadError is a download that retrying will not fix (a 4xx, an
// oversized body).
type downloadError struct{ err error }

func (e *downloadError) Error() string { return e.err.Error() }
func (e *downloadError) Unwrap() error { return e.err }

// download fetches one result from the upstream's URL, at most maxBytes,
// and returns the bytes and their media type (the response's, else
// sniffed).
func download(ctx context.Context, c *http.Client, url string, maxBytes int64) ([]byte, string, error) {
	var lastErr error
	for try := 1; try <= downloadTries; try++ {
		data, ctype, err := downloadOnce(ctx, c, url, maxBytes)
		if err == nil {
			return data, ctype, nil
		}
		lastErr = err
		var permanent *downloadError
		if errors.As(err, &permanent) || ctx.Err() != nil {
			break
		}
		select {
		case <-time.After(time.Duration(try) * time.Second):
		case <-ctx.Done():
		}
	}
	return nil, "", lastErr
}

func downloadOnce(ctx context.Context, c *http.Client, url string, maxBytes int64) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", &downloadError{fmt.Errorf("downloading the result: %w", err)}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("downloading the result: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("downloading the result: the upstream's URL answered %s", resp.Status)
		if resp.StatusCode < 500 {
			return nil, "", &downloadError{err}
		}
		return nil, "", err
	}
	if resp.ContentLength > maxBytes {
		return nil, "", &downloadError{fmt.Errorf("downloading the result: %d bytes is over the limit of %d", resp.ContentLength, maxBytes)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("downloading the result: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, "", &downloadError{fmt.Errorf("downloading the result: over the limit of %d bytes", maxBytes)}
	}
	ctype, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || ctype == "" || ctype == "application/octet-stream" || ctype == "binary/octet-stream" {
		ctype = sniff(data)
	}
	return data, ctype, nil
}

// sniff is data's media type as http.DetectContentType sees it (png,
// jpeg, webp, ...), without parameters.
func sniff(data []byte) string {
	ctype, _, err := mime.ParseMediaType(http.DetectContentType(data))
	if err != nil {
		return "application/octet-stream"
	}
	return ctype
}
