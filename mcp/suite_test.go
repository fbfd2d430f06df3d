package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/controllers"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/httpserver"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

// The suite shares one control plane, one simulator and one manager (the
// leader, with its MCP server on mcpURL). Tests run one after another: some
// change simulator settings.
var (
	restConfig *rest.Config
	k8sClient  client.Client
	clientset  *kubernetes.Clientset
	sim        *dallesim.Server
	simServer  *httptest.Server

	// baseURL is the main manager's MCP/REST server, mcpURL its /mcp.
	baseURL, mcpURL string

	// Tokens of ServiceAccounts in nsA: agentToken may use ImageRequests in
	// nsA only (a RoleBinding to the sample imagegen-user ClusterRole);
	// nobodyToken has no RBAC at all.
	agentToken, nobodyToken string
)

const (
	nsA = "team-a"
	nsB = "team-b"
	// leaseID is the leader election Lease the suite's managers share.
	leaseID   = "imagegen-mcp-test"
	timeout   = localenv.Timeout
	heartbeat = 300 * time.Millisecond
	// slowSize answers after slowLatency (progress, wait and cancel tests);
	// the other sizes answer at once.
	slowSize    = "512x512"
	slowLatency = 1500 * time.Millisecond
	fastSize    = "256x256"
)

func TestMain(m *testing.M) {
	os.Exit(localenv.RunSuite(m, setupSuite))
}

// setupSuite creates the suite's namespaces, role and tokens, and starts
// the simulator and a leader-elected manager serving MCP and REST.
func setupSuite(cp *localenv.ControlPlane) (func(), error) {
	restConfig = cp.Config
	if err := setup(); err != nil {
		return nil, err
	}
	var stops []func()
	cleanup := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	sim = dallesim.New(dallesim.Config{})
	stops = append(stops, sim.Close)
	if err := sim.SetLatencyForSize(slowSize, slowLatency); err != nil {
		return cleanup, err
	}
	simServer = httptest.NewServer(sim)
	stops = append(stops, simServer.Close)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return cleanup, err
	}
	baseURL = "http://" + ln.Addr().String()
	mcpURL = baseURL + httpserver.MCPPath
	opts := managerOptions(ln)
	opts.LeaderElect = true
	mgr, err := localenv.StartManager(restConfig, opts)
	if err != nil {
		return cleanup, err
	}
	stops = append(stops, func() {
		if err := mgr.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	})
	select {
	case <-mgr.Elected():
	case <-time.After(timeout):
		return cleanup, errors.New("the suite's manager was not elected leader")
	}
	return cleanup, waitReady(baseURL)
}

// managerOptions are the suite's manager options with an MCP server on ln.
func managerOptions(ln net.Listener) manager.Options {
	return manager.Options{
		OpenAIBaseURL:      simServer.URL + "/v1/",
		OpenAIAPIKey:       "sk-test",
		UpstreamTimeout:    time.Minute,
		MetricsBindAddress: "0",
		Controller: controllers.Options{
			MaxAttempts:      3,
			InputGracePeriod: 10 * time.Second,
			RetryBaseDelay:   100 * time.Millisecond,
		},
		LeaderElectionNamespace: "default",
		LeaderElectionID:        leaseID,
		KubeAPIQPS:              1000,
		KubeAPIBurst:            2000,
		SkipNameValidation:      true,
		MCP: httpserver.Options{
			Listener:          ln,
			Auth:              httpserver.AuthToken,
			DefaultNamespace:  "default",
			HeartbeatInterval: heartbeat,
		},
	}
}

