package dallesim_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

func TestThousandConcurrentGenerations(t *testing.T) {
	t.Parallel()
	const clients = 1000
	srv, ts := dallesim.NewTestServer(t, dallesim.Config{Latency: 50 * time.Millisecond})
	transport := &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: clients, MaxIdleConns: clients}
	t.Cleanup(transport.CloseIdleConnections)
	client := newClient(ts, option.WithHTTPClient(&http.Client{Transport: transport, Timeout: 30 * time.Second}))

	var wg sync.WaitGroup
	errs := make(chan error, clients)
	begin := time.Now()
	for i := range clients {
		wg.Go(func() {
			params := openai.ImageGenerateParams{Prompt: fmt.Sprintf("crowd %d", i), Size: "256x256"}
			if i%10 == 0 { // some render inline too
				params.ResponseFormat = openai.ImageGenerateParamsResponseFormatB64JSON
			}
			res, err := client.Images.Generate(context.Background(), params)
			if err == nil && len(res.Data) != 1 {
				err = fmt.Errorf("got %d images", len(res.Data))
			}
			if err != nil {
				errs <- fmt.Errorf("request %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed < 5 {
			t.Error(err)
		}
		failed++
	}
	if failed > 0 {
		t.Fatalf("%d of %d requests failed", failed, clients)
	}
	if st := srv.Stats(); st.BillableRequests != clients || st.Requests[dallesim.EndpointGenerations] != clients {
		t.Errorf("stats = %+v", st)
	}
	t.Logf("%d concurrent requests with 50ms latency took %v", clients, time.Since(begin))
}

func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		size   openai.ImageGenerateParamsSize
		format openai.ImageGenerateParamsResponseFormat
	}{
		{"1024x1024", openai.ImageGenerateParamsResponseFormatURL},
		{"256x256", openai.ImageGenerateParamsResponseFormatB64JSON},
		{"1024x1024", openai.ImageGenerateParamsResponseFormatB64JSON},
	} {
		b.Run(string(bc.size)+"/"+string(bc.format), func(b *testing.B) {
			_, ts := dallesim.NewTestServer(b, dallesim.Config{})
			client := newClient(ts)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
					Prompt: fmt.Sprintf("bench %d", i), Size: bc.size, ResponseFormat: bc.format,
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
