package httpserver

import (
	"fmt"
	"net"
	"net/http"
)

// loopbackHostOnly refuses, on a loopback listener, requests whose Host is
// not a loopback name: a web page that rebinds its DNS name to 127.0.0.1
// must not reach an unauthenticated (--mcp-auth=none) server. The SDK does
// the same for /mcp; this covers the REST endpoints too.
func loopbackHostOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && local != nil &&
			IsLoopback(local.String()) && !IsLoopback(r.Host) {
			http.Error(w, fmt.Sprintf("Forbidden: invalid Host header %q for a loopback listener", r.Host), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