// setup creates the namespaces, the sample imagegen-user ClusterRole (from
// config/rbac/user, as it is), the ServiceAccounts and their tokens.
func setup() error {
	ctx := context.Background()
	var err error
	if k8sClient, err = client.New(restConfig, client.Options{Scheme: manager.Scheme()}); err != nil {
		return err
	}
	if clientset, err = kubernetes.NewForConfig(restConfig); err != nil {
		return err
	}
	for _, ns := range []string{nsA, nsB} {
		if err := k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
	}
	raw, err := os.ReadFile(filepath.Join(localenv.RepoRoot(), "config", "rbac", "user", "imagegen_user_role.yaml"))
	if err != nil {
		return err
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(raw, &role); err != nil {
		return fmt.Errorf("config/rbac/user/imagegen_user_role.yaml: %w", err)
	}
	if err := k8sClient.Create(ctx, &role); err != nil {
		return err
	}
	for _, sa := range []string{"agent", "nobody"} {
		if err := k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: nsA}}); err != nil {
			return err
		}
	}
	if err := k8sClient.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "agent-imagegen-user", Namespace: nsA},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "agent", Namespace: nsA}},
	}); err != nil {
		return err
	}
	// The API server's first custom resource write takes about 2 s (it warms
	// up the CRD's handler); take that here, not in a timed test.
	warm := &imagesv1alpha1.ImageRequest{ObjectMeta: metav1.ObjectMeta{Name: "warm-up", Namespace: "default"},
		Spec: imagesv1alpha1.ImageRequestSpec{Prompt: "warm-up", N: 1, Size: "256x256"}}
	if err := k8sClient.Create(ctx, warm, client.DryRunAll); err != nil {
		return fmt.Errorf("warming up: %w", err)
	}
	if agentToken, err = saToken(nsA, "agent", nil); err != nil {
		return err
	}
	nobodyToken, err = saToken(nsA, "nobody", nil)
	return err
}

// saToken issues a token for a ServiceAccount, for the API server's
// audiences unless some are given.
func saToken(ns, name string, audiences []string) (string, error) {
	tr, err := clientset.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{Audiences: audiences, ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for %s/%s: %w", ns, name, err)
	}
	return tr.Status.Token, nil
}

func waitReady(base string) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("MCP server at %s not ready: %v", base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testTransport is shared by the tests' HTTP clients: many calls at once
// must not each open (and then drop) a connection.
var testTransport = &http.Transport{MaxIdleConns: 500, MaxIdleConnsPerHost: 500, IdleConnTimeout: 30 * time.Second}

// bearer adds a token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.token != "" {
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(r)
}

func httpClient(token string) *http.Client {
	return &http.Client{Transport: bearer{token: token, next: testTransport}}
}

// session is a connected go-sdk client with what the server sent it.
type session struct {
	*sdkmcp.ClientSession
	mu       sync.Mutex
	progress []*sdkmcp.ProgressNotificationParams
	// progressCh gets every progress notification too.
	progressCh chan *sdkmcp.ProgressNotificationParams
	// updated gets the URI of every notifications/resources/updated.
	updated chan string
	// acked is signalled by notifications/subscriptions/acknowledged.
	acked chan struct{}
}

func (s *session) progressSeen() []*sdkmcp.ProgressNotificationParams {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*sdkmcp.ProgressNotificationParams(nil), s.progress...)
}

// connect opens an MCP session to endpoint with token, at protocolVersion
// ("" for the SDK's latest).
func connect(t testing.TB, endpoint, token, protocolVersion string) *session {
	t.Helper()
	s := &session{progressCh: make(chan *sdkmcp.ProgressNotificationParams, 1000), updated: make(chan string, 100), acked: make(chan struct{}, 10)}
	c := sdkmcp.NewClient(&sdkmcp.Implementation{Name: "mcp-test", Version: "v0"}, &sdkmcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *sdkmcp.ProgressNotificationClientRequest) {
			s.mu.Lock()
			s.progress = append(s.progress, req.Params)
			s.mu.Unlock()
			select {
			case s.progressCh <- req.Params:
			default:
			}
		},
		ResourceUpdatedHandler: func(_ context.Context, req *sdkmcp.ResourceUpdatedNotificationRequest) {
			s.updated <- req.Params.URI
		},
	})
	c.AddReceivingMiddleware(func(next sdkmcp.MethodHandler) sdkmcp.MethodHandler {
		return func(ctx context.Context, method string, req sdkmcp.Request) (sdkmcp.Result, error) {
			if method == "notifications/subscriptions/acknowledged" {
				select {
				case s.acked <- struct{}{}:
				default:
				}
			}
			return next(ctx, method, req)
		}
	})
	transport := &sdkmcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: httpClient(token), MaxRetries: -1}
	cs, err := c.Connect(context.Background(), transport, &sdkmcp.ClientSessionOptions{ProtocolVersion: protocolVersion})
	if err != nil {
		t.Fatalf("connecting to %s: %v", endpoint, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	s.ClientSession = cs
	return s
}

// agent is a session as the agent ServiceAccount on the main server.
func agent(t testing.TB) *session { return connect(t, mcpURL, agentToken, "") }

// call calls a tool and fails the test on a protocol error.
func call(t testing.TB, s *session, tool string, args map[string]any) *sdkmcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := s.CallTool(ctx, &sdkmcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("calling %s: %v", tool, err)
	}
	return res
}

