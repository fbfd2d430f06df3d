package dallesim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

// getStatus fetches url and returns the status and decoded error code, if any.
func getStatus(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, ""
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q", ct)
	}
	var e struct {
		Error struct {
			Code *string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	return resp.StatusCode, deref(e.Error.Code)
}

func TestImageURLsExpire(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv, ts, client := start(t, dallesim.Config{Now: clock.Now, URLTTL: 10 * time.Minute})

	gen, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "expiring", Size: "256x256"})
	if err != nil {
		t.Fatal(err)
	}
	edit, err := client.Images.Edit(context.Background(), editParams("expiring edit", encodePNG(t, withHole(checkerboard(32, 32))), nil))
	if err != nil {
		t.Fatal(err)
	}
	urls := []string{gen.Data[0].URL, edit.Data[0].URL}

	clock.Advance(10 * time.Minute) // the last valid second
	for _, u := range urls {
		if status, code := getStatus(t, ts.Client(), u); status != 200 {
			t.Fatalf("at expiry: %d %s for %s", status, code, u)
		}
	}
	clock.Advance(time.Second)
	for _, u := range urls {
		if status, code := getStatus(t, ts.Client(), u); status != 403 || code != dallesim.CodeURLExpired {
			t.Errorf("after expiry: %d %s, want 403 %s", status, code, dallesim.CodeURLExpired)
		}
	}

	// A shorter TTL applies to URLs issued afterwards.
	if err := srv.SetURLTTL(time.Minute); err != nil {
		t.Fatal(err)
	}
	short, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "short", Size: "256x256"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(61 * time.Second)
	if status, _ := getStatus(t, ts.Client(), short.Data[0].URL); status != 403 {
		t.Errorf("1-minute URL after 61s: %d, want 403", status)
	}
}

func TestImageURLsAreSigned(t *testing.T) {
	t.Parallel()
	_, ts, client := start(t, dallesim.Config{})
	res, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "signed", Size: "256x256"})
	if err != nil {
		t.Fatal(err)
	}
	u := res.Data[0].URL
	tampered := []string{
		strings.Replace(u, "size=256x256", "size=1024x1024", 1),
		strings.Replace(u, "i=0", "i=1", 1),
		u[:strings.Index(u, "se=")+3] + "9999999999" + u[strings.Index(u, "&sig"):],
		u[:strings.Index(u, "sig=")+4] + "00",
	}
	for _, bad := range tampered {
		if status, code := getStatus(t, ts.Client(), bad); status != 403 || code != dallesim.CodeInvalidSignature {
			t.Errorf("tampered URL answered %d %s, want 403 %s", status, code, dallesim.CodeInvalidSignature)
		}
	}
	if status, _ := getStatus(t, ts.Client(), ts.URL+"/images/elsewhere/x.png?se=1&sig=x"); status != 404 {
		t.Errorf("unknown image path answered %d", status)
	}
}

func TestEditResultsAreEvictedUnderMemoryBudget(t *testing.T) {
	t.Parallel()
	_, ts, client := start(t, dallesim.Config{MaxStoredEditBytes: 1})
	src := encodePNG(t, withHole(checkerboard(32, 32)))
	first, err := client.Images.Edit(context.Background(), editParams("evict", src, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Images.Edit(context.Background(), editParams("evict", src, nil)); err != nil {
		t.Fatal(err)
	}
	if status, code := getStatus(t, ts.Client(), first.Data[0].URL); status != 404 || code != dallesim.CodeImageNotFound {
		t.Errorf("evicted edit answered %d %s, want 404", status, code)
	}
}
