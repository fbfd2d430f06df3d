package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/manager"
	"github.com/imagegen/imagegen-operator/internal/models"
)

const (
	pathDirect = "direct"
	pathCR     = "cr"
)

// path makes one end-to-end request and returns when its images are ready.
type path interface {
	name() string
	do(ctx context.Context, id string) error
}

// manyConnTransport never queues a request behind another for a connection.
func manyConnTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost, t.MaxConnsPerHost = 4096, 4096, 0
	return t
}

// directPath calls the simulator with openai-go: the physical limit.
type directPath struct {
	client    openai.Client
	transport *http.Transport
}

func newDirectPath(e *env) *directPath {
	t := manyConnTransport()
	return &directPath{transport: t, client: openai.NewClient(
		option.WithBaseURL(e.simURL+"/v1/"), option.WithAPIKey("sk-bench"), option.WithMaxRetries(0),
		option.WithHTTPClient(&http.Client{Transport: t}))}
}

func (p *directPath) closeIdle() { p.transport.CloseIdleConnections() }

func (p *directPath) name() string { return pathDirect }

func (p *directPath) do(ctx context.Context, id string) error {
	resp, err := p.client.Images.Generate(ctx, openai.ImageGenerateParams{
		Prompt: "bench " + id, Model: models.DALLE2, N: openai.Int(1),
		Size: "256x256", ResponseFormat: openai.ImageGenerateParamsResponseFormatURL,
	})
	if err != nil {
		return err
	}
	if len(resp.Data) != 1 || resp.Data[0].URL == "" {
		return errors.New("direct: no URL in response")
	}
	return nil
}

// crPath creates an ImageRequest and waits for Succeeded through one shared
// watch (an informer), as a well-behaved client would.
type crPath struct {
	client  client.Client
	mu      sync.Mutex
	waiters map[string]chan *imagesv1alpha1.ImageRequest
}

func newCRPath(ctx context.Context, e *env) (*crPath, error) {
	cfg := *e.cp.Config
	cfg.QPS, cfg.Burst = 5000, 10000
	c, err := client.New(&cfg, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		return nil, err
	}
	ca, err := cache.New(&cfg, cache.Options{Scheme: manager.Scheme()})
	if err != nil {
		return nil, err
	}
	p := &crPath{client: c, waiters: map[string]chan *imagesv1alpha1.ImageRequest{}}
	inf, err := ca.GetInformer(ctx, &imagesv1alpha1.ImageRequest{})
	if err != nil {
		return nil, err
	}
	notify := func(obj any) {
		ir, ok := obj.(*imagesv1alpha1.ImageRequest)
		if !ok || !ir.Status.Phase.IsTerminal() {
			return
		}
		p.mu.Lock()
		ch := p.waiters[ir.Name]
		delete(p.waiters, ir.Name)
		p.mu.Unlock()
		if ch != nil {
			ch <- ir
		}
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    notify,
		UpdateFunc: func(_, obj any) { notify(obj) },
	}); err != nil {
		return nil, err
	}
	go func() { _ = ca.Start(ctx) }()
	if !ca.WaitForCacheSync(ctx) {
		return nil, errors.New("bench cache never synced")
	}
	return p, nil
}

func (p *crPath) name() string { return pathCR }

func (p *crPath) do(ctx context.Context, id string) error {
	name := "bench-" + id
	ch := make(chan *imagesv1alpha1.ImageRequest, 1)
	p.mu.Lock()
	p.waiters[name] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.waiters, name)
		p.mu.Unlock()
	}()
	ir := &imagesv1alpha1.ImageRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       imagesv1alpha1.ImageRequestSpec{Prompt: "bench " + id, Size: "256x256"},
	}
	if err := p.client.Create(ctx, ir); err != nil {
		return fmt.Errorf("creating: %w", err)
	}
	select {
	case done := <-ch:
		if done.Status.Phase != imagesv1alpha1.PhaseSucceeded {
			return fmt.Errorf("%s: %s", done.Status.Reason, done.Status.Message)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cleanup deletes the run's ImageRequests so the next run starts from an
// empty cache, and waits until the deletions are through.
func cleanupRequests(ctx context.Context, c client.Client) error {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		// Again on every round: calls a load stopped may still be creating
		// requests (the MCP server finishes a create its caller gave up on).
		if err := c.DeleteAllOf(ctx, &imagesv1alpha1.ImageRequest{}, client.InNamespace("default")); err != nil {
			return err
		}
		var list imagesv1alpha1.ImageRequestList
		if err := c.List(ctx, &list, client.InNamespace("default"), client.Limit(1)); err != nil {
			return err
		}
		if len(list.Items) == 0 {
			return nil
		}
	}
	return errors.New("ImageRequests not deleted within two minutes")
}
