package storetest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/imagegen/imagegen-operator/controllers"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/httpserver"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

// One control plane, one simulator and one manager that keeps results in a
// file:// bucket and serves operator-signed URLs on its listener.
var (
	k8sClient client.Client
	// baseURL is the manager's MCP/REST listener.
	baseURL string
	// agentToken may use ImageRequests in ns; nobodyToken has no RBAC.
	agentToken, nobodyToken string
	// sim is the upstream; its call log says what reached it.
	sim *dallesim.Server
)

const (
	ns      = "team-a"
	timeout = localenv.Timeout
	// slowSize answers after a while, so a request can be read unfinished.
	slowSize = "512x512"
	fastSize = "256x256"
)

func TestMain(m *testing.M) {
	os.Exit(localenv.RunSuite(m, setupSuite))
}

func setupSuite(cp *localenv.ControlPlane) (func(), error) {
	var stops []func()
	cleanup := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if err := setupRBAC(cp); err != nil {
		return cleanup, err
	}
	sim = dallesim.New(dallesim.Config{})
	stops = append(stops, sim.Close)
	if err := sim.SetLatencyForSize(slowSize, 3*time.Second); err != nil {
		return cleanup, err
	}
	simServer := httptest.NewServer(sim)
	stops = append(stops, simServer.Close)

	dir, err := os.MkdirTemp("", "imagegen-storetest-*")
	if err != nil {
		return cleanup, err
	}
	stops = append(stops, func() { _ = os.RemoveAll(dir) })
	bucket := filepath.Join(dir, "bucket")
	if err := os.Mkdir(bucket, 0o755); err != nil {
		return cleanup, err
	}
	keyFile := filepath.Join(dir, "k1")
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return cleanup, err
	}
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		return cleanup, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return cleanup, err
	}
	baseURL = "http://" + ln.Addr().String()
	mgr, err := localenv.StartManager(cp.Config, manager.Options{
		OpenAIBaseURL:      simServer.URL + "/v1/",
		OpenAIAPIKey:       "sk-test",
		UpstreamTimeout:    time.Minute,
		MetricsBindAddress: "0",
		Controller:         controllers.Options{MaxAttempts: 3, RetryBaseDelay: 100 * time.Millisecond},
		KubeAPIQPS:         1000,
		KubeAPIBurst:       2000,
		SkipNameValidation: true,
		MCP:                httpserver.Options{Listener: ln, Auth: httpserver.AuthToken, DefaultNamespace: ns},
		Artifacts: manager.ArtifactOptions{
			Bucket: "file://" + filepath.ToSlash(bucket), URLMode: artifacts.URLModeOperator, SigningKeyFile: keyFile,
		},
	})
	if err != nil {
		return cleanup, err
	}
	stops = append(stops, func() {
		if err := mgr.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	})
	return cleanup, waitReady(baseURL)
}

// setupRBAC creates the namespace, the sample imagegen-user ClusterRole
// (config/rbac/user, as it is) bound to the agent ServiceAccount, and a
// ServiceAccount without rights, and issues their tokens.
func setupRBAC(cp *localenv.ControlPlane) error {
	ctx := context.Background()
	var err error
	if k8sClient, err = client.New(cp.Config, client.Options{Scheme: manager.Scheme()}); err != nil {
		return err
	}
	clientset, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	if err := k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
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
		if err := k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: ns}}); err != nil {
			return err
		}
	}
	if err := k8sClient.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "agent-imagegen-user", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "agent", Namespace: ns}},
	}); err != nil {
		return err
	}
	token := func(name string) (string, error) {
		tr, err := clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
		}, metav1.CreateOptions{})
		if err != nil {
			return "", fmt.Errorf("token for %s/%s: %w", ns, name, err)
		}
		return tr.Status.Token, nil
	}
	if agentToken, err = token("agent"); err != nil {
		return err
	}
	nobodyToken, err = token("nobody")
	return err
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
			return errors.Join(fmt.Errorf("the manager at %s is not ready", base), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
