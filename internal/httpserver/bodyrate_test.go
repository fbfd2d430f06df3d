package httpserver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/httpapi"
)

// TestPacedBodies: a body trickled below the minimum rate fails with
// BodyTooSlowError soon after the grace period; a body that arrives in time
// is read whole, and the call may then wait past the grace without its
// context ending (the deadline is lifted at the body's end).
func TestPacedBodies(t *testing.T) {
	s := &Server{opts: Options{BodyReadGrace: 300 * time.Millisecond, MinBodyRate: 1 << 10}}
	type outcome struct {
		err         error
		n           int
		ctxAfterRun error
	}
	outcomes := make(chan outcome, 10)
	srv := httptest.NewServer(s.paceBodies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(r.Body)
		var ctxErr error
		if err == nil {
			select { // a call waiting for its image
			case <-r.Context().Done():
			case <-time.After(time.Second):
			}
			ctxErr = r.Context().Err()
		}
		outcomes <- outcome{err: err, n: len(data), ctxAfterRun: ctxErr}
		w.WriteHeader(http.StatusNoContent)
	})))
	defer srv.Close()

	// In time: 8 KiB at once.
	resp, err := http.Post(srv.URL, "text/plain", strings.NewReader(strings.Repeat("x", 8<<10)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if o := <-outcomes; o.err != nil || o.n != 8<<10 || o.ctxAfterRun != nil {
		t.Errorf("a body in time: %+v", o)
	}

	// A byte a second, chunked, as a slow-loris client sends.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	go func() {
		for range 30 {
			if _, err := conn.Write([]byte("1\r\nx\r\n")); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	}()
	var o outcome
	select {
	case o = <-outcomes:
	case <-time.After(10 * time.Second):
		t.Fatal("a trickled body is still being read after 10 s")
	}
	var slow *httpapi.BodyTooSlowError
	if !errors.As(o.err, &slow) || time.Since(start) > 3*time.Second {
		t.Errorf("trickled body: %v after %v, want BodyTooSlowError soon after the 300 ms grace", o.err, time.Since(start))
	}
}
