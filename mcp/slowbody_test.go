package mcp_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/imagegen/imagegen-operator/internal/httpserver"
	"github.com/imagegen/imagegen-operator/internal/rest"
)

// TestLargeBodySlots: the slots for large or chunked bodies cannot be sat
// on. A caller with no RBAC is refused before its body is read; callers
// that trickle bodies a byte a second, and reconnect at once, lose their
// slots within the grace period, so a well-behaved large upload from
// another caller is answered within seconds.
func TestLargeBodySlots(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := managerOptions(ln)
	opts.LeaderElect = true // a follower: the suite's manager holds the lease
	opts.MCP.BodyReadGrace = time.Second
	opts.MCP.MinBodyRate = 64 << 10
	startManager(t, opts)
	base := "http://" + ln.Addr().String()
	if err := waitReady(base); err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()

	t.Run("refused before the body is read", func(t *testing.T) {
		cases := map[string]struct {
			token, path string
		}{
			"no RBAC, REST upload":                 {token: nobodyToken, path: rest.PathEdit},
			"no RBAC, chunked /mcp":                {token: nobodyToken, path: httpserver.MCPPath},
			"RBAC elsewhere than ?namespace=":      {token: agentToken, path: rest.PathEdit + "?namespace=" + nsB},
			"RBAC elsewhere than ?namespace=, mcp": {token: agentToken, path: httpserver.MCPPath + "?namespace=" + nsB},
		}
		for name, tc := range cases {
			// Headers only: the body never comes. Refused means answered.
			line := rawPost(t, addr, tc.token, tc.path, 3<<20, 5*time.Second)
			if !strings.Contains(line, " 403 ") {
				t.Errorf("%s: %q, want 403 without the body", name, line)
			}
		}
	})

	t.Run("trickling callers cannot starve a large upload", func(t *testing.T) {
		token := grantedToken(t, nsB, "trickler")
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var mu sync.Mutex
		cuts := map[string]int{}
		for i := range 8 { // twice the slots: four hold them, four queue
			path := rest.PathEdit
			if i%2 == 1 {
				path = httpserver.MCPPath
			}
			wg.Go(func() {
				for ctx.Err() == nil {
					if line := trickle(ctx, addr, token, path); line != "" {
						mu.Lock()
						cuts[path+" "+strings.TrimSpace(line)]++
						mu.Unlock()
					}
				}
			})
		}
		defer func() {
			cancel()
			wg.Wait()
		}()
		time.Sleep(500 * time.Millisecond)

		start := time.Now()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("prompt", "x")
		fw, _ := mw.CreateFormFile("image_file", "big.png")
		_, _ = fw.Write(bytes.Repeat([]byte{0}, 3<<20))
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, base+rest.PathEdit, &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+agentToken)
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("the well-behaved upload got no answer after %v: %v", time.Since(start), err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		elapsed := time.Since(start)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), `"field":"image_file"`) {
			t.Errorf("the upload: HTTP %d %s, want 400 naming image_file", resp.StatusCode, raw)
		}
		if elapsed > 10*time.Second {
			t.Errorf("the upload was answered after %v, want a few seconds", elapsed)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Logf("answered in %v; tricklers cut: %v", elapsed.Round(time.Millisecond), cuts)
		if cuts[rest.PathEdit+" HTTP/1.1 408 Request Timeout"] == 0 {
			t.Errorf("no REST trickler was answered 408: %v", cuts)
		}
	})
}

// grantedToken makes a ServiceAccount in ns that may use ImageRequests
// there (the imagegen-user ClusterRole) and returns a token for it.
func grantedToken(t *testing.T, ns, name string) string {
	t.Helper()
	ctx := context.Background()
	if err := k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}); err != nil {
		t.Fatal(err)
	}
	if err := k8sClient.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-imagegen-user", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "imagegen-user"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: ns}},
	}); err != nil {
		t.Fatal(err)
	}
	token, err := saToken(ns, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// postHeaders is the start of a raw POST: contentLength < 0 is chunked.
func postHeaders(addr, token, path string, contentLength int) string {
	ct := "multipart/form-data; boundary=b"
	if strings.HasPrefix(path, httpserver.MCPPath) {
		ct = "application/json"
	}
	length := "Transfer-Encoding: chunked"
	if contentLength >= 0 && !strings.HasPrefix(path, httpserver.MCPPath) {
		length = fmt.Sprintf("Content-Length: %d", contentLength)
	}
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nAccept: application/json, text/event-stream\r\n%s\r\n\r\n",
		path, addr, token, ct, length)
}

// rawPost sends only the headers of a POST (a large REST upload, a chunked
// /mcp call) and returns the status line answered within wait.
func rawPost(t *testing.T, addr, token, path string, contentLength int, wait time.Duration) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, postHeaders(addr, token, path, contentLength)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "no answer: " + err.Error()
	}
	return line
}

// trickle is a slow-loris client: a chunked POST whose body arrives a byte
// a second. It returns the status line the server answered with when it
// gave up on the body ("closed" if it only closed), or "" once ctx ends.
func trickle(ctx context.Context, addr, token, path string) string {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return ""
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, postHeaders(addr, token, path, -1)); err != nil {
		return ""
	}
	answered := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(conn).ReadString('\n')
		if line == "" {
			line = "closed"
		}
		answered <- line
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ""
		case line := <-answered:
			return line
		case <-tick.C:
			_, _ = io.WriteString(conn, "1\r\nx\r\n")
		}
	}
}