// text joins a result's text content.
func text(res *sdkmcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdkmcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// structured decodes a result's structuredContent.
func structured(t testing.TB, res *sdkmcp.CallToolResult) map[string]any {
	t.Helper()
	m, ok := res.StructuredContent.(map[string]any)
	if !ok {
		t.Fatalf("structuredContent is %T, want an object; result: %s", res.StructuredContent, text(res))
	}
	return m
}

// getRequest reads an ImageRequest straight from the API server.
func getRequest(t testing.TB, ns, name string) *imagesv1alpha1.ImageRequest {
	t.Helper()
	var ir imagesv1alpha1.ImageRequest
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ir); err != nil {
		t.Fatalf("getting ImageRequest %s/%s: %v", ns, name, err)
	}
	return &ir
}

// waitPhase polls an ImageRequest until it reaches phase.
func waitPhase(t testing.TB, ns, name string, phase imagesv1alpha1.Phase) *imagesv1alpha1.ImageRequest {
	t.Helper()
	var ir *imagesv1alpha1.ImageRequest
	localenv.Eventually(t, fmt.Sprintf("%s/%s to be %s", ns, name, phase), func() bool {
		ir = getRequest(t, ns, name)
		return ir.Status.Phase == phase
	}, func() string { return fmt.Sprintf("status %+v", ir.Status) })
	return ir
}

// counts is how many ImageRequests and Secrets a namespace holds.
func counts(t testing.TB, ns string) (requests, secrets int) {
	t.Helper()
	var irs imagesv1alpha1.ImageRequestList
	if err := k8sClient.List(context.Background(), &irs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var ss corev1.SecretList
	if err := k8sClient.List(context.Background(), &ss, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return len(irs.Items), len(ss.Items)
}

// uniquePrompt makes a prompt no other test uses, so simulator calls and
// faults can be matched to one test.
func uniquePrompt(t testing.TB, what string) string {
	return fmt.Sprintf("%s [%s %d]", what, t.Name(), time.Now().UnixNano())
}

// fetch GETs a URL and returns its status and body.
func fetch(t testing.TB, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", url, err)
	}
	return resp.StatusCode, body
}

// rawRPC posts one JSON-RPC message to /mcp the way a client of
// protocolVersion (a pre-2026 one: no _meta needed) would, and returns the
// response message, read from JSON or from the SSE stream.
func rawRPC(t testing.TB, token, protocolVersion, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, mcpURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", protocolVersion)
	resp, err := httpClient(token).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d: %s", mcpURL, resp.StatusCode, raw)
	}
	payload := string(raw)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		payload = ""
		for _, line := range strings.Split(string(raw), "\n") {
			if data, ok := strings.CutPrefix(line, "data: "); ok && strings.Contains(data, `"id"`) {
				payload = data
			}
		}
	}
	var msg map[string]any
	if err := json.Unmarshal([]byte(payload), &msg); err != nil {
		t.Fatalf("decoding the response %q: %v", raw, err)
	}
	return msg
}
